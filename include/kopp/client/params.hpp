#pragma once
// Parameters of API requests, named after the query parameters the API server takes.
// Each turns itself into query parameters; nothing here does I/O.
//
//   co_await api.list(kopp::ListParams().labels("app=web").limit(100));
//
// Why the structs declare a default constructor and offer chained setters instead of being
// aggregates for designated initializers: GCC 12 destroys a brace-initialised aggregate
// temporary twice when it appears in a co_await expression (a default argument `= {}`
// included). A class with a declared constructor is not affected.

#include <kopp/core/detail/config.hpp>
#include <kopp/core/merge_patch.hpp>

#include <boost/json/value.hpp>
#include <boost/url/url.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace kopp {

/// How a list or watch is selected and paged (metav1.ListOptions).
struct ListParams {
  ListParams() = default;

  std::string label_selector;                    ///< e.g. "app=memcached,tier!=cache"
  std::string field_selector;                    ///< e.g. "metadata.name=foo"
  std::uint32_t page_size = 0;                   ///< `limit` of a list page; 0 = server default (no paging)
  std::string continue_token;                    ///< continue from a previous page
  std::string resource_version;                  ///< "" = most recent (quorum read); "0" = any cached
  std::string resource_version_match;            ///< "NotOlderThan" or "Exact" (list only)
  std::optional<std::uint32_t> timeout_seconds;  ///< watch: server closes after this
  bool allow_watch_bookmarks = true;             ///< watch: ask for BOOKMARK events
  bool send_initial_events = false;              ///< watch: streaming list

  ListParams& labels(std::string selector) {
    label_selector = std::move(selector);
    return *this;
  }
  ListParams& fields(std::string selector) {
    field_selector = std::move(selector);
    return *this;
  }
  ListParams& limit(std::uint32_t n) {
    page_size = n;
    return *this;
  }
  ListParams& continue_from(std::string token) {
    continue_token = std::move(token);
    return *this;
  }
  ListParams& at_version(std::string rv) {
    resource_version = std::move(rv);
    return *this;
  }
  ListParams& version_match(std::string match) {
    resource_version_match = std::move(match);
    return *this;
  }
  ListParams& timeout(std::uint32_t seconds) {
    timeout_seconds = seconds;
    return *this;
  }
  ListParams& bookmarks(bool on) {
    allow_watch_bookmarks = on;
    return *this;
  }
  ListParams& initial_events(bool on = true) {
    send_initial_events = on;
    return *this;
  }

  void append_list_query(boost::urls::url& url) const;
  void append_watch_query(boost::urls::url& url) const;
};

/// Options of create / replace (metav1.CreateOptions, UpdateOptions).
struct PostParams {
  PostParams() = default;
  explicit PostParams(std::string manager) : field_manager(std::move(manager)) {}

  std::string field_manager;
  bool dry_run = false;
  void append_query(boost::urls::url& url) const;
};

/// Options of a patch (metav1.PatchOptions). For server-side apply `field_manager` is
/// required and `force` takes ownership of conflicting fields.
struct PatchParams {
  PatchParams() = default;
  explicit PatchParams(std::string manager) : field_manager(std::move(manager)) {}

  std::string field_manager;
  bool force = false;
  bool dry_run = false;
  void append_query(boost::urls::url& url) const;
  static PatchParams apply(std::string manager) { return PatchParams(std::move(manager)); }
  PatchParams& forced() & {
    force = true;
    return *this;
  }
  PatchParams&& forced() && {
    force = true;
    return std::move(*this);
  }
};

enum class PropagationPolicy { orphan, background, foreground };

/// Options of a delete (metav1.DeleteOptions), sent as the request body.
struct DeleteParams {
  DeleteParams() = default;

  std::optional<PropagationPolicy> propagation_policy;
  std::optional<std::int64_t> grace_period_seconds;
  std::optional<std::string> precondition_uid;
  std::optional<std::string> precondition_resource_version;
  bool dry_run = false;

  DeleteParams& propagation(PropagationPolicy p) {
    propagation_policy = p;
    return *this;
  }
  DeleteParams& grace_period(std::int64_t seconds) {
    grace_period_seconds = seconds;
    return *this;
  }
  DeleteParams& only_if_uid(std::string uid) {
    precondition_uid = std::move(uid);
    return *this;
  }
  DeleteParams& only_if_version(std::string rv) {
    precondition_resource_version = std::move(rv);
    return *this;
  }

  boost::json::value to_body() const;
};

/// A patch body and its type; the type decides the Content-Type header.
struct Patch {
  enum class type { json_merge, json_patch, strategic_merge, apply };
  Patch(type k, boost::json::value b) : kind(k), body(std::move(b)) {}

  type kind;
  boost::json::value body;

  static Patch merge(boost::json::value v) { return Patch(type::json_merge, std::move(v)); }
  static Patch json(boost::json::value ops) { return Patch(type::json_patch, std::move(ops)); }
  static Patch strategic(boost::json::value v) { return Patch(type::strategic_merge, std::move(v)); }
  /// Server-side apply of a full or partial object (apiVersion and kind required).
  static Patch apply(boost::json::value object) { return Patch(type::apply, std::move(object)); }

  std::string_view content_type() const noexcept;
};

/// A JSON merge patch (RFC 7386) that turns `before` into `after`: only the members that
/// differ, `null` for removed ones. Built from a cached object and a modified copy of it,
/// it changes exactly what the caller changed, also when the cached object is transformed
/// (see kopp/runtime/cache/informer.hpp).
template <class K>
[[nodiscard]] Patch merge_patch(const K& before, const K& after) {
  return Patch::merge(merge_patch_json(before, after));
}

}  // namespace kopp

#if KOPP_HEADER_ONLY
#include <kopp/client/impl/params.ipp>
#endif
