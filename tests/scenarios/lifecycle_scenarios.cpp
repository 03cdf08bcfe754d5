// Deletion: finalizers, preconditions, owner-reference garbage collection and namespaces.
// The real cluster collects garbage asynchronously (kube-controller-manager); the
// scenarios wait for the outcome with eventually(), which the fake satisfies at once.
#include "scenarios/scenario.hpp"

using namespace scenario;

namespace {

/// An ownerReferences entry pointing at `owner`.
object owned_by(const object& owner) {
  return object{{"apiVersion", at(owner, {"apiVersion"})},
                {"kind", at(owner, {"kind"})},
                {"name", at(owner, {"metadata", "name"})},
                {"uid", at(owner, {"metadata", "uid"})},
                {"blockOwnerDeletion", true}};
}

object child_of(std::string_view name, const object& owner) {
  object child = config_map(name);
  child["metadata"].as_object()["ownerReferences"] = boost::json::array{owned_by(owner)};
  return child;
}

}  // namespace

TEST_CASE("a finalizer holds a deleted object, readable with its deletionTimestamp", "[scenario]") {
  Scenario s("sc-finalizer");
  const auto [answer, read] = s.run([&]() -> awaitable<std::pair<object, object>> {
    auto api = s.api(config_maps);
    object body = config_map("a");
    body["metadata"].as_object()["finalizers"] = boost::json::array{"scenarios.kopp.example/hold"};
    co_await api.create(body);
    const object deleted = co_await api.delete_("a");
    const object still = co_await api.get("a");
    co_return std::pair{deleted, still};
  });
  CHECK(at(answer, {"metadata", "deletionTimestamp"}) != "<missing>");
  CHECK(at(read, {"metadata", "deletionTimestamp"}) != "<missing>");
  CHECK(at(read, {"metadata", "finalizers"}) == R"(["scenarios.kopp.example/hold"])");
}

TEST_CASE("removing the last finalizer of a deleted object removes it", "[scenario]") {
  Scenario s("sc-release");
  const bool gone = s.run([&]() -> awaitable<bool> {
    auto api = s.api(config_maps);
    object body = config_map("a");
    body["metadata"].as_object()["finalizers"] = boost::json::array{"scenarios.kopp.example/hold"};
    co_await api.create(body);
    co_await api.delete_("a");
    co_await api.patch("a", merge(R"({"metadata":{"finalizers":null}})"));
    co_return !(co_await api.get_opt("a")).has_value();
  });
  CHECK(gone);
}

TEST_CASE("a deleted object takes no new finalizer", "[scenario]") {
  Scenario s("sc-nofinalizer");
  const auto refused = s.failure_of([&]() -> awaitable<void> {
    auto api = s.api(config_maps);
    object body = config_map("a");
    body["metadata"].as_object()["finalizers"] = boost::json::array{"scenarios.kopp.example/hold"};
    co_await api.create(body);
    co_await api.delete_("a");
    co_await api.patch(
        "a", merge(R"({"metadata":{"finalizers":["scenarios.kopp.example/hold","scenarios.kopp.example/more"]}})"));
  });
  CHECK(refused.status == 422);
  CHECK(refused.reason == "Invalid");
  CHECK(refused.message.find("no new finalizers can be added if the object is being deleted") != std::string::npos);
}

TEST_CASE("background deletion collects the dependents", "[scenario]") {
  Scenario s("sc-gc-background");
  s.run([&]() -> awaitable<void> {
    auto api = s.api(config_maps);
    const object owner = co_await api.create(config_map("owner"));
    co_await api.create(child_of("child", owner));
    co_await api.delete_("owner", kopp::DeleteParams().propagation(kopp::PropagationPolicy::background));
  });
  CHECK(s.eventually(
      [&]() -> awaitable<bool> { co_return !(co_await s.api(config_maps).get_opt("child")).has_value(); }));
}

TEST_CASE("orphan deletion leaves the dependents without the owner reference", "[scenario]") {
  Scenario s("sc-gc-orphan");
  s.run([&]() -> awaitable<void> {
    auto api = s.api(config_maps);
    const object owner = co_await api.create(config_map("owner"));
    co_await api.create(child_of("child", owner));
    co_await api.delete_("owner", kopp::DeleteParams().propagation(kopp::PropagationPolicy::orphan));
  });
  CHECK(s.eventually([&]() -> awaitable<bool> {
    const auto child = co_await s.api(config_maps).get_opt("child");
    const auto owner = co_await s.api(config_maps).get_opt("owner");
    co_return child&& at(*child, {"metadata", "ownerReferences"}) == "<missing>" && !owner;
  }));
}

