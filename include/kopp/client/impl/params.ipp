#pragma once

#include <kopp/client/params.hpp>

#include <boost/json/object.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

namespace kopp {
namespace detail {
/// Appends key=value with everything but RFC 3986 unreserved characters percent-encoded.
/// Boost.URL leaves '+' alone in query values, but the API server (Go's url.ParseQuery)
/// reads '+' as a space, which would corrupt continue tokens (base64) and selectors.
KOPP_DECL void add_query_param(boost::urls::url& url, std::string_view key, std::string_view value) {
  const std::string encoded = boost::urls::encode(value, boost::urls::unreserved_chars);
  url.encoded_params().append({key, encoded});
}
}  // namespace detail

KOPP_DECL void ListParams::append_list_query(boost::urls::url& url) const {
  if (!label_selector.empty()) detail::add_query_param(url, "labelSelector", label_selector);
  if (!field_selector.empty()) detail::add_query_param(url, "fieldSelector", field_selector);
  if (page_size != 0) detail::add_query_param(url, "limit", std::to_string(page_size));
  if (!continue_token.empty()) detail::add_query_param(url, "continue", continue_token);
  if (!resource_version.empty()) detail::add_query_param(url, "resourceVersion", resource_version);
  if (!resource_version_match.empty()) detail::add_query_param(url, "resourceVersionMatch", resource_version_match);
  if (timeout_seconds) detail::add_query_param(url, "timeoutSeconds", std::to_string(*timeout_seconds));
}

KOPP_DECL void ListParams::append_watch_query(boost::urls::url& url) const {
  detail::add_query_param(url, "watch", "1");
  if (!label_selector.empty()) detail::add_query_param(url, "labelSelector", label_selector);
  if (!field_selector.empty()) detail::add_query_param(url, "fieldSelector", field_selector);
  if (!resource_version.empty()) detail::add_query_param(url, "resourceVersion", resource_version);
  if (allow_watch_bookmarks) detail::add_query_param(url, "allowWatchBookmarks", "true");
  if (send_initial_events) {
    detail::add_query_param(url, "sendInitialEvents", "true");
    // The server requires NotOlderThan with sendInitialEvents.
    detail::add_query_param(url, "resourceVersionMatch", "NotOlderThan");
  }
  if (timeout_seconds) detail::add_query_param(url, "timeoutSeconds", std::to_string(*timeout_seconds));
}

KOPP_DECL void PostParams::append_query(boost::urls::url& url) const {
  if (!field_manager.empty()) detail::add_query_param(url, "fieldManager", field_manager);
  if (dry_run) detail::add_query_param(url, "dryRun", "All");
}

KOPP_DECL void PatchParams::append_query(boost::urls::url& url) const {
  if (!field_manager.empty()) detail::add_query_param(url, "fieldManager", field_manager);
  if (force) detail::add_query_param(url, "force", "true");
  if (dry_run) detail::add_query_param(url, "dryRun", "All");
}

KOPP_DECL boost::json::value DeleteParams::to_body() const {
  boost::json::object body{{"apiVersion", "v1"}, {"kind", "DeleteOptions"}};
  if (propagation_policy) {
    switch (*propagation_policy) {
      case PropagationPolicy::orphan:
        body["propagationPolicy"] = "Orphan";
        break;
      case PropagationPolicy::background:
        body["propagationPolicy"] = "Background";
        break;
      case PropagationPolicy::foreground:
        body["propagationPolicy"] = "Foreground";
        break;
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

KOPP_DECL std::string_view Patch::content_type() const noexcept {
  switch (kind) {
    case type::json_merge:
      return "application/merge-patch+json";
    case type::json_patch:
      return "application/json-patch+json";
    case type::strategic_merge:
      return "application/strategic-merge-patch+json";
    case type::apply:
      return "application/apply-patch+yaml";  // JSON is valid YAML
  }
  return "application/json";
}

}  // namespace kopp
