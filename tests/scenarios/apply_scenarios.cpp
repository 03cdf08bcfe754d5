// Server-side apply, strategic merge patch, the scale subresource and dry-run updates: the
// writes whose merge rules live in the server (field ownership, patch strategies, list
// types), so that the fake must reproduce them rather than the client.
#include "scenarios/scenario.hpp"

using namespace scenario;

namespace {

/// The managedFields entries as "manager operation[ subresource]".
std::vector<std::string> managers_of(const object& made) {
  std::vector<std::string> seen;
  const auto* fields = made.at("metadata").as_object().if_contains("managedFields");
  if (!fields) return seen;
  for (const auto& entry : fields->as_array()) {
    std::string line = at(entry, {"manager"}) + " " + at(entry, {"operation"});
    if (const auto subresource = at(entry, {"subresource"}); subresource != "<missing>") line += " " + subresource;
    seen.push_back(line);
  }
  std::sort(seen.begin(), seen.end());
  return seen;
}

/// A ConfigMap apply configuration with the given data (JSON text).
object applied_config_map(std::string_view data) {
  object configuration = json(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}})");
  configuration["data"] = json(data);
  return configuration;
}

/// Applies `configuration` as `manager` (forced when `force`).
awaitable<object> apply_as(kopp::DynamicApi api, std::string manager, object configuration, bool force = false) {
  kopp::PatchParams params = kopp::PatchParams::apply(std::move(manager));
  params.force = force;
  const std::string name = at(configuration, {"metadata", "name"});
  const kopp::Patch patch = kopp::Patch::apply(std::move(configuration));
  co_return co_await api.patch(name, patch, params);
}

object widget_ports(std::string_view ports) {
  object configuration = json(R"({"apiVersion":"scenarios.kopp.example/v1","kind":"Widget","metadata":{"name":"w"}})");
  object spec;
  spec["ports"] = boost::json::parse(ports);
  configuration["spec"] = std::move(spec);
  return configuration;
}

}  // namespace

TEST_CASE("server-side apply creates the object and records its manager", "[scenario]") {
  Scenario s("sc-apply-create");
  const object made = s.run([&]() -> awaitable<object> {
    co_return co_await apply_as(s.api(config_maps), "alice", applied_config_map(R"({"k":"v"})"));
  });
  CHECK(at(made, {"data", "k"}) == "v");
  CHECK(at(made, {"metadata", "uid"}).size() == 36);
  CHECK(managers_of(made) == std::vector<std::string>{"alice Apply"});
}

TEST_CASE("re-applying without a field removes it", "[scenario]") {
  Scenario s("sc-apply-remove");
  const object reapplied = s.run([&]() -> awaitable<object> {
    co_await apply_as(s.api(config_maps), "alice", applied_config_map(R"({"k":"v","gone":"x"})"));
    co_return co_await apply_as(s.api(config_maps), "alice", applied_config_map(R"({"k":"v"})"));
  });
  CHECK(at(reapplied, {"data"}) == R"({"k":"v"})");
}

TEST_CASE("applying a value another manager owns conflicts; force takes the field over", "[scenario]") {
  Scenario s("sc-apply-conflict");
  const auto conflict = s.failure_of([&]() -> awaitable<void> {
    co_await apply_as(s.api(config_maps), "alice", applied_config_map(R"({"k":"alice"})"));
    co_await apply_as(s.api(config_maps), "bob", applied_config_map(R"({"k":"bob"})"));
  });
  CHECK(conflict.status == 409);
  CHECK(conflict.reason == "Conflict");
  CHECK(conflict.message == "Apply failed with 1 conflict: conflict with \"alice\": .data.k");
  const object forced = s.run([&]() -> awaitable<object> {
    co_return co_await apply_as(s.api(config_maps), "bob", applied_config_map(R"({"k":"bob"})"), true);
  });
  CHECK(at(forced, {"data", "k"}) == "bob");
  // alice owned nothing else, so her entry goes with the field.
  CHECK(managers_of(forced) == std::vector<std::string>{"bob Apply"});
}

