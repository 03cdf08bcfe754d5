#pragma once
// The files `kopp create api` writes for one kind, and the lines it registers them with.
// {{key}}: the project's (name, ident, IDENT, domain) and the kind's: group (cache),
// fqgroup (cache.example.com), version, kind (Memcached), kind_lower (memcached), plural,
// scope (namespaced or cluster).

#include <string_view>

namespace kopp_scaffold::templates {

inline constexpr std::string_view kind_types_hpp = R"kopp(#pragma once
// {{kind}} ({{fqgroup}}/{{version}}), declared once in C++: these described structs are the
// JSON the operator reads and writes, and the OpenAPI schema of the CRD that every build
// writes to config/crd/bases/{{fqgroup}}_{{plural}}.yaml (src/api/{{hub}}/{{kind_lower}}_crd.cpp).
//
// Make it yours: add members to the spec (what a user asks for) and the status (what the
// controller observed), list them in BOOST_DESCRIBE_STRUCT, and give them validation and
// defaults with KOPP_CRD_FIELDS (kopp/core/crd/field_rules.hpp): the API server then
// enforces them before the controller sees an object.

#include <kopp/core.hpp>
#include <kopp/core/crd/field_rules.hpp>

#include <boost/describe/class.hpp>
#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {{ident}}::{{version}} {

struct {{kind}}Spec {
  /// An example field: replace it with what a user of {{kind}} asks for.
  std::string foo;

  friend bool operator==(const {{kind}}Spec&, const {{kind}}Spec&) = default;
};
BOOST_DESCRIBE_STRUCT({{kind}}Spec, (), (foo))
KOPP_CRD_FIELDS({{kind}}Spec, kopp::crd::field("foo").description("An example field.").max_length(253))
KOPP_CRD_DOC({{kind}}Spec, "The desired state of a {{kind}}.")

struct {{kind}}Status {
  /// What the controller observed; Available once a reconcile of the current spec succeeded.
  std::vector<kopp::Condition> conditions;

  friend bool operator==(const {{kind}}Status&, const {{kind}}Status&) = default;
};
BOOST_DESCRIBE_STRUCT({{kind}}Status, (), (conditions))
KOPP_CRD_FIELDS({{kind}}Status, kopp::crd::field("conditions")
                                    .description("The latest observations of the {{kind}}'s state.")
                                    .list_type("map")
                                    .list_map_keys({"type"}))
KOPP_CRD_DOC({{kind}}Status, "The observed state of a {{kind}}.")

struct {{kind}} {
  std::string apiVersion;
  std::string kind;
  kopp::ObjectMeta metadata;
  {{kind}}Spec spec;
  std::optional<{{kind}}Status> status;
  /// Fields of a newer version of the CRD survive a read-modify-write.
  kopp::UnknownFields unknown_fields;
};
BOOST_DESCRIBE_STRUCT({{kind}}, (), (apiVersion, kind, metadata, spec, status, unknown_fields))
KOPP_RESOURCE({{kind}}, "{{fqgroup}}", "{{version}}", "{{kind}}", "{{plural}}", {{scope}})
KOPP_CRD_DOC({{kind}}, "A {{kind}}, reconciled by {{name}}.")

/// The condition the controller sets once it reconciled the current spec.
inline constexpr std::string_view condition_available = "Available";
{{crd_declaration}}
}  // namespace {{ident}}::{{version}}
)kopp";

/// The kind's first version declares its CRD (a later version is one more in its list).
inline constexpr std::string_view kind_crd_declaration = R"kopp(
/// The CustomResourceDefinition of {{kind}}, generated from the types above (and those of
/// its other versions, if any).
[[nodiscard]] boost::json::object {{kind_lower}}_crd_definition();
)kopp";

inline constexpr std::string_view kind_crd_cpp = R"kopp(#include <{{ident}}/api/{{version}}/{{kind_lower}}.hpp>
// kopp:scaffold:{{kind_lower}}-version-includes

#include <kopp/core/crd.hpp>

