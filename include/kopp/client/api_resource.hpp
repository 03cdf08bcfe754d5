#pragma once
// Where a kind lives on the API server: group, version, plural and scope, and the URL of a
// collection or an object of it.

#include <kopp/core/resource.hpp>

#include <boost/url/url.hpp>

#include <string>
#include <string_view>

namespace kopp {

struct ApiResource {
  std::string group;    ///< "" for the core group
  std::string version;  ///< "v1"
  std::string kind;     ///< "ConfigMap"
  std::string plural;   ///< "configmaps"
  bool namespaced = true;

  std::string api_version() const { return group.empty() ? version : group + "/" + version; }

  /// The ApiResource a typed resource declares through kopp::resource_traits.
  template <Resource K>
  static ApiResource of();

  /// /api/v1/namespaces/{ns}/{plural}[/{name}[/{subresource}]] (or /apis/{group}/...).
  /// An empty `ns` addresses all namespaces (or a cluster-scoped kind). Every segment is
  /// percent-encoded.
  boost::urls::url url(std::string_view ns, std::string_view name = {},
                       std::string_view subresource = {}) const;
};

}  // namespace kopp

#include <kopp/client/impl/api_resource.hpp>
