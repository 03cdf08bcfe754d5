#pragma once
// Where a kind lives on the API server: group, version, plural and scope, and the URL of a
// collection or an object of it.

#include <kopp/core/detail/config.hpp>
#include <kopp/core/resource.hpp>

#include <boost/url/url.hpp>

#include <stdexcept>
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
  /// An empty `ns` addresses all namespaces (or a cluster-scoped kind); an empty `name`
  /// the collection. Every segment is percent-encoded.
  /// Errors: std::invalid_argument naming the value when a non-empty `name` fails
  /// check_object_name or a non-empty `ns` fails check_namespace_name, so a request never
  /// addresses something other than what was asked ("." or ".." as a segment).
  boost::urls::url url(std::string_view ns, std::string_view name = {}, std::string_view subresource = {}) const;
};

/// Throws std::invalid_argument naming `name` (and `verb`, for the message) when it cannot
/// address one object: empty (that would address the collection: a get would list, a
/// delete would delete the collection), "." or "..", or containing '/' or '%' (the API
/// server's rule for names in a path).
void check_object_name(std::string_view name, std::string_view verb = "request");

/// Throws std::invalid_argument naming `ns` when it is not a namespace name: a DNS-1123
/// label (1-63 characters of a-z, 0-9 and '-', starting and ending alphanumeric).
void check_namespace_name(std::string_view ns);

}  // namespace kopp

#include <kopp/client/impl/api_resource.hpp>
#if KOPP_HEADER_ONLY
#include <kopp/client/impl/api_resource.ipp>
#endif
