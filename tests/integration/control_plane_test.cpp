// kopp::testing::ControlPlane against real control planes: the fixture's (attach, CRDs,
// kubectl) and one the test starts itself (a ServiceAccount's kubeconfig under RBAC, an
// apiserver restart, a compaction, stop).
#include "support/integration.hpp"

#include <kopp/client/dynamic_api.hpp>
#include <kopp/testing/control_plane.hpp>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

using namespace kopp_test;
using boost::asio::awaitable;
using Catch::Matchers::Contains;
using kopp::testing::ControlPlane;
using kopp::testing::ControlPlaneError;
namespace fs = std::filesystem;

namespace {

/// A directory for one test's files, removed afterwards.
struct Scratch {
  fs::path path = fs::temp_directory_path() / unique_name("kopp-control-plane-test");
  Scratch() { fs::create_directories(path); }
  ~Scratch() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

/// A CRD of a group of its own (CRDs are cluster-wide; parallel runs must not collide).
std::string gizmo_crd(const std::string& group) {
  return "apiVersion: apiextensions.k8s.io/v1\n"
         "kind: CustomResourceDefinition\n"
         "metadata:\n"
         "  name: gizmos." +
         group +
         "\n"
         "spec:\n"
         "  group: " +
         group +
         "\n"
         "  scope: Namespaced\n"
         "  names: {plural: gizmos, singular: gizmo, kind: Gizmo}\n"
         "  versions:\n"
         "  - name: v1\n"
         "    served: true\n"
         "    storage: true\n"
         "    schema:\n"
         "      openAPIV3Schema:\n"
         "        type: object\n"
         "        x-kubernetes-preserve-unknown-fields: true\n";
}

kopp::ApiResource gizmos(const std::string& group) {
  kopp::ApiResource r;
  r.group = group;
  r.version = "v1";
  r.kind = "Gizmo";
  r.plural = "gizmos";
  r.namespaced = true;
  return r;
}

/// A ConfigMap "probe" in `namespace_` through `config`; returns its resourceVersion.
std::string create_probe(const kopp::Config& config, const std::string& namespace_) {
  return run<std::string>([&]() -> awaitable<std::string> {
    kopp::Client client(co_await boost::asio::this_coro::executor, config);
    kopp::Api<ConfigMap> configmaps(client, namespace_);
    ConfigMap cm;
    cm.metadata.name = "probe";
    cm.data["written"] = "before";
    const ConfigMap created = co_await configmaps.create(cm);
    co_return created.metadata.resourceVersion;
  });
}

/// The HTTP status of listing ConfigMaps in `namespace_` through `config` (200 when it worked).
unsigned list_status(const kopp::Config& config, const std::string& namespace_, kopp::ListParams params = {}) {
  return run<unsigned>([&]() -> awaitable<unsigned> {
    kopp::Client client(co_await boost::asio::this_coro::executor, config);
    kopp::Api<ConfigMap> configmaps(client, namespace_);
    try {
      co_await configmaps.list(params);
      co_return 200u;
    } catch (const kopp::api_error& e) {
      co_return e.http_status();
    }
  });
}

}  // namespace

TEST_CASE("ControlPlane::attach: the fixture's control plane; install_crds returns once the resource is served",
          "[integration][control-plane]") {
  const ControlPlane plane = ControlPlane::attach();
  CHECK(plane.admin_kubeconfig() == fs::path(std::getenv("KUBECONFIG")));
  CHECK(plane.kubectl({"get", "namespace", "default", "-o", "name"}) == "namespace/default\n");

  Scratch scratch;
  const std::string group = unique_name("attach") + ".kopp.example";
  const fs::path file = scratch.path / "crd.yaml";
  std::ofstream(file) << gizmo_crd(group);
  plane.install_crds({file});
  // Served at once: a create right after install_crds does not 404.
  const std::string created = run<std::string>([&]() -> awaitable<std::string> {
    kopp::Client client(co_await boost::asio::this_coro::executor, plane.admin_config());
    kopp::DynamicApi api(client, gizmos(group), "default");
    const auto object =
        boost::json::parse(R"({"apiVersion":")" + group + R"(/v1","kind":"Gizmo","metadata":{"name":"g"},"size":3})")
            .as_object();
    const auto answer = co_await api.create(object);
    co_return std::string(answer.at("metadata").at("uid").as_string());
  });
  CHECK_FALSE(created.empty());
  // Installing again (the same file) is an update, not an error.
  plane.install_crds({file});
  plane.kubectl({"delete", "customresourcedefinition", "gizmos." + group, "--wait=false"});

  CHECK_THROWS_WITH(plane.install_crds({scratch.path / "no-such.yaml"}),
                    Contains("no-such.yaml") && Contains("is not a file"));
  CHECK_THROWS_WITH(plane.kubectl({"get", "no-such-kind"}),
                    Contains("kubectl") && Contains("exited with 1") && Contains("no-such-kind"));
  ControlPlane attached = ControlPlane::attach();
  CHECK_THROWS_WITH(attached.stop(), Contains("attached to, not started here"));
}

TEST_CASE("ControlPlane::start: its own control plane, a ServiceAccount under RBAC, restart, compact, stop",
          "[integration][control-plane]") {
  Scratch scratch;
  std::optional<ControlPlane> plane;
  plane.emplace(ControlPlane::start());
  const fs::path directory = plane->directory();
  REQUIRE(fs::exists(plane->admin_kubeconfig()));
  // Not the fixture's: a server of its own.
  CHECK(plane->admin_config().server != admin_config().server);

  const kopp::Config admin = plane->admin_config();
  const std::string written = create_probe(admin, "default");

  // A ServiceAccount with no role: authenticated, and forbidden by RBAC.
  const fs::path robot = plane->service_account_kubeconfig("team", "robot", scratch.path / "robot.kubeconfig");
  kopp::KubeconfigOptions options;
  options.path = robot;
  const kopp::Config as_robot = kopp::load_kubeconfig(options);
  CHECK(list_status(as_robot, "team") == 403);
  CHECK(list_status(admin, "team") == 200);

  // A restart keeps the data (etcd runs on); the server answers again once it returns.
  plane->restart_apiserver();
  CHECK(list_status(admin, "default") == 200);

  // Compaction: the revision the probe was written at is gone.
  kopp::ListParams exact;
  exact.at_version(written).version_match("Exact");
  CHECK(list_status(admin, "default", exact) == 200);
  plane->compact();
  CHECK(list_status(admin, "default", exact) == 410);

  plane->stop();
  CHECK_FALSE(fs::exists(directory));  // a temporary directory: removed
  CHECK_NOTHROW(plane->stop());        // idempotent
  plane.reset();
}

TEST_CASE("ControlPlane: a missing program or directory is named", "[integration][control-plane]") {
  kopp::testing::ControlPlaneOptions options;
  options.binary = "/nonexistent/kopp-controlplane";
  CHECK_THROWS_WITH(ControlPlane::start(options),
                    Contains("/nonexistent/kopp-controlplane") && Contains("not an executable file"));

  const std::string saved = std::getenv("KOPP_CONTROLPLANE_DIR");
  ::unsetenv("KOPP_CONTROLPLANE_DIR");
  CHECK_THROWS_WITH(ControlPlane::attach(), Contains("KOPP_CONTROLPLANE_DIR is not set"));
  ::setenv("KOPP_CONTROLPLANE_DIR", "/nonexistent/controlplane", 1);
  CHECK_THROWS_WITH(ControlPlane::attach(),
                    Contains("/nonexistent/controlplane/admin.kubeconfig") && Contains("is not up"));
  ::setenv("KOPP_CONTROLPLANE_DIR", saved.c_str(), 1);
}
