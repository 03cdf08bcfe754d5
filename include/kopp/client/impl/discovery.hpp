#pragma once

namespace kopp {

inline boost::asio::awaitable<std::vector<std::string>> Discovery::group_versions() {
  std::vector<std::string> out;
  HttpRequest core;
  core.target = "/api";
  auto versions = co_await client_->request_json(core);
  if (auto* list = versions.as_object().if_contains("versions"); list && list->is_array())
    for (auto& v : list->get_array())
      if (v.is_string()) out.emplace_back(v.get_string());
  HttpRequest groups;
  groups.target = "/apis";
  auto group_list = co_await client_->request_json(groups);
  if (auto* list = group_list.as_object().if_contains("groups"); list && list->is_array()) {
    for (auto& group : list->get_array()) {
      const auto* preferred = group.as_object().if_contains("preferredVersion");
      std::string preferred_gv;
      if (preferred && preferred->is_object())
        if (auto* gv = preferred->as_object().if_contains("groupVersion"); gv && gv->is_string())
          preferred_gv = std::string(gv->get_string());
      if (!preferred_gv.empty()) out.push_back(preferred_gv);
      if (auto* vs = group.as_object().if_contains("versions"); vs && vs->is_array())
        for (auto& v : vs->get_array())
          if (auto* gv = v.as_object().if_contains("groupVersion"); gv && gv->is_string() && gv->get_string() != preferred_gv)
            out.emplace_back(gv->get_string());
    }
  }
  co_return out;
}

inline boost::asio::awaitable<std::vector<ApiResource>> Discovery::resources(std::string_view group_version) {
  {
    std::lock_guard lock(mutex_);
    if (auto it = cache_.find(group_version); it != cache_.end()) co_return it->second;
  }
  const auto slash = group_version.find('/');
  const std::string group = slash == std::string_view::npos ? "" : std::string(group_version.substr(0, slash));
  const std::string version =
      std::string(slash == std::string_view::npos ? group_version : group_version.substr(slash + 1));
  HttpRequest request;
  request.target = group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
  auto list = co_await client_->request_json(request);
  std::vector<ApiResource> found;
  if (auto* items = list.as_object().if_contains("resources"); items && items->is_array()) {
    for (auto& item : items->get_array()) {
      const auto& r = item.as_object();
      const auto* name = r.if_contains("name");
      const auto* kind = r.if_contains("kind");
      if (!name || !name->is_string() || !kind || !kind->is_string()) continue;
      if (name->get_string().find('/') != boost::json::string::npos) continue;  // a subresource
      const auto* namespaced = r.if_contains("namespaced");
      found.push_back(ApiResource{group, version, std::string(kind->get_string()), std::string(name->get_string()),
                                  namespaced && namespaced->is_bool() && namespaced->get_bool()});
    }
  }
  std::lock_guard lock(mutex_);
  cache_.insert_or_assign(std::string(group_version), found);
  co_return found;
}

inline boost::asio::awaitable<ApiResource> Discovery::resolve(const GroupVersionKind& gvk) {
  const std::string gv = gvk.group.empty() ? gvk.version : gvk.group + "/" + gvk.version;
  for (auto& resource : co_await resources(gv))
    if (resource.kind == gvk.kind) co_return resource;
  throw api_error(make_error_code(errc::not_found), "the server has no kind " + gvk.kind + " in " + gv);
}

inline void Discovery::invalidate() {
  std::lock_guard lock(mutex_);
  cache_.clear();
}

}  // namespace kopp
