#pragma once
// The operator's RBAC, derived from what kopp's code does for it: the ClusterRole from what
// its controller declares (make_controller in src/reconciler.cpp), the Role of its
// leader-election Lease from kopp's elector. kopp_add_crd in CMakeLists.txt prints each
// into config/rbac/ (role.yaml, leader_election_role.yaml) with an up-to-date test
// (memcached.rbac_up_to_date, memcached.leader_election_role_up_to_date). The end-to-end
// test runs the operator bound to both, and proves them minimal (the API server's audit log).

#include <boost/json/object.hpp>

namespace memcached {

/// rbac.authorization.k8s.io/v1 ClusterRole memcached-operator-manager.
[[nodiscard]] boost::json::object rbac_manifest();

/// rbac.authorization.k8s.io/v1 Role memcached-operator-leader-election in memcached-operator-system: the Lease.
[[nodiscard]] boost::json::object leader_election_manifest();

}  // namespace memcached