TEST_CASE("two managers applying the same value share the field", "[scenario]") {
  Scenario s("sc-apply-share");
  const auto [shared, kept] = s.run([&]() -> awaitable<std::pair<object, object>> {
    co_await apply_as(s.api(config_maps), "alice", applied_config_map(R"({"k":"same","a":"1"})"));
    const object both = co_await apply_as(s.api(config_maps), "bob", applied_config_map(R"({"k":"same"})"));
    // alice gives up k: bob still owns it, so it stays.
    const object after = co_await apply_as(s.api(config_maps), "alice", applied_config_map(R"({"a":"1"})"));
    co_return std::pair{both, after};
  });
  CHECK(managers_of(shared) == std::vector<std::string>{"alice Apply", "bob Apply"});
  CHECK(at(kept, {"data"}) == R"({"a":"1","k":"same"})");
}

TEST_CASE("server-side apply to the status subresource sets status only", "[scenario]") {
  Scenario s("sc-apply-status");
  s.install_widgets();
  const object applied = s.run([&]() -> awaitable<object> {
    co_await s.api(widgets).create(widget("w", 1));
    object configuration = widget("w", 7);  // the spec is ignored by the status subresource
    configuration["status"] = json(R"({"ready":true})");
    const kopp::Patch patch = kopp::Patch::apply(std::move(configuration));
    co_return co_await s.api(widgets).patch_subresource("status", "w", patch,
                                                        kopp::PatchParams::apply("status-writer"));
  });
  CHECK(at(applied, {"status", "ready"}) == "true");
  CHECK(at(applied, {"spec", "size"}) == "1");
  CHECK(at(applied, {"metadata", "generation"}) == "1");
  const auto managers = managers_of(applied);
  CHECK(std::find(managers.begin(), managers.end(), "status-writer Apply status") != managers.end());
}

TEST_CASE("a list-type map merges the entries two managers apply, keyed by name", "[scenario]") {
  Scenario s("sc-apply-listmap");
  s.install_widgets();
  const object merged = s.run([&]() -> awaitable<object> {
    co_await apply_as(s.api(widgets), "alice", widget_ports(R"([{"name":"http","port":80}])"));
    co_await apply_as(s.api(widgets), "bob", widget_ports(R"([{"name":"metrics","port":9090}])"));
    co_return co_await apply_as(s.api(widgets), "alice", widget_ports(R"([{"name":"http","port":8080}])"));
  });
  CHECK(at(merged, {"spec", "ports"}) == R"([{"name":"http","port":8080},{"name":"metrics","port":9090}])");
}

TEST_CASE("a strategic merge patch merges a Deployment's containers by name", "[scenario]") {
  Scenario s("sc-smp");
  const object patched = s.run([&]() -> awaitable<object> {
    auto api = s.api(deployments);
    co_await api.create(deployment("web", 1));
    const kopp::Patch sidecar = kopp::Patch::strategic(json(
        R"({"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"registry.invalid/side:1"}]}}}})"));
    co_await api.patch("web", sidecar);
    const kopp::Patch upgrade = kopp::Patch::strategic(
        json(R"({"spec":{"template":{"spec":{"containers":[{"name":"web","image":"registry.invalid/web:2"}]}}}})"));
    co_return co_await api.patch("web", upgrade);
  });
  std::vector<std::string> containers;
  for (const auto& c : patched.at("spec").at("template").at("spec").at("containers").as_array())
    containers.push_back(at(c, {"name"}) + "=" + at(c, {"image"}));
  std::sort(containers.begin(), containers.end());
  CHECK(containers == std::vector<std::string>{"sidecar=registry.invalid/side:1", "web=registry.invalid/web:2"});
  CHECK(at(patched, {"metadata", "generation"}) == "3");
}

TEST_CASE("a Deployment's scale subresource reads and writes spec.replicas", "[scenario]") {
  Scenario s("sc-scale-deploy");
  const auto [scale, scaled, after] = s.run([&]() -> awaitable<std::tuple<object, object, object>> {
    auto api = s.api(deployments);
    co_await api.create(deployment("web", 2));
    object read = co_await api.get_subresource("scale", "web");
    object wanted = read;
    wanted["spec"].as_object()["replicas"] = 5;
    // Unconditional: the real Deployment controller writes the status meanwhile.
    wanted["metadata"].as_object().erase("resourceVersion");
    const object written = co_await api.replace_subresource("scale", wanted);
    const object deployed = co_await api.get("web");
    co_return std::tuple{read, written, deployed};
  });
  CHECK(at(scale, {"apiVersion"}) == "autoscaling/v1");
  CHECK(at(scale, {"kind"}) == "Scale");
  CHECK(at(scale, {"spec", "replicas"}) == "2");
  CHECK(at(scaled, {"spec", "replicas"}) == "5");
  CHECK(at(after, {"spec", "replicas"}) == "5");
  CHECK(at(after, {"metadata", "generation"}) == "2");
}

