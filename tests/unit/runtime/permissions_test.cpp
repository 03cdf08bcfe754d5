// RBAC permissions derived from controller declarations (kopp/runtime/controller/
// permissions.hpp): the merge into rules, the ClusterRole, and what a Manager's controllers
// and options imply. Whether a role so derived is enough for a real API server is proven
// end to end by the scaffolded project (package.scaffold): its controllers run there as a
// ServiceAccount bound to the generated role.
#include <kopp/api/apps/v1.hpp>
#include <kopp/api/core/v1.hpp>
#include <kopp/runtime/manager/manager.hpp>

#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace {

using kopp::PolicyRule;
using kopp::api::apps::v1::Deployment;
using kopp::api::core::v1::ConfigMap;
using kopp::api::core::v1::Pod;
using kopp::api::core::v1::Secret;

struct Idle {
  boost::asio::awaitable<kopp::Action> reconcile(std::shared_ptr<const Deployment>, kopp::Context&) {
    co_return kopp::Action::done();
  }
};

kopp::Config offline() {
  kopp::Config config;
  config.server = "https://127.0.0.1:1";  // never contacted: the manager does not run
  return config;
}

}  // namespace

TEST_CASE("permissions: grants merge into one rule per group and set of verbs, in a stable order", "[permissions]") {
  kopp::Permissions permissions;
  permissions.permit("", "secrets", {"get"})
      .permit("apps", "deployments", {"watch", "get", "list"})
      .permit("", "configmaps", {"list", "get", "watch"})
      .permit("apps", "statefulsets", {"get", "list", "watch"})
      .permit("", "configmaps", {"get"});  // again: nothing new
  const std::vector<PolicyRule> expected{
      {{""}, {"configmaps"}, {"get", "list", "watch"}},
      {{""}, {"secrets"}, {"get"}},
      {{"apps"}, {"deployments", "statefulsets"}, {"get", "list", "watch"}},
  };
  CHECK(permissions.rules() == expected);
  CHECK(permissions.allows("", "secrets", "get"));
  CHECK_FALSE(permissions.allows("", "secrets", "list"));
  CHECK_FALSE(permissions.allows("apps", "secrets", "get"));

  kopp::Permissions everything;
  everything.permit("batch", "jobs", {"get", "*"});
  CHECK(everything.rules() == std::vector<PolicyRule>{{{"batch"}, {"jobs"}, {"*"}}});
  CHECK(everything.allows("batch", "jobs", "delete"));

  CHECK_THROWS_WITH(kopp::Permissions().permit("", "pods", {"read"}),
                    Catch::Contains("\"read\" on pods is not a Kubernetes verb"));
  CHECK_THROWS_WITH(kopp::Permissions().permit("", "", {"get"}), Catch::Contains("an empty resource"));
}

TEST_CASE("permissions: a ClusterRole with the rules", "[permissions]") {
  kopp::Permissions permissions;
  permissions.permit<Deployment>({"get"}, "status");
  CHECK(boost::json::serialize(kopp::cluster_role("manager-role", permissions)) ==
        R"({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"manager-role"},)"
        R"("rules":[{"apiGroups":["apps"],"resources":["deployments/status"],"verbs":["get"]}]})");
}

TEST_CASE("permissions: the leader-election Role in the operator's namespace", "[permissions]") {
  CHECK(boost::json::serialize(kopp::role("leader-election-role", "system", kopp::leader_election_permissions())) ==
        R"({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role",)"
        R"("metadata":{"name":"leader-election-role","namespace":"system"},)"
        R"("rules":[{"apiGroups":["coordination.k8s.io"],"resources":["leases"],"verbs":["get","create","update"]}]})");
}

TEST_CASE("permissions: a Manager's role follows from its controllers' declarations and its options", "[permissions]") {
  kopp::ManagerOptions options;
  options.metrics_secure = true;
  options.metrics_bind_address = "127.0.0.1:0";
  kopp::Manager manager(offline(), options);
  CHECK(kopp::Manager(offline(), kopp::ManagerOptions()).permissions().empty());  // no controller, no options
  CHECK(manager.permissions().rules().size() == 2);  // secure metrics' reviews, no controller yet
  (void)manager.controller<Deployment>("deployments")
      .owns<ConfigMap>()
      .watches_metadata<Pod>(
          [](const std::shared_ptr<const kopp::PartialObjectMetadata>&) { return std::vector<kopp::ObjectKey>(); })
      .permits<Secret>({"get"})
      .build(Idle());
  manager.permits("coordination.k8s.io", "leases", {"get"});

  const std::vector<PolicyRule> expected{
      // Owned: its informer and server-side apply.
      {{""}, {"configmaps"}, {"list", "watch", "create", "patch"}},
      // Watched (metadata only): its informer.
      {{""}, {"pods"}, {"list", "watch"}},
      {{""}, {"secrets"}, {"get"}},
      // The primary kind: its informer, its status (patch_status), and its finalizers for
      // the owner references that block its deletion.
      {{"apps"}, {"deployments"}, {"list", "watch"}},
      {{"apps"}, {"deployments/finalizers"}, {"update"}},
      {{"apps"}, {"deployments/status"}, {"patch"}},
      {{"authentication.k8s.io"}, {"tokenreviews"}, {"create"}},
      {{"authorization.k8s.io"}, {"subjectaccessreviews"}, {"create"}},
      {{"coordination.k8s.io"}, {"leases"}, {"get"}},
      {{"events.k8s.io"}, {"events"}, {"create", "patch"}},
  };
  CHECK(manager.permissions().rules() == expected);

  // A controller that owns nothing needs nothing on its kind's finalizers.
  kopp::Manager alone(offline(), kopp::ManagerOptions());
  (void)alone.controller<Deployment>("deployments").build(Idle());
  CHECK_FALSE(alone.permissions().allows("apps", "deployments/finalizers", "update"));
  CHECK(alone.permissions().allows("apps", "deployments", "watch"));
  CHECK_FALSE(alone.permissions().allows("apps", "deployments", "get"));
}

TEST_CASE("permissions: a verb that is not one is a misuse build() names", "[permissions]") {
  kopp::Manager manager(offline(), kopp::ManagerOptions());
  CHECK_THROWS_WITH(manager.controller<Deployment>("deployments").permits<Secret>({"read"}).build(Idle()),
                    Catch::Contains("permits<Secret>(): Permissions: \"read\" on secrets is not a Kubernetes verb"));
}
