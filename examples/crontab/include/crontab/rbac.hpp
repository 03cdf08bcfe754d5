#pragma once
// The operator's ClusterRole, derived from what its controller declares (make_controller in
// src/reconciler.cpp): crontab-rbac-gen (kopp_add_crd in CMakeLists.txt) prints it; the target
// crontab-rbac-gen_update rewrites config/rbac/role.yaml and the test crontab.rbac_up_to_date
// fails when the committed file is stale. The end-to-end test runs the operator bound to it.

#include <boost/json/object.hpp>

namespace crontab {

/// rbac.authorization.k8s.io/v1 ClusterRole crontab-operator-manager.
[[nodiscard]] boost::json::object rbac_manifest();

}  // namespace crontab
