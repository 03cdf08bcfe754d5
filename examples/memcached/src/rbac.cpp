#include <memcached/rbac.hpp>
#include <memcached/reconciler.hpp>

#include <kopp/runtime/controller/permissions.hpp>
#include <kopp/runtime/manager/leader_election.hpp>
#include <kopp/runtime/manager/manager.hpp>

namespace memcached {

boost::json::object rbac_manifest() {
  // A Manager that never runs (nothing is contacted): it only collects the declarations.
  kopp::Config nowhere;
  nowhere.server = "https://127.0.0.1:1";
  kopp::Manager manager(nowhere, kopp::ManagerOptions());
  make_controller(manager, ReconcilerOptions());
  return kopp::cluster_role("memcached-operator-manager", manager.permissions());
}

boost::json::object leader_election_manifest() {
  return kopp::role("memcached-operator-leader-election", "memcached-operator-system",
                    kopp::leader_election_permissions());
}

}  // namespace memcached
