#pragma once
// The CronTab CustomResourceDefinition, generated from the C++ types (types.hpp):
// crontab-crd-gen (kopp_add_crd in CMakeLists.txt) prints it; the target crontab-crd-gen_update
// rewrites config/crd/example.com_crontabs.yaml and the test crontab.crd_up_to_date fails when
// the committed file is stale.

#include <boost/json/object.hpp>

namespace crontab {

/// apiextensions.k8s.io/v1 CustomResourceDefinition crontabs.example.com.
[[nodiscard]] boost::json::object custom_resource_definition();

}  // namespace crontab
