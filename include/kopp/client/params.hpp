#pragma once
// Parameters of API requests, named after the query parameters the API server takes.
// Each turns itself into query parameters; nothing here does I/O.

#include <boost/json/value.hpp>
#include <boost/url/url.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace kopp {

/// How a list or watch is selected and paged (metav1.ListOptions).
struct ListParams {
  std::string label_selector;   ///< e.g. "app=memcached,tier!=cache"
  std::string field_selector;   ///< e.g. "metadata.name=foo"
  std::uint32_t limit = 0;      ///< page size for list; 0 = server default (no paging)
  std::string continue_token;   ///< continue from a previous page
  std::string resource_version; ///< "" = most recent (quorum read); "0" = any cached
  std::string resource_version_match;  ///< "NotOlderThan" or "Exact" (list only)
  std::optional<std::uint32_t> timeout_seconds;  ///< watch: server closes after this
  bool allow_watch_bookmarks = true;             ///< watch: ask for BOOKMARK events
  bool send_initial_events = false;              ///< watch: streaming list

  void append_list_query(boost::urls::url& url) const;
  void append_watch_query(boost::urls::url& url) const;
};

/// Options of create / replace (metav1.CreateOptions, UpdateOptions).
struct PostParams {
  std::string field_manager;
  bool dry_run = false;
  void append_query(boost::urls::url& url) const;
};

/// Options of a patch (metav1.PatchOptions). For server-side apply `field_manager` is
/// required and `force` takes ownership of conflicting fields.
struct PatchParams {
  std::string field_manager;
  bool force = false;
  bool dry_run = false;
  void append_query(boost::urls::url& url) const;
  static PatchParams apply(std::string manager) { return {std::move(manager), false, false}; }
  PatchParams& forced() & { force = true; return *this; }
  PatchParams&& forced() && { force = true; return std::move(*this); }
};

enum class PropagationPolicy { orphan, background, foreground };

/// Options of a delete (metav1.DeleteOptions), sent as the request body.
struct DeleteParams {
  std::optional<PropagationPolicy> propagation_policy;
  std::optional<std::int64_t> grace_period_seconds;
  std::optional<std::string> precondition_uid;
  std::optional<std::string> precondition_resource_version;
  bool dry_run = false;
  boost::json::value to_body() const;
};

/// A patch body and its type; the type decides the Content-Type header.
struct Patch {
  enum class type { json_merge, json_patch, strategic_merge, apply };
  type kind;
  boost::json::value body;

  static Patch merge(boost::json::value v) { return {type::json_merge, std::move(v)}; }
  static Patch json(boost::json::value ops) { return {type::json_patch, std::move(ops)}; }
  static Patch strategic(boost::json::value v) { return {type::strategic_merge, std::move(v)}; }
  /// Server-side apply of a full or partial object (apiVersion and kind required).
  static Patch apply(boost::json::value object) { return {type::apply, std::move(object)}; }

  std::string_view content_type() const noexcept;
};

}  // namespace kopp

#include <kopp/client/impl/params.hpp>
