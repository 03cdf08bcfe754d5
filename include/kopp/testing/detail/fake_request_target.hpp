#pragma once
// What a request's target addresses, read as the kube-apiserver's RequestInfo reads it:
// discovery (/api, /apis/...), or a resource's collection, object or subresource
// (/apis/<group>/<version>[/namespaces/<ns>]/<plural>[/<name>[/<subresource>]]), and the
// query parameters, percent-decoded.

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kopp::testing::detail {

struct RequestTarget {
  enum class what {
    discovery_core,
    discovery_core_version,
    discovery_groups,
    discovery_group,
    discovery_group_version,
    resource,
    unknown
  };
  what target = what::unknown;
  std::string group;
  std::string version;
  std::string ns;  ///< "" for cluster-scoped resources and requests across all namespaces
  std::string resource;
  std::string name;         ///< "" for the collection
  std::string subresource;  ///< "status", "scale", "finalize" or ""
  std::map<std::string, std::string, std::less<>> query;
  std::vector<std::string> dry_run;  ///< every dryRun= value, in order

  std::string param(std::string_view key) const {
    auto it = query.find(key);
    return it == query.end() ? std::string() : it->second;
  }
  bool has_param(std::string_view key) const { return query.find(key) != query.end(); }
};

inline std::optional<RequestTarget> parse_request_target(std::string_view text) {
  auto parsed = boost::urls::parse_origin_form(text);
  if (!parsed) return std::nullopt;
  const boost::urls::url_view url = *parsed;
  RequestTarget t;
  for (const auto& param : url.params()) {
    if (param.key == "dryRun") t.dry_run.push_back(param.value);
    t.query[param.key] = param.value;
  }
  std::vector<std::string> parts;
  for (const auto& segment : url.segments()) parts.push_back(segment);
  while (!parts.empty() && parts.back().empty()) parts.pop_back();
  std::size_t i = 0;
  if (parts.empty()) return t;
  if (parts[0] == "api") {
    if (parts.size() == 1) {
      t.target = RequestTarget::what::discovery_core;
      return t;
    }
    t.version = parts[1];
    if (parts.size() == 2) {
      t.target = RequestTarget::what::discovery_core_version;
      return t;
    }
    i = 2;
  } else if (parts[0] == "apis") {
    if (parts.size() == 1) {
      t.target = RequestTarget::what::discovery_groups;
      return t;
    }
    t.group = parts[1];
    if (parts.size() == 2) {
      t.target = RequestTarget::what::discovery_group;
      return t;
    }
    t.version = parts[2];
    if (parts.size() == 3) {
      t.target = RequestTarget::what::discovery_group_version;
      return t;
    }
    i = 3;
  } else {
    return t;
  }
  std::vector<std::string> rest(parts.begin() + static_cast<std::ptrdiff_t>(i), parts.end());
  // namespaces/<ns>/<plural>/... addresses a namespaced resource, except the namespace's
  // own subresources (namespaces/<name>/status, /finalize).
  if (rest.size() >= 3 && rest[0] == "namespaces" && rest[2] != "status" && rest[2] != "finalize") {
    t.ns = rest[1];
    rest.erase(rest.begin(), rest.begin() + 2);
  }
  if (rest.empty() || rest.size() > 3) return t;
  t.target = RequestTarget::what::resource;
  t.resource = rest[0];
  if (rest.size() > 1) t.name = rest[1];
  if (rest.size() > 2) t.subresource = rest[2];
  return t;
}

}  // namespace kopp::testing::detail
