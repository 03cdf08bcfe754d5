// What every write does to metadata, and the errors of conflicting or invalid writes: the
// same answers from the fake and the real API server.
#include "scenarios/scenario.hpp"

using namespace scenario;

TEST_CASE("create sets uid, creationTimestamp, resourceVersion and generation 1", "[scenario]") {
  Scenario s("sc-create");
  const object made =
      s.run([&]() -> awaitable<object> { co_return co_await s.api(config_maps).create(config_map("a")); });
  CHECK(at(made, {"metadata", "uid"}).size() == 36);
  CHECK(at(made, {"metadata", "creationTimestamp"}).size() == 20);  // RFC 3339, seconds, Z
  CHECK(std::stoull(at(made, {"metadata", "resourceVersion"})) > 0);
  CHECK(at(made, {"metadata", "namespace"}) == s.ns());
  CHECK(at(made, {"apiVersion"}) == "v1");
  CHECK(at(made, {"kind"}) == "ConfigMap");
}

TEST_CASE("the resourceVersion increases with every write", "[scenario]") {
  Scenario s("sc-rv");
  const auto versions = s.run([&]() -> awaitable<std::vector<std::uint64_t>> {
    auto api = s.api(config_maps);
    std::vector<std::uint64_t> seen;
    object current = co_await api.create(config_map("a"));
    seen.push_back(std::stoull(at(current, {"metadata", "resourceVersion"})));
    for (const char* value : {"one", "two"}) {
      current["data"].as_object()["k"] = value;
      current = co_await api.replace(current);
      seen.push_back(std::stoull(at(current, {"metadata", "resourceVersion"})));
    }
    co_return seen;
  });
  REQUIRE(versions.size() == 3);
  CHECK(versions[0] < versions[1]);
  CHECK(versions[1] < versions[2]);
}

TEST_CASE("a write that changes nothing keeps the resourceVersion", "[scenario]") {
  Scenario s("sc-noop");
  const auto [before, after] = s.run([&]() -> awaitable<std::pair<std::string, std::string>> {
    auto api = s.api(config_maps);
    const object made = co_await api.create(config_map("a"));
    const object same = co_await api.patch("a", merge(R"({"data":{"k":"v"}})"));
    co_return std::pair{at(made, {"metadata", "resourceVersion"}), at(same, {"metadata", "resourceVersion"})};
  });
  CHECK(before == after);
}

TEST_CASE("generation counts spec changes, not metadata changes", "[scenario]") {
  Scenario s("sc-generation");
  const auto generations = s.run([&]() -> awaitable<std::vector<std::string>> {
    auto api = s.api(deployments);
    std::vector<std::string> seen;
    const object made = co_await api.create(deployment("web", 1));
    seen.push_back(at(made, {"metadata", "generation"}));
    const object labelled = co_await api.patch("web", merge(R"({"metadata":{"labels":{"team":"a"}}})"));
    seen.push_back(at(labelled, {"metadata", "generation"}));
    const object scaled = co_await api.patch("web", merge(R"({"spec":{"replicas":3}})"));
    seen.push_back(at(scaled, {"metadata", "generation"}));
    co_return seen;
  });
  CHECK(generations == std::vector<std::string>{"1", "1", "2"});
}

TEST_CASE("the main resource ignores status; the status subresource ignores the rest", "[scenario]") {
  Scenario s("sc-status");
  s.install_widgets();
  const auto [main_write, status_write] = s.run([&]() -> awaitable<std::pair<object, object>> {
    auto api = s.api(widgets);
    object made = widget("w", 1);
    made["status"] = object{{"ready", true}};
    made = co_await api.create(made);
    const object main = co_await api.patch("w", merge(R"({"spec":{"size":2},"status":{"ready":true}})"));
    const object status =
        co_await api.patch_subresource("status", "w", merge(R"({"spec":{"size":9},"status":{"ready":false}})"));
    co_return std::pair{main, status};
  });
  CHECK(at(main_write, {"status"}) == "<missing>");  // neither the create nor the main write set it
  CHECK(at(main_write, {"spec", "size"}) == "2");
  CHECK(at(main_write, {"metadata", "generation"}) == "2");
  CHECK(at(status_write, {"status", "ready"}) == "false");
  CHECK(at(status_write, {"spec", "size"}) == "2");
  CHECK(at(status_write, {"metadata", "generation"}) == "2");  // a status write is not a spec change
}

