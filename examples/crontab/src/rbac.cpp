#include <crontab/rbac.hpp>
#include <crontab/reconciler.hpp>

#include <kopp/runtime/controller/permissions.hpp>
#include <kopp/runtime/manager/leader_election.hpp>
#include <kopp/runtime/manager/manager.hpp>

namespace crontab {

boost::json::object rbac_manifest() {
  // A Manager that never runs (nothing is contacted): it only collects the declarations.
  kopp::Config nowhere;
  nowhere.server = "https://127.0.0.1:1";
  kopp::Manager manager(nowhere, kopp::ManagerOptions());
  make_controller(manager, ReconcilerOptions(), 1);
  return kopp::cluster_role("crontab-operator-manager", manager.permissions());
}

boost::json::object leader_election_manifest() {
  return kopp::role("crontab-operator-leader-election", "crontab-system", kopp::leader_election_permissions());
}

}  // namespace crontab
