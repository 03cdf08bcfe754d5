#include "scenarios/scenario.hpp"

#include <cstdlib>
#include <mutex>

namespace scenario {

Scenario::Scenario(std::string_view prefix) : namespace_(kopp_test::unique_name(prefix)) {
  if (fake_backend()) {
    fake_ = std::make_unique<kopp::testing::FakeCluster>();
    client_ = fake_->client(io_.get_executor());
  } else {
    client_ = std::make_unique<kopp::Client>(io_.get_executor(), kopp_test::admin_config());
  }
  run([this]() -> awaitable<void> {
    kopp::DynamicApi all_namespaces(*client_, namespaces);
    co_await all_namespaces.create(namespace_named(namespace_));
  });
}

Scenario::~Scenario() {
  if (fake_) return;  // the fake cluster goes with the scenario
  try {
    run([this]() -> awaitable<void> {
      kopp::DynamicApi all_namespaces(*client_, namespaces);
      co_await all_namespaces.delete_(namespace_);
    });
  } catch (...) {
    // The namespace goes with the control plane; a failed cleanup must not hide the result.
  }
}

void Scenario::install_widgets() {
  // On the real backend the CRD is cluster-wide and installed once per process; each fake
  // cluster is new and gets its own.
  static std::mutex installing;
  static bool installed_on_real = false;
  std::lock_guard lock(installing);
  if (!fake_ && installed_on_real) return;
  const object schema = boost::json::parse(R"({
    "type": "object",
    "properties": {
      "spec": {"type": "object", "properties": {
        "size": {"type": "integer"},
        "replicas": {"type": "integer"},
        "ports": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
                  "items": {"type": "object", "required": ["name"],
                            "properties": {"name": {"type": "string"}, "port": {"type": "integer"}}}}}},
      "status": {"type": "object", "properties": {
        "ready": {"type": "boolean"}, "replicas": {"type": "integer"}}}}})")
                            .as_object();
  const object subresources = boost::json::parse(R"({"status": {}, "scale": {
    "specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.replicas"}})")
                                  .as_object();
  const object crd{
      {"apiVersion", "apiextensions.k8s.io/v1"},
      {"kind", "CustomResourceDefinition"},
      {"metadata", object{{"name", "widgets.scenarios.kopp.example"}}},
      {"spec", object{{"group", "scenarios.kopp.example"},
                      {"scope", "Namespaced"},
                      {"names", object{{"plural", "widgets"}, {"singular", "widget"}, {"kind", "Widget"}}},
                      {"versions", boost::json::array{object{{"name", "v1"},
                                                             {"served", true},
                                                             {"storage", true},
                                                             {"subresources", subresources},
                                                             {"schema", object{{"openAPIV3Schema", schema}}}}}}}}};
  run([&]() -> awaitable<void> {
    kopp::DynamicApi definitions(*client_, crds);
    // An earlier run against this control plane may have installed an older definition:
    // bring it to this one.
    const auto existing = co_await definitions.get_opt("widgets.scenarios.kopp.example");
    if (!existing) {
      co_await definitions.create(crd);
      co_return;
    }
    object updated = *existing;
    updated["spec"] = crd.at("spec");
    co_await definitions.replace(updated);
  });
  const bool established = eventually([&]() -> awaitable<bool> {
    kopp::DynamicApi definitions(*client_, crds);
    const auto found = co_await definitions.get("widgets.scenarios.kopp.example");
    const std::string conditions = at(found, {"status", "conditions"});
    if (conditions.find(R"("type":"Established","status":"True")") == std::string::npos) co_return false;
    // Established, and served: the first request to a new resource can still 404 briefly.
    kopp::DynamicApi probe(*client_, widgets, namespace_);
    co_await probe.list_page();
    co_return true;
  });
  REQUIRE(established);
  if (!fake_) installed_on_real = true;
}

void Scenario::compact() {
  if (fake_) {
    fake_->server().compact();
    return;
  }
  const char* binary = std::getenv("KOPP_CONTROLPLANE");
  const char* dir = std::getenv("KOPP_CONTROLPLANE_DIR");
  REQUIRE(binary);
  REQUIRE(dir);
  // Compacts etcd at its current revision and restarts kube-apiserver, so that its watch
  // cache starts from the compacted revision too.
  const std::string command = std::string("'") + binary + "' compact --dir '" + dir + "' >/dev/null";
  REQUIRE(std::system(command.c_str()) == 0);
  const bool serving = eventually([&]() -> awaitable<bool> {
    try {
      kopp::DynamicApi probe(*client_, config_maps, namespace_);
      co_await probe.list_page();
      co_return true;
    } catch (const std::exception&) {
      co_return false;
    }
  });
  REQUIRE(serving);
}

}  // namespace scenario
