#pragma once
// Discovery: which group/versions the server serves (/api, /apis) and where a kind lives
// (plural and scope), read from the server's APIResourceList of a group/version. Results
// are cached per group/version; invalidate() forgets them (e.g. after a CRD is installed).
//
// Errors: a group or version that is not a valid name (group: lower-case DNS subdomain or
// empty; version: lower-case letters and digits, as "v1beta1") is refused before any
// request with api_error(errc::bad_request) naming it, so it can never change the request
// path. A discovery document that is not the JSON object Kubernetes sends fails with
// api_error(errc::malformed_response) naming the path; entries of the wrong shape inside
// it are skipped.

#include <kopp/core/detail/config.hpp>
#include <kopp/client/api_resource.hpp>
#include <kopp/client/client.hpp>
#include <kopp/core/resource.hpp>

#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace kopp {

class Discovery {
 public:
  explicit Discovery(Client& client) : client_(&client) {}

  /// "v1", "apps/v1", ... every group/version the server serves (preferred first per group).
  boost::asio::awaitable<std::vector<std::string>> group_versions();

  /// Every resource (not subresources) of one group/version.
  boost::asio::awaitable<std::vector<ApiResource>> resources(std::string_view group_version);

  /// The resource that serves `gvk`. Throws api_error(errc::not_found) naming the kind
  /// when the group/version exists but has no such kind.
  boost::asio::awaitable<ApiResource> resolve(const GroupVersionKind& gvk);

  void invalidate();

 private:
  Client* client_;
  std::mutex mutex_;
  std::map<std::string, std::vector<ApiResource>, std::less<>> cache_;
};

}  // namespace kopp

#if KOPP_HEADER_ONLY
#include <kopp/client/impl/discovery.ipp>
#endif