TEST_CASE("a custom resource's scale subresource follows its replica paths", "[scenario]") {
  Scenario s("sc-scale-widget");
  s.install_widgets();
  const auto [scale, after] = s.run([&]() -> awaitable<std::pair<object, object>> {
    auto api = s.api(widgets);
    object made = widget("w", 1);
    made["spec"].as_object()["replicas"] = 2;
    co_await api.create(made);
    co_await api.patch_subresource("status", "w", merge(R"({"status":{"replicas":1}})"));
    const object read = co_await api.get_subresource("scale", "w");
    co_await api.patch_subresource("scale", "w", merge(R"({"spec":{"replicas":4}})"));
    co_return std::pair{read, co_await api.get("w")};
  });
  CHECK(at(scale, {"kind"}) == "Scale");
  CHECK(at(scale, {"spec", "replicas"}) == "2");
  CHECK(at(scale, {"status", "replicas"}) == "1");
  CHECK(at(after, {"spec", "replicas"}) == "4");
  CHECK(at(after, {"metadata", "generation"}) == "2");
}

TEST_CASE("a custom resource's generation counts spec changes only", "[scenario]") {
  Scenario s("sc-widget-generation");
  s.install_widgets();
  const auto generations = s.run([&]() -> awaitable<std::vector<std::string>> {
    auto api = s.api(widgets);
    std::vector<std::string> seen;
    const object made = co_await api.create(widget("w", 1));
    seen.push_back(at(made, {"metadata", "generation"}));
    const object labelled = co_await api.patch("w", merge(R"({"metadata":{"labels":{"a":"b"}}})"));
    seen.push_back(at(labelled, {"metadata", "generation"}));
    const object ready = co_await api.patch_subresource("status", "w", merge(R"({"status":{"ready":true}})"));
    seen.push_back(at(ready, {"metadata", "generation"}));
    const object resized = co_await api.patch("w", merge(R"({"spec":{"size":2}})"));
    seen.push_back(at(resized, {"metadata", "generation"}));
    co_return seen;
  });
  CHECK(generations == std::vector<std::string>{"1", "1", "1", "2"});
}

TEST_CASE("dry-run update answers with the change and stores nothing", "[scenario]") {
  Scenario s("sc-dryrun-update");
  const auto [answer, stored] = s.run([&]() -> awaitable<std::pair<object, object>> {
    auto api = s.api(config_maps);
    object current = co_await api.create(config_map("a"));
    current["data"].as_object()["k"] = "dry";
    kopp::PostParams dry;
    dry.dry_run = true;
    const object replied = co_await api.replace(current, dry);
    co_return std::pair{replied, co_await api.get("a")};
  });
  CHECK(at(answer, {"data", "k"}) == "dry");
  CHECK(at(stored, {"data", "k"}) == "v");
  CHECK(at(answer, {"metadata", "uid"}) == at(stored, {"metadata", "uid"}));
}

TEST_CASE("a watch on a custom resource sees it added, modified and deleted", "[scenario]") {
  Scenario s("sc-widget-watch");
  s.install_widgets();
  const auto events = s.run([&]() -> awaitable<std::vector<std::string>> {
    auto api = s.api(widgets);
    const object empty = co_await api.list_page();
    kopp::ListParams from;
    from.resource_version = at(empty, {"metadata", "resourceVersion"});
    auto watch = co_await api.watch(from);
    co_await api.create(widget("w", 1));
    co_await api.patch("w", merge(R"({"spec":{"size":2}})"));
    co_await api.delete_("w");
    std::vector<std::string> seen;
    while (seen.size() < 3) {
      auto event = co_await watch.next();
      if (!event) break;
      seen.push_back(std::string(kopp::to_string(event->type)) + " " + at(event->object, {"spec", "size"}));
    }
    co_return seen;
  });
  CHECK(events == std::vector<std::string>{"ADDED 1", "MODIFIED 2", "DELETED 2"});
}
