#pragma once
// The CustomResourceDefinition of Memcached, generated from the C++ types (types.hpp):
// schema and validation from the described structs and their KOPP_CRD_FIELDS rules,
// plus names and the columns of `kubectl get memcached`.

#include <boost/json/object.hpp>

namespace memcached {

[[nodiscard]] boost::json::object crd_definition();

}  // namespace memcached
