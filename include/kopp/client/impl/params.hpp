#pragma once

#include <boost/json/object.hpp>

namespace kopp {

inline void ListParams::append_list_query(boost::urls::url& url) const {
  auto params = url.params();
  if (!label_selector.empty()) params.append({"labelSelector", label_selector});
  if (!field_selector.empty()) params.append({"fieldSelector", field_selector});
  if (limit != 0) params.append({"limit", std::to_string(limit)});
  if (!continue_token.empty()) params.append({"continue", continue_token});
  if (!resource_version.empty()) params.append({"resourceVersion", resource_version});
  if (!resource_version_match.empty())
    params.append({"resourceVersionMatch", resource_version_match});
  if (timeout_seconds) params.append({"timeoutSeconds", std::to_string(*timeout_seconds)});
}

inline void ListParams::append_watch_query(boost::urls::url& url) const {
  auto params = url.params();
  params.append({"watch", "1"});
  if (!label_selector.empty()) params.append({"labelSelector", label_selector});
  if (!field_selector.empty()) params.append({"fieldSelector", field_selector});
  if (!resource_version.empty()) params.append({"resourceVersion", resource_version});
  if (allow_watch_bookmarks) params.append({"allowWatchBookmarks", "true"});
  if (send_initial_events) {
    params.append({"sendInitialEvents", "true"});
    // The server requires NotOlderThan with sendInitialEvents.
    params.append({"resourceVersionMatch", "NotOlderThan"});
  }
  if (timeout_seconds) params.append({"timeoutSeconds", std::to_string(*timeout_seconds)});
}

inline void PostParams::append_query(boost::urls::url& url) const {
  auto params = url.params();
  if (!field_manager.empty()) params.append({"fieldManager", field_manager});
  if (dry_run) params.append({"dryRun", "All"});
}

inline void PatchParams::append_query(boost::urls::url& url) const {
  auto params = url.params();
  if (!field_manager.empty()) params.append({"fieldManager", field_manager});
  if (force) params.append({"force", "true"});
  if (dry_run) params.append({"dryRun", "All"});
}

inline boost::json::value DeleteParams::to_body() const {
  boost::json::object body{{"apiVersion", "v1"}, {"kind", "DeleteOptions"}};
  if (propagation_policy) {
    switch (*propagation_policy) {
      case PropagationPolicy::orphan: body["propagationPolicy"] = "Orphan"; break;
      case PropagationPolicy::background: body["propagationPolicy"] = "Background"; break;
      case PropagationPolicy::foreground: body["propagationPolicy"] = "Foreground"; break;
    }
  }
  if (grace_period_seconds) body["gracePeriodSeconds"] = *grace_period_seconds;
  if (precondition_uid || precondition_resource_version) {
    boost::json::object pre;
    if (precondition_uid) pre["uid"] = *precondition_uid;
    if (precondition_resource_version) pre["resourceVersion"] = *precondition_resource_version;
    body["preconditions"] = std::move(pre);
  }
  if (dry_run) body["dryRun"] = boost::json::array{"All"};
  return body;
}

inline std::string_view Patch::content_type() const noexcept {
  switch (kind) {
    case type::json_merge: return "application/merge-patch+json";
    case type::json_patch: return "application/json-patch+json";
    case type::strategic_merge: return "application/strategic-merge-patch+json";
    case type::apply: return "application/apply-patch+yaml";  // JSON is valid YAML
  }
  return "application/json";
}

}  // namespace kopp
