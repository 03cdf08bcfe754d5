#pragma once

#include <kopp/client/discovery.hpp>

namespace kopp {
namespace detail {

/// The document at `path` as an object, or api_error(malformed_response) naming the path.
KOPP_DECL const boost::json::object& discovery_object(const boost::json::value& document, std::string_view path) {
  if (const auto* object = document.if_object()) return *object;
  throw api_error(make_error_code(errc::malformed_response),
                  "discovery: GET " + std::string(path) + " did not return a JSON object");
}

KOPP_DECL const boost::json::string* discovery_string(const boost::json::value& entry, std::string_view key) {
  const auto* object = entry.if_object();
  const auto* value = object ? object->if_contains(key) : nullptr;
  return value ? value->if_string() : nullptr;
}

KOPP_DECL bool valid_api_group(std::string_view group) noexcept {
  if (group.size() > 253) return false;
  for (char c : group)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) return false;
  return group.empty() || (group.front() != '.' && group.front() != '-' && group.back() != '.' && group.back() != '-');
}

KOPP_DECL bool valid_api_version(std::string_view version) noexcept {
  if (version.empty() || version.size() > 63) return false;
  for (char c : version)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  return true;
}

}  // namespace detail

KOPP_DECL boost::asio::awaitable<std::vector<std::string>> Discovery::group_versions() {
  std::vector<std::string> out;
  HttpRequest core;
  core.target = "/api";
  auto versions = co_await client_->request_json(core);
  if (auto* list = detail::discovery_object(versions, core.target).if_contains("versions"); list && list->is_array())
    for (auto& v : list->get_array())
      if (v.is_string()) out.emplace_back(v.get_string());
  HttpRequest groups;
  groups.target = "/apis";
  auto group_list = co_await client_->request_json(groups);
  if (auto* list = detail::discovery_object(group_list, groups.target).if_contains("groups");
      list && list->is_array()) {
    for (auto& group : list->get_array()) {
      const auto* object = group.if_object();
      if (!object) continue;
      std::string preferred_gv;
      if (const auto* preferred = object->if_contains("preferredVersion"))
        if (const auto* gv = detail::discovery_string(*preferred, "groupVersion")) preferred_gv = std::string(*gv);
      if (!preferred_gv.empty()) out.push_back(preferred_gv);
      if (auto* vs = object->if_contains("versions"); vs && vs->is_array())
        for (auto& v : vs->get_array())
          if (const auto* gv = detail::discovery_string(v, "groupVersion"); gv && *gv != preferred_gv)
            out.emplace_back(*gv);
    }
  }
  co_return out;
}

KOPP_DECL boost::asio::awaitable<std::vector<ApiResource>> Discovery::resources(std::string_view group_version) {
  {
    std::lock_guard lock(mutex_);
    if (auto it = cache_.find(group_version); it != cache_.end()) co_return it->second;
  }
  const auto slash = group_version.find('/');
  const std::string group = slash == std::string_view::npos ? "" : std::string(group_version.substr(0, slash));
  const std::string version =
      std::string(slash == std::string_view::npos ? group_version : group_version.substr(slash + 1));
  if ((slash != std::string_view::npos && group.empty()) || !detail::valid_api_group(group) ||
      !detail::valid_api_version(version))
    throw api_error(make_error_code(errc::bad_request),
                    "discovery: '" + std::string(group_version) +
                        "' is not a group/version (a lower-case DNS subdomain, '/', and a version such as v1beta1)");
  HttpRequest request;
  request.target = group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
  auto list = co_await client_->request_json(request);
  std::vector<ApiResource> found;
  if (auto* items = detail::discovery_object(list, request.target).if_contains("resources");
      items && items->is_array()) {
    for (auto& item : items->get_array()) {
      const auto* r = item.if_object();
      if (!r) continue;
      const auto* name = detail::discovery_string(item, "name");
      const auto* kind = detail::discovery_string(item, "kind");
      if (!name || !kind) continue;
      if (name->find('/') != boost::json::string::npos) continue;  // a subresource
      const auto* namespaced = r->if_contains("namespaced");
      found.push_back(ApiResource{group, version, std::string(*kind), std::string(*name),
                                  namespaced && namespaced->is_bool() && namespaced->get_bool()});
    }
  }
  std::lock_guard lock(mutex_);
  cache_.insert_or_assign(std::string(group_version), found);
  co_return found;
}

KOPP_DECL boost::asio::awaitable<ApiResource> Discovery::resolve(const GroupVersionKind& gvk) {
  const std::string gv = gvk.group.empty() ? gvk.version : gvk.group + "/" + gvk.version;
  const std::vector<ApiResource> served = co_await resources(gv);
  for (const auto& resource : served)
    if (resource.kind == gvk.kind) co_return resource;
  throw api_error(make_error_code(errc::not_found), "the server has no kind " + gvk.kind + " in " + gv);
}

KOPP_DECL void Discovery::invalidate() {
  std::lock_guard lock(mutex_);
  cache_.clear();
}

}  // namespace kopp