namespace {{ident}}::{{version}} {

// The schema comes from the types; add short names, printer columns (kubectl get) and more
// here (kopp/core/crd/definition.hpp). `kopp create api` for another version of {{kind}}
// adds it to the list; {{version}} stays the version the API server stores.
boost::json::object {{kind_lower}}_crd_definition() {
  using kopp::crd::column_type;
  using kopp::crd::PrinterColumn;
  return kopp::crd::custom_resource_definition<{{kind}}
                                               // kopp:scaffold:{{kind_lower}}-versions
                                               >()
      .storage<{{kind}}>()
      // kopp:scaffold:{{kind_lower}}-conversion
      .printer_column(
          PrinterColumn("Available", column_type::string, ".status.conditions[?(@.type==\"Available\")].status"))
      .printer_column(PrinterColumn("Age", column_type::date, ".metadata.creationTimestamp"))
      .build();
}

}  // namespace {{ident}}::{{version}}
)kopp";

inline constexpr std::string_view kind_controller_hpp = R"kopp(#pragma once
// The {{kind}} controller: reconciles each {{kind}} ({{fqgroup}}/{{version}}) until the
// cluster matches its spec, then reports it in status.

#include <{{ident}}/api/{{version}}/{{kind_lower}}.hpp>

#include <kopp/runtime/controller/controller.hpp>
#include <kopp/runtime/manager/manager.hpp>

#include <boost/asio/awaitable.hpp>

#include <memory>

namespace {{ident}} {

class {{kind}}Reconciler : public kopp::Reconciler<{{version}}::{{kind}}> {
 public:
  boost::asio::awaitable<kopp::Action> reconcile(std::shared_ptr<const {{version}}::{{kind}}> object,
                                                 kopp::Context& ctx) override;
};

/// Builds the {{kind}} controller on `manager` (src/setup.cpp calls it): what it watches and
/// how many reconciles run at once.
std::shared_ptr<kopp::Controller<{{version}}::{{kind}}>> add_{{kind_lower}}_controller(kopp::Manager& manager);

}  // namespace {{ident}}
)kopp";

inline constexpr std::string_view kind_controller_cpp = R"kopp(#include <{{ident}}/{{kind_lower}}_controller.hpp>

#include <kopp/client/api.hpp>
#include <kopp/runtime/controller/object_helpers.hpp>

#include <utility>

namespace {{ident}} {

using {{version}}::{{kind}};

// Called for every change of a {{kind}} (and of what the controller watches for it), and
// again after a failure, with backoff. It must be idempotent: look at the cluster, change
// what differs from the spec, report. kopp runs one reconcile per object at a time.
boost::asio::awaitable<kopp::Action> {{kind}}Reconciler::reconcile(std::shared_ptr<const {{kind}}> object,
                                                                  kopp::Context& ctx) {
  // TODO: make the cluster match object->spec here. For example, server-side apply the
  // objects the {{kind}} owns:
  //   kopp::Api<Deployment> deployments(ctx.client(), object->metadata.namespace_);
  //   co_await deployments.apply(desired_deployment(*object), apply_params);
  // with a controller reference (kopp::set_controller_reference) and .owns<Deployment>() in
  // add_{{kind_lower}}_controller below, so that their changes bring the {{kind}} back here and
  // they are deleted with it. Throwing retries the reconcile with backoff.

  // Report: Available, for the generation this reconcile acted on.
  {{version}}::{{kind}}Status status = object->status.value_or({{version}}::{{kind}}Status());
  kopp::set_status_condition(status.conditions,
                             kopp::make_condition({{version}}::condition_available, kopp::condition_true,
                                                  "Reconciled", "The {{kind}} is reconciled.",
                                                  object->metadata.generation),
                             kopp::Time::now());
  kopp::Api<{{kind}}> api(ctx.client(), object->metadata.namespace_);
  co_await kopp::patch_status(api, *object, std::move(status));  // sends nothing when unchanged
  co_return kopp::Action::done();
}

std::shared_ptr<kopp::Controller<{{kind}}>> add_{{kind_lower}}_controller(kopp::Manager& manager) {
  return manager.controller<{{kind}}>("{{kind_lower}}")
      // .owns<Deployment>()          // objects it creates, with a controller reference
      // .permits<Secret>({"get"})    // other calls reconcile() makes
      // .max_concurrent_reconciles(2)
      // What this declares is also the operator's RBAC: every build writes the ClusterRole it
      // implies to config/rbac/role.yaml (rbac_manifest() in src/setup.cpp).
      .build(std::make_shared<{{kind}}Reconciler>());
}

}  // namespace {{ident}}
)kopp";

