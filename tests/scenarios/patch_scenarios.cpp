// Patches: JSON merge patch, JSON patch, and what the fake refuses where the real server
// does too (strategic merge patch on a custom resource).
#include "scenarios/scenario.hpp"

using namespace scenario;

TEST_CASE("a merge patch merges objects and deletes members set to null", "[scenario]") {
  Scenario s("sc-merge");
  const object patched = s.run([&]() -> awaitable<object> {
    auto api = s.api(config_maps);
    object body = config_map("a");
    body["data"].as_object()["gone"] = "x";
    co_await api.create(body);
    co_return co_await api.patch("a", merge(R"({"data":{"gone":null,"new":"n"}})"));
  });
  CHECK(at(patched, {"data"}) == R"({"k":"v","new":"n"})");
}

TEST_CASE("a JSON patch adds, replaces and removes, after its tests pass", "[scenario]") {
  Scenario s("sc-jsonpatch");
  const object patched = s.run([&]() -> awaitable<object> {
    auto api = s.api(config_maps);
    co_await api.create(config_map("a"));
    const auto operations = boost::json::parse(R"([
      {"op":"test","path":"/data/k","value":"v"},
      {"op":"add","path":"/data/added","value":"1"},
      {"op":"replace","path":"/data/k","value":"w"},
      {"op":"add","path":"/metadata/labels","value":{"a/b":"c"}},
      {"op":"remove","path":"/metadata/labels/a~1b"}])");
    const auto patch = kopp::Patch::json(operations);
    co_return co_await api.patch("a", patch);
  });
  CHECK(at(patched, {"data"}) == R"({"added":"1","k":"w"})");
  // The real server drops the emptied map: an empty labels map is not serialised.
  CHECK(at(patched, {"metadata", "labels"}) == "<missing>");
}

TEST_CASE("a JSON patch whose test fails changes nothing", "[scenario]") {
  Scenario s("sc-jsontest");
  const auto failed = s.failure_of([&]() -> awaitable<void> {
    auto api = s.api(config_maps);
    co_await api.create(config_map("a"));
    const auto operations = boost::json::parse(
        R"([{"op":"replace","path":"/data/k","value":"changed"},{"op":"test","path":"/data/k","value":"nope"}])");
    const auto patch = kopp::Patch::json(operations);
    co_await api.patch("a", patch);
  });
  CHECK(failed.status == 422);
  CHECK(failed.reason == "Invalid");
  const std::string value = s.run([&]() -> awaitable<std::string> {
    const object read = co_await s.api(config_maps).get("a");
    co_return at(read, {"data", "k"});
  });
  CHECK(value == "v");
}

TEST_CASE("a patch of a missing object is 404", "[scenario]") {
  Scenario s("sc-patchmissing");
  const auto missing = s.failure_of(
      [&]() -> awaitable<void> { co_await s.api(config_maps).patch("nothing", merge(R"({"data":{"k":"v"}})")); });
  CHECK(missing.status == 404);
  CHECK(missing.reason == "NotFound");
}

TEST_CASE("a strategic merge patch on a custom resource is 415", "[scenario]") {
  Scenario s("sc-smp-cr");
  s.install_widgets();
  const auto refused = s.failure_of([&]() -> awaitable<void> {
    co_await s.api(widgets).create(widget("w", 1));
    const auto patch = kopp::Patch::strategic(json(R"({"spec":{"size":2}})"));
    co_await s.api(widgets).patch("w", patch);
  });
  CHECK(refused.status == 415);
  CHECK(refused.reason == "UnsupportedMediaType");
}

TEST_CASE("a merge patch carrying a stale resourceVersion conflicts", "[scenario]") {
  Scenario s("sc-patchrv");
  const auto conflict = s.failure_of([&]() -> awaitable<void> {
    auto api = s.api(config_maps);
    const object made = co_await api.create(config_map("a"));
    co_await api.patch("a", merge(R"({"data":{"k":"one"}})"));
    const std::string stale = at(made, {"metadata", "resourceVersion"});
    co_await api.patch("a", merge(R"({"metadata":{"resourceVersion":")" + stale + R"("},"data":{"k":"two"}})"));
  });
  CHECK(conflict.status == 409);
  CHECK(conflict.reason == "Conflict");
}