TEST_CASE("foreground deletion removes the dependents, then the owner", "[scenario]") {
  Scenario s("sc-gc-foreground");
  const object answer = s.run([&]() -> awaitable<object> {
    auto api = s.api(config_maps);
    const object owner = co_await api.create(config_map("owner"));
    co_await api.create(child_of("child", owner));
    co_return co_await api.delete_("owner", kopp::DeleteParams().propagation(kopp::PropagationPolicy::foreground));
  });
  // The answer is the owner held by the garbage collector's own finalizer.
  CHECK(at(answer, {"metadata", "finalizers"}) == R"(["foregroundDeletion"])");
  CHECK(at(answer, {"metadata", "deletionTimestamp"}) != "<missing>");
  CHECK(s.eventually([&]() -> awaitable<bool> {
    const auto child = co_await s.api(config_maps).get_opt("child");
    const auto owner = co_await s.api(config_maps).get_opt("owner");
    co_return !child && !owner;
  }));
}

TEST_CASE("a delete whose uid precondition fails is 409 and deletes nothing", "[scenario]") {
  Scenario s("sc-precondition");
  const auto refused = s.failure_of([&]() -> awaitable<void> {
    co_await s.api(config_maps).create(config_map("a"));
    const kopp::DeleteParams other_uid = kopp::DeleteParams().only_if_uid("00000000-0000-4000-8000-000000000000");
    co_await s.api(config_maps).delete_("a", other_uid);
  });
  CHECK(refused.status == 409);
  CHECK(refused.reason == "Conflict");
  // The real message ends with the stored uid: compare up to it.
  CHECK(refused.message.rfind("Operation cannot be fulfilled on ConfigMap \"a\": the UID in the precondition "
                              "(00000000-0000-4000-8000-000000000000) does not match the UID in record (",
                              0) == 0);
  const bool still_there = s.run([&]() -> awaitable<bool> {
    const auto found = co_await s.api(config_maps).get_opt("a");
    co_return found.has_value();
  });
  CHECK(still_there);
}

TEST_CASE("dry-run delete answers and deletes nothing", "[scenario]") {
  Scenario s("sc-drydelete");
  const bool kept = s.run([&]() -> awaitable<bool> {
    co_await s.api(config_maps).create(config_map("a"));
    kopp::DeleteParams dry;
    dry.dry_run = true;
    co_await s.api(config_maps).delete_("a", dry);
    co_return (co_await s.api(config_maps).get_opt("a")).has_value();
  });
  CHECK(kept);
}

TEST_CASE("delete collection deletes what the selector selects", "[scenario]") {
  Scenario s("sc-deletecollection");
  const auto left = s.run([&]() -> awaitable<std::vector<std::string>> {
    auto api = s.api(config_maps);
    co_await api.create(config_map("a", "v", json(R"({"doomed":"yes"})")));
    co_await api.create(config_map("b", "v", json(R"({"doomed":"yes"})")));
    co_await api.create(config_map("c"));
    co_await api.delete_collection(kopp::ListParams().labels("doomed=yes"));
    std::vector<std::string> names;
    const object list = co_await api.list(kopp::ListParams().labels("!doomed"));
    for (const auto& item : list.at("items").as_array()) names.push_back(at(item, {"metadata", "name"}));
    co_return names;
  });
  // kube-root-ca.crt is made in every namespace by kube-controller-manager; the fake makes
  // no such ConfigMap, and "c" is what both have.
  CHECK(std::count(left.begin(), left.end(), "c") == 1);
  CHECK(std::count(left.begin(), left.end(), "a") == 0);
  CHECK(std::count(left.begin(), left.end(), "b") == 0);
}

TEST_CASE("deleting a namespace deletes what is in it, then the namespace", "[scenario]") {
  Scenario s("sc-nsdelete");
  const std::string doomed = kopp_test::unique_name("sc-doomed");
  s.run([&]() -> awaitable<void> {
    kopp::DynamicApi all(s.client(), namespaces);
    co_await all.create(namespace_named(doomed));
    kopp::DynamicApi inside(s.client(), config_maps, doomed);
    co_await inside.create(config_map("a"));
    co_await all.delete_(doomed);
  });
  CHECK(s.eventually(
      [&]() -> awaitable<bool> {
        kopp::DynamicApi all(s.client(), namespaces);
        co_return !(co_await all.get_opt(doomed)).has_value();
      },
      std::chrono::seconds(120)));
}