inline constexpr std::string_view kind_unit_test_cpp =
    R"kopp(// The {{kind}} controller on kopp's in-memory cluster (kopp/testing/fake_cluster.hpp): the
// controllers main() registers run in a Manager whose client talks to a FakeCluster, and
// the test acts as a user would, then waits for the controller's answer. No API server,
// no network: milliseconds.
#include <{{ident}}/api/{{version}}/{{kind_lower}}.hpp>
#include <{{ident}}/setup.hpp>

#include <kopp/client.hpp>
#include <kopp/testing/eventually.hpp>
#include <kopp/testing/fake_cluster.hpp>
#include <kopp/testing/manager_thread.hpp>

#include <catch2/catch.hpp>

#include <string>

using {{ident}}::{{version}}::{{kind}};

TEST_CASE("{{kind}}: a new {{kind}} becomes Available", "[{{kind_lower}}]") {
  kopp::testing::FakeCluster cluster;
  for (const auto& crd : {{ident}}::crd_definitions()) cluster.create(crd);
  kopp::ManagerOptions options;
  options.transport = cluster.transport_factory();
  options.handle_signals = false;
  kopp::Manager manager(kopp::testing::FakeCluster::config(), options);
  {{ident}}::add_controllers(manager);
  kopp::testing::ManagerThread running(manager);  // stops the manager before the cluster goes
  REQUIRE(running.wait_ready());

  const {{kind}} ready = cluster.with_client([](kopp::Client& client) -> boost::asio::awaitable<{{kind}}> {
    kopp::Api<{{kind}}> api(client, "default");
    {{kind}} object;
    object.metadata.name = "sample";
    object.spec.foo = "bar";
    co_await api.create(object);
    const std::string available({{ident}}::{{version}}::condition_available);
    co_return co_await kopp::testing::wait_for_condition(api, "sample", available);
  });
  REQUIRE(ready.status.has_value());
  const kopp::Condition* available =
      kopp::find_status_condition(ready.status->conditions, {{ident}}::{{version}}::condition_available);
  REQUIRE(available != nullptr);
  CHECK(available->observedGeneration == ready.metadata.generation);
}
)kopp";

inline constexpr std::string_view kind_e2e_test_cpp =
    R"kopp(// The {{kind}} controller end to end: a real kube-apiserver (kopp's local control plane,
// which ctest starts: kopp_add_controlplane_test in CMakeLists.txt) with the CRD installed,
// and the controllers running as the operator's ServiceAccount bound to
// config/rbac/role.yaml's ClusterRole, so a permission the role lacks fails here.
#include <{{ident}}/api/{{version}}/{{kind_lower}}.hpp>
#include <{{ident}}/setup.hpp>

#include <kopp/client.hpp>
#include <kopp/client/kubeconfig.hpp>
#include <kopp/testing/control_plane.hpp>
#include <kopp/testing/eventually.hpp>
#include <kopp/testing/manager_thread.hpp>
#include <kopp/testing/run.hpp>

#include <boost/asio/this_coro.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <system_error>

using {{ident}}::{{version}}::{{kind}};

namespace {
struct RemovedAtExit {
  std::filesystem::path path;
  ~RemovedAtExit() {
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
  }
};
}  // namespace

