// The reconciler's watch filter, without a server.
#include <memcached/reconciler.hpp>

#include <kopp/runtime/controller/object_helpers.hpp>

#include <catch2/catch.hpp>

using namespace memcached;

TEST_CASE("the primary predicate passes spec and finalizer changes, not status writes", "[memcached]") {
  const auto p = memcached_changed();
  auto before = std::make_shared<Memcached>();
  before->metadata.generation = 1;
  auto status_only = std::make_shared<Memcached>(*before);
  status_only->status = v1alpha1::MemcachedStatus();
  status_only->status->readyReplicas = 2;
  CHECK_FALSE(p.update(before, status_only));

  auto resized = std::make_shared<Memcached>(*before);
  resized->metadata.generation = 2;
  CHECK(p.update(before, resized));

  auto finalized = std::make_shared<Memcached>(*before);
  finalized->metadata.finalizers = {std::string(inventory_finalizer)};
  CHECK(p.update(before, finalized));  // finalize() relies on this update to run apply

  auto deleting = std::make_shared<Memcached>(*finalized);
  deleting->metadata.deletionTimestamp = kopp::Time::now();
  CHECK(p.update(finalized, deleting));
}

TEST_CASE("tenant-visible errors never carry the operator's namespace, inventory or API server address",
          "[memcached]") {
  // What the client throws when the inventory write in the operator's namespace is
  // forbidden: its text names the server, the namespace and the ConfigMap.
  kopp::Status forbidden;
  forbidden.code = 403;
  forbidden.reason = "Forbidden";
  forbidden.message =
      "configmaps \"memcached-inventory\" is forbidden: User cannot patch in namespace \"memcached-system\"";
  const kopp::api_error inventory(kopp::make_error_code(kopp::errc::forbidden),
                                  "PATCH https://10.0.0.1:6443/api/v1/namespaces/memcached-system/configmaps/"
                                  "memcached-inventory: " +
                                      forbidden.message,
                                  forbidden, 403);
  const std::string shown = tenant_visible_error(ApplyStep::inventory, inventory);
  CHECK(shown.find("memcached-system") == std::string::npos);
  CHECK(shown.find("inventory") == std::string::npos);
  CHECK(shown.find("10.0.0.1") == std::string::npos);
  CHECK_FALSE(shown.empty());

  // A failure on the tenant's own Deployment says what kind of failure, without the server.
  const kopp::api_error deployment(kopp::make_error_code(kopp::errc::forbidden),
                                   "PATCH https://10.0.0.1:6443/apis/apps/v1/namespaces/team/deployments/cache: denied",
                                   forbidden, 403);
  const std::string about_deployment = tenant_visible_error(ApplyStep::deployment, deployment);
  CHECK(about_deployment.find("Deployment") != std::string::npos);
  CHECK(about_deployment.find("10.0.0.1") == std::string::npos);
  CHECK(about_deployment.find("memcached-system") == std::string::npos);

  // A validation failure names the tenant's own field: that helps them and stays.
  kopp::Status invalid;
  invalid.code = 422;
  invalid.reason = "Invalid";
  invalid.message = "Deployment.apps \"cache\" is invalid: spec.replicas: must be >= 0";
  const kopp::api_error rejected(kopp::make_error_code(kopp::errc::invalid), "PATCH https://10.0.0.1:6443/...: x",
                                 invalid, 422);
  CHECK(tenant_visible_error(ApplyStep::deployment, rejected).find("spec.replicas: must be >= 0") != std::string::npos);

  // Someone else's Deployment of the same name: the tenant needs the whole message.
  const kopp::already_owned_error owned("Deployment cache already exists and is controlled by ReplicaSet other");
  CHECK(tenant_visible_error(ApplyStep::deployment, owned) == owned.what());
}