TEST_CASE("an update with a stale resourceVersion conflicts; one without is unconditional", "[scenario]") {
  Scenario s("sc-conflict");
  object stale;
  const auto conflict = s.failure_of([&]() -> awaitable<void> {
    auto api = s.api(config_maps);
    stale = co_await api.create(config_map("a"));
    object fresh = stale;
    fresh["data"].as_object()["k"] = "fresh";
    co_await api.replace(fresh);
    stale["data"].as_object()["k"] = "stale";
    co_await api.replace(stale);
  });
  CHECK(conflict.status == 409);
  CHECK(conflict.reason == "Conflict");
  CHECK(conflict.message ==
        "Operation cannot be fulfilled on configmaps \"a\": the object has been modified; please apply your changes "
        "to the latest version and try again");
  const object forced = s.run([&]() -> awaitable<object> {
    stale["metadata"].as_object().erase("resourceVersion");
    co_return co_await s.api(config_maps).replace(stale);
  });
  CHECK(at(forced, {"data", "k"}) == "stale");
}

TEST_CASE("reading a missing object is 404 NotFound", "[scenario]") {
  Scenario s("sc-notfound");
  const auto missing = s.failure_of([&]() -> awaitable<void> { co_await s.api(config_maps).get("nothing"); });
  CHECK(missing.status == 404);
  CHECK(missing.reason == "NotFound");
  CHECK(missing.message == "configmaps \"nothing\" not found");
}

TEST_CASE("creating an existing name is 409 AlreadyExists", "[scenario]") {
  Scenario s("sc-exists");
  const auto duplicate = s.failure_of([&]() -> awaitable<void> {
    co_await s.api(config_maps).create(config_map("a"));
    co_await s.api(config_maps).create(config_map("a"));
  });
  CHECK(duplicate.status == 409);
  CHECK(duplicate.reason == "AlreadyExists");
  CHECK(duplicate.message == "configmaps \"a\" already exists");
}

TEST_CASE("a name that is not a DNS subdomain is 422 Invalid", "[scenario]") {
  Scenario s("sc-badname");
  const auto bad =
      s.failure_of([&]() -> awaitable<void> { co_await s.api(config_maps).create(config_map("Bad_Name")); });
  CHECK(bad.status == 422);
  CHECK(bad.reason == "Invalid");
  CHECK(bad.message.rfind("ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a lowercase "
                          "RFC 1123 subdomain",
                          0) == 0);
}

TEST_CASE("generateName makes a name of the prefix and five characters", "[scenario]") {
  Scenario s("sc-generate");
  const std::string name = s.run([&]() -> awaitable<std::string> {
    object body = config_map("");
    body["metadata"].as_object().erase("name");
    body["metadata"].as_object()["generateName"] = "job-";
    const object made = co_await s.api(config_maps).create(body);
    co_return at(made, {"metadata", "name"});
  });
  CHECK(name.size() == 9);
  CHECK(name.rfind("job-", 0) == 0);
}

TEST_CASE("creating in a namespace that does not exist is 404", "[scenario]") {
  Scenario s("sc-nons");
  const auto missing = s.failure_of([&]() -> awaitable<void> {
    kopp::DynamicApi elsewhere(s.client(), config_maps, "no-such-namespace-kopp");
    co_await elsewhere.create(config_map("a"));
  });
  CHECK(missing.status == 404);
  CHECK(missing.reason == "NotFound");
  CHECK(missing.message == "namespaces \"no-such-namespace-kopp\" not found");
}

TEST_CASE("dry-run create answers with the object and stores nothing", "[scenario]") {
  Scenario s("sc-dryrun");
  const auto [answered, stored] = s.run([&]() -> awaitable<std::pair<std::string, bool>> {
    kopp::PostParams dry;
    dry.dry_run = true;
    const object made = co_await s.api(config_maps).create(config_map("a"), dry);
    const auto found = co_await s.api(config_maps).get_opt("a");
    co_return std::pair{at(made, {"metadata", "name"}), found.has_value()};
  });
  CHECK(answered == "a");
  CHECK_FALSE(stored);
}

TEST_CASE("a body whose namespace differs from the URL's is 400", "[scenario]") {
  Scenario s("sc-nsmismatch");
  const auto mismatch = s.failure_of([&]() -> awaitable<void> {
    object body = config_map("a");
    body["metadata"].as_object()["namespace"] = "kube-system";
    kopp::DynamicApi here(s.client(), config_maps, s.ns());
    co_await here.replace(body);
  });
  // PUT of an object that does not exist in this namespace; the real server checks the
  // namespace first.
  CHECK(mismatch.status == 400);
  CHECK(mismatch.reason == "BadRequest");
}