TEST_CASE("{{kind}}: the controller reconciles on a real API server, with the role of config/rbac",
          "[e2e][{{kind_lower}}]") {
  const char* config_dir = std::getenv("OPERATOR_CONFIG_DIR");
  REQUIRE(config_dir != nullptr);  // set by ctest
  const kopp::testing::ControlPlane plane = kopp::testing::ControlPlane::attach();
  const std::string suffix = std::to_string(std::random_device()() % 1000000);
  const std::string ns = "e2e-{{kind_lower}}-" + suffix;

  // The operator's ServiceAccount, bound to the ClusterRole it is deployed with. Its
  // kubeconfig holds a token: removed when the test ends, however it ends.
  const std::filesystem::path kubeconfig = plane.service_account_kubeconfig(
      ns, "controller-manager", std::filesystem::temp_directory_path() / (ns + ".kubeconfig"));
  const RemovedAtExit kubeconfig_removed{kubeconfig};
  plane.kubectl({"apply", "--server-side", "-f", std::string(config_dir) + "/rbac/role.yaml"});
  plane.kubectl({"create", "clusterrolebinding", ns, "--clusterrole=manager-role",
                 "--serviceaccount=" + ns + ":controller-manager"});

  kopp::KubeconfigOptions as_operator;
  as_operator.path = kubeconfig;
  kopp::ManagerOptions options;
  options.handle_signals = false;
  kopp::Manager manager(kopp::load_kubeconfig(as_operator), options);
  {{ident}}::add_controllers(manager);
  kopp::testing::ManagerThread running(manager);
  REQUIRE(running.wait_ready(std::chrono::seconds(30)));

  const std::string name = "sample-" + suffix;
  const {{kind}} ready = plane.with_client([&](kopp::Client& client) -> boost::asio::awaitable<{{kind}}> {
    kopp::Api<{{kind}}> api(client, ns);
    {{kind}} object;
    object.metadata.name = name;
    object.spec.foo = "bar";
    co_await api.create(object);
    const std::string available({{ident}}::{{version}}::condition_available);
    co_return co_await kopp::testing::wait_for_condition(api, name, available, "True", std::chrono::seconds(30));
  });
  REQUIRE(ready.status.has_value());
  const kopp::Condition* available =
      kopp::find_status_condition(ready.status->conditions, {{ident}}::{{version}}::condition_available);
  REQUIRE(available != nullptr);
  CHECK(available->observedGeneration == ready.metadata.generation);

  // By version: a resource name without one means the preferred version, which may be
  // another version of {{kind}}, reached through a conversion webhook.
  plane.kubectl({"delete", "{{plural}}.{{version}}.{{fqgroup}}", name, "-n", ns, "--wait=false"});
  plane.kubectl({"delete", "namespace", ns, "--wait=false"});
  plane.kubectl({"delete", "clusterrolebinding", ns});
}
)kopp";

inline constexpr std::string_view kind_sample_yaml = R"kopp(apiVersion: {{fqgroup}}/{{version}}
kind: {{kind}}
metadata:
  name: {{kind_lower}}-sample
spec:
  foo: bar
)kopp";

// --- registrations (inserted before the marker lines of the init templates) -------------

inline constexpr std::string_view register_cmake =
    R"kopp(# {{kind}} ({{fqgroup}}/{{version}}), added by `kopp create api`.
target_sources({{ident}}_lib PRIVATE src/{{kind_lower}}_controller.cpp src/api/{{version}}/{{kind_lower}}_crd.cpp)
kopp_add_crd({{kind_lower}}-crd-gen
  FUNCTION {{ident}}::{{version}}::{{kind_lower}}_crd_definition
  HEADER {{ident}}/api/{{version}}/{{kind_lower}}.hpp
  LINK {{ident}}_lib
  OUTPUT config/crd/bases/{{fqgroup}}_{{plural}}.yaml
  TEST_NAME {{kind_lower}}.crd_up_to_date
  TEST_LABELS unit)
add_dependencies(manifests {{kind_lower}}-crd-gen_update)
list(APPEND OPERATOR_CRDS ${CMAKE_CURRENT_SOURCE_DIR}/config/crd/bases/{{fqgroup}}_{{plural}}.yaml)
list(APPEND OPERATOR_UNIT_TESTS tests/{{kind_lower}}_controller_test.cpp)
list(APPEND OPERATOR_E2E_TESTS tests/e2e/{{kind_lower}}_e2e_test.cpp)

)kopp";

inline constexpr std::string_view register_include = "#include <{{ident}}/{{kind_lower}}_controller.hpp>\n";
inline constexpr std::string_view register_controller = "  add_{{kind_lower}}_controller(manager);\n";
inline constexpr std::string_view register_crd = "  crds.push_back({{version}}::{{kind_lower}}_crd_definition());\n";
inline constexpr std::string_view register_crd_resource = "- bases/{{fqgroup}}_{{plural}}.yaml\n";
inline constexpr std::string_view register_sample = "- {{group}}_{{version}}_{{kind_lower}}.yaml\n";

}  // namespace kopp_scaffold::templates
