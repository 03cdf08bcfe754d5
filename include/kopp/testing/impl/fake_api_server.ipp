#pragma once

#include <kopp/testing/fake_api_server.hpp>

#include <kopp/core/time.hpp>
#include <kopp/runtime/cache/label_selector.hpp>
#include <kopp/testing/detail/apply_merge_patch.hpp>
#include <kopp/testing/detail/json_patch.hpp>
#include <kopp/testing/detail/patch_error.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kopp::testing {

// --- FakeWatch ------------------------------------------------------------------------

inline std::string FakeWatch::take() {
  std::lock_guard lock(mutex_);
  return std::exchange(pending_, std::string());
}

inline bool FakeWatch::ended() const {
  std::lock_guard lock(mutex_);
  return ended_;
}

inline void FakeWatch::on_ready(std::function<void()> ready) {
  bool call_now = false;
  {
    std::lock_guard lock(mutex_);
    ready_ = std::move(ready);
    call_now = !pending_.empty() || ended_;
  }
  if (call_now && ready_) ready_();
}

inline void FakeWatch::cancel() {
  std::lock_guard lock(mutex_);
  cancelled_ = true;
  pending_.clear();
  ready_ = nullptr;  // the stream is gone: nobody to wake
}

namespace detail {

/// A served resource: what discovery lists and what the paths address.
struct FakeResource {
  std::string group, version, plural, singular, kind;
  bool namespaced = true;
  bool status = false;  ///< has the status subresource
  std::vector<std::string> short_names;

  std::string api_version() const { return group.empty() ? version : group + "/" + version; }
  /// Storage is per group and resource: every version of a resource is the same objects.
  std::string storage_key() const { return group + "/" + plural; }
};

/// A failed request, answered with a meta/v1 Status.
struct FakeFailure {
  unsigned code;
  std::string reason;
  std::string message;
  boost::json::object details;
};

inline FakeResponse status_response(const FakeFailure& failure) {
  boost::json::object status{{"kind", "Status"},    {"apiVersion", "v1"},         {"metadata", boost::json::object()},
                             {"status", "Failure"}, {"message", failure.message}, {"reason", failure.reason},
                             {"code", failure.code}};
  if (!failure.details.empty()) status["details"] = failure.details;
  FakeResponse response;
  response.status = failure.code;
  response.body = boost::json::serialize(status);
  return response;
}

inline FakeResponse json_response(unsigned code, const boost::json::value& body) {
  FakeResponse response;
  response.status = code;
  response.body = boost::json::serialize(body);
  return response;
}

inline std::string percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
      out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

inline std::map<std::string, std::string> parse_query(std::string_view query) {
  std::map<std::string, std::string> parameters;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    const auto equals = pair.find('=');
    parameters[percent_decode(pair.substr(0, equals))] =
        equals == std::string_view::npos ? std::string() : percent_decode(pair.substr(equals + 1));
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
  }
  return parameters;
}

/// DNS-1123 subdomain (most names) or label (namespaces): the API server's name rules.
inline std::string name_problem(std::string_view name, bool label) {
  const std::size_t limit = label ? 63 : 253;
  if (name.empty()) return "a name is required";
  if (name.size() > limit) return "must be no more than " + std::to_string(limit) + " characters";
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  bool ok = alnum(name.front()) && alnum(name.back());
  for (char c : name) ok = ok && (alnum(c) || c == '-' || (!label && c == '.'));
  if (ok) return {};
  return label ? "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
                 "start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
                 "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
               : "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
                 "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
                 "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
}

inline const boost::json::object* object_at(const boost::json::object& object, std::string_view key) {
  const auto* v = object.if_contains(key);
  return v ? v->if_object() : nullptr;
}

inline std::string string_at(const boost::json::object& object, std::string_view key) {
  const auto* v = object.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

inline std::map<std::string, std::string> labels_of(const boost::json::object& object) {
  std::map<std::string, std::string> labels;
  if (const auto* meta = object_at(object, "metadata"))
    if (const auto* l = object_at(*meta, "labels"))
      for (const auto& kv : *l)
        if (kv.value().is_string()) labels.emplace(kv.key(), kv.value().get_string());
  return labels;
}

/// The object without metadata and status: what a generation counts changes of.
inline boost::json::object spec_part(const boost::json::object& object, bool status_is_separate) {
  boost::json::object rest = object;
  rest.erase("metadata");
  rest.erase("apiVersion");
  rest.erase("kind");
  if (status_is_separate) rest.erase("status");
  return rest;
}

}  // namespace detail

namespace detail {

/// Every request path the fake serves, taken apart; nullopt when it is not a resource path.
struct FakePath {
  std::string group, version, namespace_, plural, name, subresource;
  bool discovery = false;
  bool core_root = false;  ///< "/api", answered with the core group's versions
};

inline std::optional<FakePath> parse_fake_path(std::string_view path) {
  std::vector<std::string> segments;
  std::string_view rest = path;
  while (!rest.empty()) {
    if (rest.front() == '/') {
      rest.remove_prefix(1);
      continue;
    }
    const auto slash = rest.find('/');
    segments.push_back(percent_decode(rest.substr(0, slash)));
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  }
  FakePath p;
  std::size_t at = 0;
  if (!segments.empty() && segments[0] == "api") {
    if (segments.size() == 1) {
      p.discovery = true;
      p.core_root = true;
      return p;
    }
    p.version = segments[1];
    at = 2;
  } else if (!segments.empty() && segments[0] == "apis") {
    if (segments.size() <= 2) {
      p.discovery = true;
      if (segments.size() == 2) p.group = segments[1];
      return p;
    }
    p.group = segments[1];
    p.version = segments[2];
    at = 3;
  } else {
    return std::nullopt;
  }
  if (at == segments.size()) {
    p.discovery = true;
    return p;
  }
  const std::size_t left = segments.size() - at;
  const bool namespace_subresource =
      left == 3 && segments[at] == "namespaces" && (segments[at + 2] == "status" || segments[at + 2] == "finalize");
  if (left >= 3 && segments[at] == "namespaces" && !namespace_subresource) {
    p.namespace_ = segments[at + 1];
    at += 2;
  }
  p.plural = segments[at++];
  if (at < segments.size()) p.name = segments[at++];
  if (at < segments.size()) p.subresource = segments[at++];
  if (at < segments.size()) return std::nullopt;
  return p;
}

}  // namespace detail

struct FakeApiServer::State {
  struct Event {
    std::uint64_t resource_version;
    std::string storage_key;
    std::string namespace_;
    std::string type;  // ADDED, MODIFIED, DELETED
    boost::json::object object;
    boost::json::object previous;  // for MODIFIED: the object before (selector transitions)
  };
  struct OpenWatch {
    std::weak_ptr<FakeWatch> watch;
    detail::FakeResource resource;
    std::string namespace_;
    LabelSelector labels;
    std::string field_name;       // metadata.name=...
    std::string field_namespace;  // metadata.namespace=...
    bool bookmarks = false;
  };
  struct ObjectSelection {
    LabelSelector labels;
    std::string name, namespace_;
    bool matches(const boost::json::object& object) const {
      const auto* meta = detail::object_at(object, "metadata");
      if (!meta) return false;
      if (!name.empty() && detail::string_at(*meta, "name") != name) return false;
      if (!namespace_.empty() && detail::string_at(*meta, "namespace") != namespace_) return false;
      return labels.matches(detail::labels_of(object));
    }
  };

  mutable std::mutex mutex;
  std::vector<detail::FakeResource> resources;
  /// storage key -> "namespace/name" -> object (as stored: apiVersion of the storage version)
  std::map<std::string, std::map<std::string, boost::json::object>> objects;
  std::uint64_t resource_version = 1;
  std::uint64_t compacted = 0;  ///< resourceVersions at or below this are gone from history
  std::vector<Event> history;
  std::vector<OpenWatch> watches;
  std::mt19937_64 random{std::random_device{}()};
  /// Ready callbacks collected under the lock, called after it is released.
  std::vector<std::function<void()>> wake;

  // -- registry ------------------------------------------------------------------------

  void add_resource(std::string group, std::string version, std::string plural, std::string kind, bool namespaced,
                    bool status = false) {
    detail::FakeResource r;
    r.group = std::move(group);
    r.version = std::move(version);
    r.plural = std::move(plural);
    r.kind = std::move(kind);
    r.singular = r.kind;
    std::transform(r.singular.begin(), r.singular.end(), r.singular.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    r.namespaced = namespaced;
    r.status = status;
    resources.push_back(std::move(r));
  }

  const detail::FakeResource* find_resource(std::string_view group, std::string_view version,
                                            std::string_view plural) const {
    for (const auto& r : resources)
      if (r.group == group && r.version == version && r.plural == plural) return &r;
    return nullptr;
  }

  State() {
    add_resource("", "v1", "namespaces", "Namespace", false, true);
    add_resource("", "v1", "configmaps", "ConfigMap", true);
    add_resource("", "v1", "secrets", "Secret", true);
    add_resource("", "v1", "services", "Service", true, true);
    add_resource("", "v1", "pods", "Pod", true, true);
    add_resource("", "v1", "serviceaccounts", "ServiceAccount", true);
    add_resource("", "v1", "events", "Event", true);
    add_resource("", "v1", "endpoints", "Endpoints", true);
    add_resource("apps", "v1", "deployments", "Deployment", true, true);
    add_resource("apps", "v1", "statefulsets", "StatefulSet", true, true);
    add_resource("apps", "v1", "daemonsets", "DaemonSet", true, true);
    add_resource("apps", "v1", "replicasets", "ReplicaSet", true, true);
    add_resource("batch", "v1", "jobs", "Job", true, true);
    add_resource("batch", "v1", "cronjobs", "CronJob", true, true);
    add_resource("coordination.k8s.io", "v1", "leases", "Lease", true);
    add_resource("events.k8s.io", "v1", "events", "Event", true);
    add_resource("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", false, true);
    add_resource("rbac.authorization.k8s.io", "v1", "roles", "Role", true);
    add_resource("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", true);
    add_resource("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false);
    add_resource("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", false);
    for (const char* name : {"default", "kube-system", "kube-public", "kube-node-lease"}) {
      boost::json::object ns{{"apiVersion", "v1"},
                             {"kind", "Namespace"},
                             {"metadata", boost::json::object{{"name", name}}},
                             {"spec", boost::json::object{{"finalizers", boost::json::array{"kubernetes"}}}},
                             {"status", boost::json::object{{"phase", "Active"}}}};
      stamp_new(ns);
      objects["/namespaces"][std::string("/") + name] = ns;
    }
  }

  // -- helpers ---------------------------------------------------------------------------

  std::string new_uid() {
    std::uniform_int_distribution<int> digit(0, 15);
    std::string uid;
    for (int i = 0; i < 32; ++i) {
      if (i == 8 || i == 12 || i == 16 || i == 20) uid += '-';
      int d = digit(random);
      if (i == 12) d = 4;            // version 4
      if (i == 16) d = 8 + (d & 3);  // variant 10xx
      uid += "0123456789abcdef"[d];
    }
    return uid;
  }

  std::string random_suffix() {
    // The API server's generateName alphabet: no vowels, no look-alike digits.
    static constexpr std::string_view alphabet = "bcdfghjklmnpqrstvwxz2456789";
    std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
    std::string suffix;
    for (int i = 0; i < 5; ++i) suffix += alphabet[pick(random)];
    return suffix;
  }

  /// uid, creationTimestamp, a new resourceVersion and generation 1 on a created object.
  void stamp_new(boost::json::object& object) {
    auto& meta = object["metadata"].as_object();
    meta["uid"] = new_uid();
    meta["creationTimestamp"] = Time::now().to_string().substr(0, 19) + "Z";
    meta["generation"] = 1;
    meta["resourceVersion"] = std::to_string(++resource_version);
  }

  static std::string key_of(std::string_view ns, std::string_view name) {
    return std::string(ns) + "/" + std::string(name);
  }

  static std::string kind_name(const detail::FakeResource& r) {
    return r.group.empty() ? r.plural : r.plural + "." + r.group;
  }

  /// The object as the client sees it: apiVersion and kind of the version asked for.
  static boost::json::object presented(boost::json::object object, const detail::FakeResource& r) {
    object["apiVersion"] = r.api_version();
    object["kind"] = r.kind;
    return object;
  }

  static detail::FakeFailure not_found(const detail::FakeResource& r, std::string_view name) {
    return {404, "NotFound", kind_name(r) + " \"" + std::string(name) + "\" not found",
            boost::json::object{{"name", name}, {"group", r.group}, {"kind", r.plural}}};
  }

  static detail::FakeFailure conflict(const detail::FakeResource& r, std::string_view name) {
    return {409, "Conflict",
            "Operation cannot be fulfilled on " + kind_name(r) + " \"" + std::string(name) +
                "\": the object has been modified; please apply your changes to the latest version and try again",
            boost::json::object{{"name", name}, {"group", r.group}, {"kind", r.plural}}};
  }

  static detail::FakeFailure invalid(const detail::FakeResource& r, std::string_view name, std::string field,
                                     std::string value_text, std::string why) {
    const std::string kind_group = r.group.empty() ? r.kind : r.kind + "." + r.group;
    boost::json::object cause{
        {"reason", "FieldValueInvalid"}, {"message", "Invalid value: " + value_text + ": " + why}, {"field", field}};
    return {422, "Invalid",
            kind_group + " \"" + std::string(name) + "\" is invalid: " + field + ": Invalid value: " + value_text +
                ": " + why,
            boost::json::object{
                {"name", name}, {"group", r.group}, {"kind", r.kind}, {"causes", boost::json::array{cause}}}};
  }

  // -- events ----------------------------------------------------------------------------

  static std::string event_line(std::string_view type, const boost::json::object& object) {
    return boost::json::serialize(boost::json::object{{"type", type}, {"object", object}}) + "\n";
  }

  void queue(FakeWatch& watch, const std::string& line) {
    std::lock_guard lock(watch.mutex_);
    if (watch.cancelled_ || watch.ended_) return;
    watch.pending_ += line;
    if (watch.ready_) wake.push_back(watch.ready_);
  }

  void end(FakeWatch& watch) {
    std::lock_guard lock(watch.mutex_);
    if (watch.ended_) return;
    watch.ended_ = true;
    if (watch.ready_) wake.push_back(watch.ready_);
  }

  /// The event a watch with this selection sees for a change, as the API server's watch
  /// cache filters: an object that starts matching is ADDED, one that stops is DELETED.
  static std::optional<std::string> filtered_type(const Event& event, const OpenWatch& w) {
    ObjectSelection selection{w.labels, w.field_name, w.field_namespace};
    const bool now = selection.matches(event.object);
    if (event.type != "MODIFIED") return now ? std::optional<std::string>(event.type) : std::nullopt;
    const bool before = selection.matches(event.previous);
    if (now && before) return std::string("MODIFIED");
    if (now) return std::string("ADDED");
    if (before) return std::string("DELETED");
    return std::nullopt;
  }

  void publish(const detail::FakeResource& r, std::string type, const boost::json::object& object,
               const boost::json::object& previous = {}) {
    const auto* meta = detail::object_at(object, "metadata");
    Event event{resource_version, r.storage_key(), meta ? detail::string_at(*meta, "namespace") : std::string(),
                std::move(type),  object,          previous};
    for (auto it = watches.begin(); it != watches.end();) {
      auto watch = it->watch.lock();
      if (!watch) {
        it = watches.erase(it);
        continue;
      }
      if (it->resource.storage_key() == event.storage_key &&
          (it->namespace_.empty() || it->namespace_ == event.namespace_))
        if (auto seen = filtered_type(event, *it)) queue(*watch, event_line(*seen, presented(object, it->resource)));
      ++it;
    }
    history.push_back(std::move(event));
  }

  // -- storage ---------------------------------------------------------------------------

  boost::json::object* find(const detail::FakeResource& r, std::string_view ns, std::string_view name) {
    auto bucket = objects.find(r.storage_key());
    if (bucket == objects.end()) return nullptr;
    auto found = bucket->second.find(key_of(ns, name));
    return found == bucket->second.end() ? nullptr : &found->second;
  }

  bool namespace_exists(std::string_view ns) {
    auto bucket = objects.find("/namespaces");
    return bucket != objects.end() && bucket->second.count(key_of("", ns)) > 0;
  }

  /// Removes an object for good (no finalizers left), then collects its dependents.
  void remove(const detail::FakeResource& r, const std::string& ns, const std::string& name,
              std::string_view propagation) {
    auto& bucket = objects[r.storage_key()];
    auto found = bucket.find(key_of(ns, name));
    if (found == bucket.end()) return;
    boost::json::object gone = std::move(found->second);
    bucket.erase(found);
    ++resource_version;
    gone["metadata"].as_object()["resourceVersion"] = std::to_string(resource_version);
    publish(r, "DELETED", gone);
    const std::string uid = detail::string_at(gone["metadata"].as_object(), "uid");
    if (r.plural == "namespaces" && r.group.empty()) delete_namespace_contents(name);
    collect_dependents(uid, propagation == "Orphan" ? "Orphan" : "Background");
    if (r.group == "apiextensions.k8s.io" && r.plural == "customresourcedefinitions") unregister_crd(gone);
  }

  /// Garbage collection of the objects whose ownerReferences name `uid` (what
  /// kube-controller-manager does, asynchronously, in a real cluster).
  void collect_dependents(const std::string& uid, std::string_view propagation) {
    std::vector<std::pair<const detail::FakeResource*, std::pair<std::string, std::string>>> dependents;
    for (const auto& r : resources) {
      if (&r != &*std::find_if(resources.begin(), resources.end(),
                               [&](const detail::FakeResource& x) { return x.storage_key() == r.storage_key(); }))
        continue;  // one version per storage
      auto bucket = objects.find(r.storage_key());
      if (bucket == objects.end()) continue;
      for (auto& [key, object] : bucket->second) {
        const auto* meta = detail::object_at(object, "metadata");
        const auto* owners = meta ? meta->if_contains("ownerReferences") : nullptr;
        if (!owners || !owners->is_array()) continue;
        for (const auto& owner : owners->get_array())
          if (owner.is_object() && detail::string_at(owner.get_object(), "uid") == uid) {
            dependents.push_back({&r, {detail::string_at(*meta, "namespace"), detail::string_at(*meta, "name")}});
            break;
          }
      }
    }
    for (const auto& [r, id] : dependents) {
      auto* object = find(*r, id.first, id.second);
      if (!object) continue;
      if (propagation == "Orphan") {
        boost::json::object before = *object;
        auto& owners = (*object)["metadata"].as_object()["ownerReferences"].as_array();
        owners.erase(std::remove_if(owners.begin(), owners.end(),
                                    [&](const boost::json::value& o) {
                                      return o.is_object() && detail::string_at(o.get_object(), "uid") == uid;
                                    }),
                     owners.end());
        if (owners.empty()) (*object)["metadata"].as_object().erase("ownerReferences");
        (*object)["metadata"].as_object()["resourceVersion"] = std::to_string(++resource_version);
        publish(*r, "MODIFIED", *object, before);
      } else {
        delete_object(*r, id.first, id.second, "Background");
      }
    }
  }

  void delete_namespace_contents(const std::string& ns) {
    for (const auto& r : resources) {
      if (!r.namespaced) continue;
      auto bucket = objects.find(r.storage_key());
      if (bucket == objects.end()) continue;
      std::vector<std::string> names;
      for (const auto& [key, object] : bucket->second)
        if (key.compare(0, ns.size() + 1, ns + "/") == 0) names.push_back(key.substr(ns.size() + 1));
      for (const auto& name : names) {
        // The namespace controller removes finalizers' holds only by waiting; here they are
        // dropped so that the namespace can go (docs/testing.md lists this simplification).
        if (auto* object = find(r, ns, name)) (*object)["metadata"].as_object().erase("finalizers");
        remove(r, ns, name, "Background");
      }
    }
  }

  /// DELETE semantics: finalizers hold the object (deletionTimestamp set), otherwise it goes.
  /// Returns the object as the response shows it.
  boost::json::object delete_object(const detail::FakeResource& r, const std::string& ns, const std::string& name,
                                    std::string_view propagation) {
    auto* object = find(r, ns, name);
    auto& meta = (*object)["metadata"].as_object();
    const auto* finalizers = meta.if_contains("finalizers");
    const bool held = finalizers && finalizers->is_array() && !finalizers->get_array().empty();
    if (propagation == "Foreground" || held) {
      boost::json::object before = *object;
      if (!meta.contains("deletionTimestamp")) {
        meta["deletionTimestamp"] = Time::now().to_string().substr(0, 19) + "Z";
        meta["deletionGracePeriodSeconds"] = 0;
        if (meta.contains("generation")) meta["generation"] = meta["generation"].to_number<std::int64_t>() + 1;
      }
      if (propagation == "Foreground" || propagation == "Orphan") {
        auto& list = meta["finalizers"];
        if (!list.is_array()) list = boost::json::array();
        const char* finalizer = propagation == "Foreground" ? "foregroundDeletion" : "orphan";
        if (std::find(list.as_array().begin(), list.as_array().end(), boost::json::value(finalizer)) ==
            list.as_array().end())
          list.as_array().push_back(finalizer);
      }
      meta["resourceVersion"] = std::to_string(++resource_version);
      boost::json::object shown = *object;
      publish(r, "MODIFIED", shown, before);
      if (propagation == "Foreground" || propagation == "Orphan") run_deletion_finalizers(r, ns, name);
      return shown;
    }
    boost::json::object shown = *object;
    remove(r, ns, name, propagation);
    return shown;
  }

  /// The garbage collector's own finalizers: foregroundDeletion (dependents first) and
  /// orphan (dependents released); once done, the finalizer goes and perhaps the object.
  void run_deletion_finalizers(const detail::FakeResource& r, const std::string& ns, const std::string& name) {
    auto* object = find(r, ns, name);
    if (!object) return;
    const std::string uid = detail::string_at((*object)["metadata"].as_object(), "uid");
    auto finalizers = (*object)["metadata"].as_object()["finalizers"].as_array();
    for (const char* gc : {"foregroundDeletion", "orphan"}) {
      if (std::find(finalizers.begin(), finalizers.end(), boost::json::value(gc)) == finalizers.end()) continue;
      collect_dependents(uid, std::string_view(gc) == "orphan" ? "Orphan" : "Background");
      object = find(r, ns, name);
      if (!object) return;
      boost::json::object before = *object;
      auto& list = (*object)["metadata"].as_object()["finalizers"].as_array();
      list.erase(std::remove(list.begin(), list.end(), boost::json::value(gc)), list.end());
      (*object)["metadata"].as_object()["resourceVersion"] = std::to_string(++resource_version);
      publish(r, "MODIFIED", *object, before);
    }
    finish_if_released(r, ns, name);
  }

  /// A deleting object whose last finalizer was removed goes away.
  void finish_if_released(const detail::FakeResource& r, const std::string& ns, const std::string& name) {
    auto* object = find(r, ns, name);
    if (!object) return;
    const auto& meta = (*object)["metadata"].as_object();
    const auto* finalizers = meta.if_contains("finalizers");
    if (meta.contains("deletionTimestamp") &&
        (!finalizers || !finalizers->is_array() || finalizers->get_array().empty()))
      remove(r, ns, name, "Background");
  }

  // -- requests (defined below) ----------------------------------------------------------

  FakeResponse discovery(const detail::FakePath& path) const;
  FakeResponse serve(const detail::FakeResource& r, const detail::FakePath& path, const FakeRequest& request,
                     const std::map<std::string, std::string>& query, bool dry_run);
  FakeResponse list(const detail::FakeResource& r, const detail::FakePath& path,
                    const std::map<std::string, std::string>& query);
  FakeResponse write(const detail::FakeResource& r, const detail::FakePath& path, const FakeRequest& request,
                     const std::map<std::string, std::string>& query, bool dry_run);
  FakeResponse erase(const detail::FakeResource& r, const detail::FakePath& path, const FakeRequest& request,
                     const std::map<std::string, std::string>& query, bool dry_run);

  // -- CRDs ------------------------------------------------------------------------------

  void register_crd(boost::json::object& crd) {
    const auto& spec = crd["spec"].as_object();
    const std::string group = detail::string_at(spec, "group");
    const auto& names = spec.at("names").as_object();
    const bool namespaced = detail::string_at(spec, "scope") != "Cluster";
    boost::json::array stored;
    for (const auto& version : spec.at("versions").as_array()) {
      const auto& v = version.as_object();
      if (const auto* served = v.if_contains("served"); served && served->is_bool() && !served->get_bool()) continue;
      bool status = false;
      if (const auto* sub = detail::object_at(v, "subresources")) status = sub->contains("status");
      add_resource(group, detail::string_at(v, "name"), detail::string_at(names, "plural"),
                   detail::string_at(names, "kind"), namespaced, status);
      if (const auto* s = v.if_contains("storage"); s && s->is_bool() && s->get_bool()) stored.push_back(v.at("name"));
    }
    boost::json::object accepted = names;
    if (!accepted.contains("singular")) accepted["singular"] = resources.back().singular;
    if (!accepted.contains("listKind")) accepted["listKind"] = detail::string_at(names, "kind") + "List";
    const std::string now = Time::now().to_string().substr(0, 19) + "Z";
    auto condition = [&](const char* type, const char* reason, const char* message) {
      return boost::json::object{
          {"type", type}, {"status", "True"}, {"lastTransitionTime", now}, {"reason", reason}, {"message", message}};
    };
    crd["status"] = boost::json::object{
        {"acceptedNames", accepted},
        {"storedVersions", stored},
        {"conditions",
         boost::json::array{condition("NamesAccepted", "NoConflicts", "no conflicts found"),
                            condition("Established", "InitialNamesAccepted", "the initial names have been accepted")}}};
  }

  void unregister_crd(const boost::json::object& crd) {
    const auto& spec = crd.at("spec").as_object();
    const std::string group = detail::string_at(spec, "group");
    const std::string plural = detail::string_at(spec.at("names").as_object(), "plural");
    const std::string storage = group + "/" + plural;
    if (auto bucket = objects.find(storage); bucket != objects.end()) {
      const detail::FakeResource* r = nullptr;
      for (const auto& x : resources)
        if (x.storage_key() == storage) r = &x;
      std::vector<std::string> keys;
      for (const auto& [key, object] : bucket->second) keys.push_back(key);
      for (const auto& key : keys) {
        const auto slash = key.find('/');
        if (auto* object = find(*r, key.substr(0, slash), key.substr(slash + 1)))
          (*object)["metadata"].as_object().erase("finalizers");
        remove(*r, key.substr(0, slash), key.substr(slash + 1), "Background");
      }
    }
    for (auto& w : watches)
      if (w.resource.storage_key() == storage)
        if (auto watch = w.watch.lock()) end(*watch);
    std::erase_if(resources, [&](const detail::FakeResource& x) { return x.storage_key() == storage; });
  }
};

// --- Requests ----------------------------------------------------------------------------

namespace detail {

/// A request's target resolved against the registry.
struct FakeTarget {
  const FakeResource* resource = nullptr;
  std::string namespace_;
  std::string name;
  std::string subresource;
  std::map<std::string, std::string> query;
};

}  // namespace detail

inline FakeApiServer::FakeApiServer() : state_(std::make_unique<State>()) {}

inline FakeApiServer::~FakeApiServer() {
  std::lock_guard lock(state_->mutex);
  for (auto& w : state_->watches)
    if (auto watch = w.watch.lock()) {
      std::lock_guard watch_lock(watch->mutex_);
      watch->ended_ = true;
      watch->ready_ = nullptr;  // the server is going; its streams read the end
    }
}

inline bool FakeApiServer::is_watch(const FakeRequest& request) {
  if (request.method != boost::beast::http::verb::get) return false;
  const auto question = request.target.find('?');
  if (question == std::string::npos) return false;
  const auto query = detail::parse_query(std::string_view(request.target).substr(question + 1));
  const auto watch = query.find("watch");
  return watch != query.end() && (watch->second == "true" || watch->second == "1");
}

inline std::uint64_t FakeApiServer::resource_version() const {
  std::lock_guard lock(state_->mutex);
  return state_->resource_version;
}

inline void FakeApiServer::compact() {
  std::lock_guard lock(state_->mutex);
  state_->compacted = state_->resource_version;
  state_->history.clear();
}

inline void FakeApiServer::send_bookmarks() {
  std::vector<std::function<void()>> wake;
  {
    std::lock_guard lock(state_->mutex);
    for (auto& w : state_->watches)
      if (auto watch = w.watch.lock(); watch && w.bookmarks)
        state_->queue(
            *watch,
            State::event_line(
                "BOOKMARK",
                boost::json::object{
                    {"kind", w.resource.kind},
                    {"apiVersion", w.resource.api_version()},
                    {"metadata", boost::json::object{{"resourceVersion", std::to_string(state_->resource_version)}}}}));
    wake.swap(state_->wake);
  }
  for (auto& ready : wake) ready();
}

inline void FakeApiServer::end_watches() {
  std::vector<std::function<void()>> wake;
  {
    std::lock_guard lock(state_->mutex);
    for (auto& w : state_->watches)
      if (auto watch = w.watch.lock()) state_->end(*watch);
    state_->watches.clear();
    wake.swap(state_->wake);
  }
  for (auto& ready : wake) ready();
}

inline std::optional<boost::json::value> FakeApiServer::object(std::string_view path) const {
  FakeRequest request;
  request.target = std::string(path);
  auto response = const_cast<FakeApiServer*>(this)->handle(request);
  if (response.status != 200) return std::nullopt;
  return boost::json::parse(response.body);
}

inline FakeResponse FakeApiServer::handle(const FakeRequest& request) {
  using boost::beast::http::verb;
  using detail::FakeFailure;
  std::vector<std::function<void()>> wake;
  FakeResponse response;
  {
    std::lock_guard lock(state_->mutex);
    State& s = *state_;
    const auto question = request.target.find('?');
    const std::string path = request.target.substr(0, question);
    const auto query = detail::parse_query(
        question == std::string::npos ? std::string_view() : std::string_view(request.target).substr(question + 1));
    auto param = [&](const char* name) {
      auto found = query.find(name);
      return found == query.end() ? std::string() : found->second;
    };
    try {
      const auto parsed = detail::parse_fake_path(path);
      if (!parsed) throw FakeFailure{404, "NotFound", "the server could not find the requested resource", {}};
      const detail::FakePath& p = *parsed;
      if (p.discovery) {
        response = s.discovery(p);
      } else {
        const detail::FakeResource* found = s.find_resource(p.group, p.version, p.plural);
        if (!found) throw FakeFailure{404, "NotFound", "the server could not find the requested resource", {}};
        const detail::FakeResource r = *found;  // a copy: a CRD's deletion unregisters it
        if (!r.namespaced && !p.namespace_.empty())
          throw FakeFailure{404, "NotFound", "the server could not find the requested resource", {}};
        if (!p.subresource.empty() && !(p.subresource == "status" && r.status))
          throw FakeFailure{
              501,
              "NotImplemented",
              "the subresource \"" + p.subresource + "\" of " + r.plural + " is not modelled by kopp's fake API server",
              {}};
        const std::string dry_run = param("dryRun");
        if (!dry_run.empty() && dry_run != "All")
          throw FakeFailure{400, "BadRequest", "dryRun: Unsupported value: \"" + dry_run + "\"", {}};
        response = s.serve(r, p, request, query, !dry_run.empty());
      }
    } catch (const FakeFailure& failure) {
      response = detail::status_response(failure);
    } catch (const detail::PatchError& error) {
      boost::json::object details;
      if (!error.causes().empty()) {
        boost::json::array causes;
        for (const auto& c : error.causes())
          causes.push_back(boost::json::object{{"reason", c.reason}, {"message", c.message}, {"field", c.field}});
        details["causes"] = causes;
      }
      response = detail::status_response(FakeFailure{error.status(), error.reason(), error.what(), details});
    }
    wake.swap(s.wake);
  }
  for (auto& ready : wake) ready();
  return response;
}

// --- Discovery --------------------------------------------------------------------------

inline FakeResponse FakeApiServer::State::discovery(const detail::FakePath& path) const {
  using detail::FakeFailure;
  if (path.core_root)
    return detail::json_response(200,
                                 boost::json::object{{"kind", "APIVersions"}, {"versions", boost::json::array{"v1"}}});
  if (path.version.empty()) {
    std::map<std::string, std::vector<std::string>> groups;
    for (const auto& r : resources) {
      if (r.group.empty()) continue;
      auto& versions = groups[r.group];
      if (std::find(versions.begin(), versions.end(), r.version) == versions.end()) versions.push_back(r.version);
    }
    auto group_json = [](const std::string& name, const std::vector<std::string>& versions) {
      boost::json::array list;
      for (const auto& v : versions)
        list.push_back(boost::json::object{{"groupVersion", name + "/" + v}, {"version", v}});
      return boost::json::object{
          {"name", name}, {"versions", list}, {"preferredVersion", list.empty() ? boost::json::value() : list.front()}};
    };
    if (!path.group.empty()) {
      auto found = groups.find(path.group);
      if (found == groups.end())
        throw FakeFailure{404, "NotFound", "the server could not find the requested resource", {}};
      auto group = group_json(found->first, found->second);
      group["kind"] = "APIGroup";
      group["apiVersion"] = "v1";
      return detail::json_response(200, group);
    }
    boost::json::array list;
    for (const auto& [name, versions] : groups) list.push_back(group_json(name, versions));
    return detail::json_response(200,
                                 boost::json::object{{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", list}});
  }
  boost::json::array list;
  for (const auto& r : resources) {
    if (r.group != path.group || r.version != path.version) continue;
    const boost::json::array verbs{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"};
    list.push_back(boost::json::object{{"name", r.plural},
                                       {"singularName", r.singular},
                                       {"namespaced", r.namespaced},
                                       {"kind", r.kind},
                                       {"verbs", verbs}});
    if (r.status)
      list.push_back(boost::json::object{{"name", r.plural + "/status"},
                                         {"singularName", ""},
                                         {"namespaced", r.namespaced},
                                         {"kind", r.kind},
                                         {"verbs", boost::json::array{"get", "patch", "update"}}});
  }
  if (list.empty()) throw FakeFailure{404, "NotFound", "the server could not find the requested resource", {}};
  return detail::json_response(
      200, boost::json::object{{"kind", "APIResourceList"},
                               {"apiVersion", "v1"},
                               {"groupVersion", path.group.empty() ? path.version : path.group + "/" + path.version},
                               {"resources", list}});
}

// --- Reads ------------------------------------------------------------------------------

namespace detail {

/// labelSelector and fieldSelector of a request, as the API server parses them.
template <class Selection>
Selection parse_selection(const std::map<std::string, std::string>& query, const FakeResource& r) {
  Selection selection;
  if (auto found = query.find("labelSelector"); found != query.end() && !found->second.empty()) {
    try {
      selection.labels = LabelSelector::parse(found->second);
    } catch (const std::exception& e) {
      throw FakeFailure{400, "BadRequest", std::string("unable to parse requirement: ") + e.what(), {}};
    }
  }
  if (auto found = query.find("fieldSelector"); found != query.end() && !found->second.empty()) {
    std::string_view rest = found->second;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      const std::string_view term = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      if (term.find("!=") != std::string_view::npos)
        throw FakeFailure{501,
                          "NotImplemented",
                          "field selector \"" + std::string(term) + "\": != is not modelled by kopp's fake API server",
                          {}};
      auto equals = term.find("==");
      std::size_t skip = 2;
      if (equals == std::string_view::npos) {
        equals = term.find('=');
        skip = 1;
      }
      if (equals == std::string_view::npos)
        throw FakeFailure{
            400,
            "BadRequest",
            "invalid selector: '" + std::string(found->second) + "'; can't understand '" + std::string(term) + "'",
            {}};
      const std::string field(term.substr(0, equals));
      const std::string value(term.substr(equals + skip));
      if (field == "metadata.name")
        selection.name = value;
      else if (field == "metadata.namespace")
        selection.namespace_ = value;
      else if (r.group.empty())
        throw FakeFailure{400, "BadRequest", "field label not supported: " + field, {}};
      else
        throw FakeFailure{
            400,
            "BadRequest",
            "\"" + field + "\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"",
            {}};
    }
  }
  return selection;
}

inline std::string hex_encode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    out += "0123456789abcdef"[c >> 4];
    out += "0123456789abcdef"[c & 15];
  }
  return out;
}

inline std::optional<std::string> hex_decode(std::string_view text) {
  if (text.size() % 2) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < text.size(); i += 2) {
    auto v = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      return -1;
    };
    if (v(text[i]) < 0 || v(text[i + 1]) < 0) return std::nullopt;
    out += static_cast<char>(v(text[i]) * 16 + v(text[i + 1]));
  }
  return out;
}

inline bool is_builtin_group(std::string_view group) {
  return group.empty() || group == "apps" || group == "batch" || group == "coordination.k8s.io" ||
         group == "events.k8s.io" || group == "apiextensions.k8s.io" || group == "rbac.authorization.k8s.io";
}

}  // namespace detail

inline FakeResponse FakeApiServer::State::list(const detail::FakeResource& r, const detail::FakePath& path,
                                               const std::map<std::string, std::string>& query) {
  using detail::FakeFailure;
  const auto selection = detail::parse_selection<ObjectSelection>(query, r);
  std::size_t limit = 0;
  if (auto found = query.find("limit"); found != query.end() && !found->second.empty()) {
    try {
      limit = static_cast<std::size_t>(std::stoull(found->second));
    } catch (const std::exception&) {
      throw FakeFailure{400, "BadRequest", "limit: invalid value \"" + found->second + "\"", {}};
    }
  }
  std::string start_after;
  if (auto found = query.find("continue"); found != query.end() && !found->second.empty()) {
    const auto decoded = detail::hex_decode(found->second);
    boost::system::error_code ec;
    const auto token = decoded ? boost::json::parse(*decoded, ec) : boost::json::value();
    if (!decoded || ec || !token.is_object() || !token.as_object().contains("rv") ||
        !token.as_object().at("rv").is_int64() || !token.as_object().contains("start"))
      throw FakeFailure{400, "BadRequest", "continue key is not valid: the token is not one this server issued", {}};
    if (static_cast<std::uint64_t>(token.as_object().at("rv").as_int64()) < compacted)
      throw FakeFailure{
          410,
          "Expired",
          "The provided continue parameter is too old to display a consistent list result. You can start a new list "
          "without the continue parameter.",
          {}};
    start_after = std::string(token.as_object().at("start").as_string());
  }
  boost::json::array items;
  std::string continue_token;
  if (auto bucket = objects.find(r.storage_key()); bucket != objects.end()) {
    auto it = start_after.empty() ? bucket->second.begin() : bucket->second.upper_bound(start_after);
    for (; it != bucket->second.end(); ++it) {
      if (!path.namespace_.empty() && it->first.compare(0, path.namespace_.size() + 1, path.namespace_ + "/") != 0)
        continue;
      if (!selection.matches(it->second)) continue;
      if (limit > 0 && items.size() == limit) {
        continue_token = detail::hex_encode(boost::json::serialize(
            boost::json::object{{"rv", static_cast<std::int64_t>(resource_version)}, {"start", std::prev(it)->first}}));
        break;
      }
      boost::json::object item = presented(it->second, r);
      if (detail::is_builtin_group(r.group)) {
        // Typed lists carry no apiVersion/kind per item; custom resources' lists do.
        item.erase("apiVersion");
        item.erase("kind");
      }
      items.push_back(std::move(item));
    }
  }
  boost::json::object meta{{"resourceVersion", std::to_string(resource_version)}};
  if (!continue_token.empty()) meta["continue"] = continue_token;
  return detail::json_response(
      200, boost::json::object{
               {"kind", r.kind + "List"}, {"apiVersion", r.api_version()}, {"metadata", meta}, {"items", items}});
}

// --- Writes -----------------------------------------------------------------------------

inline FakeResponse FakeApiServer::State::serve(const detail::FakeResource& r, const detail::FakePath& path,
                                                const FakeRequest& request,
                                                const std::map<std::string, std::string>& query, bool dry_run) {
  using boost::beast::http::verb;
  using detail::FakeFailure;
  if (r.namespaced && path.namespace_.empty() && request.method != verb::get)
    throw FakeFailure{405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {}};
  switch (request.method) {
    case verb::get: {
      if (path.name.empty()) {
        if (auto found = query.find("watch"); found != query.end() && (found->second == "true" || found->second == "1"))
          throw FakeFailure{400, "BadRequest", "a watch goes through FakeApiServer::open_watch", {}};
        return list(r, path, query);
      }
      const auto* object = find(r, path.namespace_, path.name);
      if (!object) throw not_found(r, path.name);
      return detail::json_response(200, presented(*object, r));
    }
    case verb::post:
    case verb::put:
    case verb::patch:
      if (request.method == verb::post && !path.name.empty())
        throw FakeFailure{
            405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {}};
      if (request.method != verb::post && path.name.empty())
        throw FakeFailure{
            405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {}};
      return write(r, path, request, query, dry_run);
    case verb::delete_:
      return erase(r, path, request, query, dry_run);
    default:
      throw FakeFailure{405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {}};
  }
}

inline FakeResponse FakeApiServer::State::write(const detail::FakeResource& r, const detail::FakePath& path,
                                                const FakeRequest& request,
                                                const std::map<std::string, std::string>& /*query*/, bool dry_run) {
  using boost::beast::http::verb;
  using detail::FakeFailure;
  boost::system::error_code ec;
  const boost::json::value body = boost::json::parse(request.body, ec);
  if (ec) throw FakeFailure{400, "BadRequest", "the request body is not valid JSON: " + ec.message(), {}};
  const auto* existing = path.name.empty() ? nullptr : find(r, path.namespace_, path.name);
  const std::string kind_group = r.group.empty() ? r.kind : r.kind + "." + r.group;

  // The object the write asks for.
  boost::json::object wanted;
  if (request.method == verb::patch) {
    if (!existing) throw not_found(r, path.name);
    const boost::json::value current = presented(*existing, r);
    const std::string_view type = std::string_view(request.content_type).substr(0, request.content_type.find(';'));
    boost::json::value patched;
    if (type == "application/merge-patch+json")
      patched = detail::apply_merge_patch(current, body);
    else if (type == "application/json-patch+json")
      patched = detail::apply_json_patch(current, body);
    else if (type == "application/strategic-merge-patch+json" && !detail::is_builtin_group(r.group))
      throw FakeFailure{415,
                        "UnsupportedMediaType",
                        "the body of the request was in an unknown format - accepted media types include: "
                        "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml",
                        {}};
    else if (type == "application/strategic-merge-patch+json" || type == "application/apply-patch+yaml")
      throw FakeFailure{501,
                        "NotImplemented",
                        std::string(type) + " is not modelled by kopp's fake API server yet (docs/testing.md)",
                        {}};
    else
      throw FakeFailure{415, "UnsupportedMediaType", "the body of the request was in an unknown format", {}};
    if (!patched.is_object()) throw FakeFailure{422, "Invalid", "the patched object is not a JSON object", {}};
    wanted = std::move(patched.as_object());
  } else {
    if (!body.is_object()) throw FakeFailure{400, "BadRequest", "the request body is not a JSON object", {}};
    wanted = body.get_object();
  }
  if (const auto v = detail::string_at(wanted, "apiVersion"); !v.empty() && v != r.api_version())
    throw FakeFailure{
        400,
        "BadRequest",
        "the API version in the data (" + v + ") does not match the expected API version (" + r.api_version() + ")",
        {}};
  if (const auto k = detail::string_at(wanted, "kind"); !k.empty() && k != r.kind)
    throw FakeFailure{
        400, "BadRequest", "the kind in the data (" + k + ") does not match the expected kind (" + r.kind + ")", {}};
  if (!wanted["metadata"].is_object()) wanted["metadata"] = boost::json::object();
  auto& meta = wanted["metadata"].as_object();
  if (r.namespaced) {
    const std::string ns = detail::string_at(meta, "namespace");
    if (!ns.empty() && ns != path.namespace_)
      throw FakeFailure{400,
                        "BadRequest",
                        "the namespace of the provided object does not match the namespace sent on the request",
                        {}};
    meta["namespace"] = path.namespace_;
  } else {
    meta.erase("namespace");
  }
  const std::uint64_t version_before = resource_version;

  if (request.method == verb::post) {
    std::string name = detail::string_at(meta, "name");
    if (name.empty()) {
      const std::string prefix = detail::string_at(meta, "generateName");
      if (prefix.empty())
        throw FakeFailure{
            422, "Invalid",
            kind_group +
                " \"\" is invalid: metadata.name: Required value: name or generateName is "
                "required",
            boost::json::object{{"kind", r.kind},
                                {"group", r.group},
                                {"causes", boost::json::array{boost::json::object{
                                               {"reason", "FieldValueRequired"},
                                               {"message", "Required value: name or generateName is required"},
                                               {"field", "metadata.name"}}}}}};
      name = prefix + random_suffix();
      meta["name"] = name;
    }
    const bool label = r.group.empty() && r.plural == "namespaces";
    if (const auto why = detail::name_problem(name, label); !why.empty())
      throw invalid(r, name, "metadata.name", "\"" + name + "\"", why);
    if (r.namespaced && !namespace_exists(path.namespace_))
      throw FakeFailure{404, "NotFound", "namespaces \"" + path.namespace_ + "\" not found",
                        boost::json::object{{"name", path.namespace_}, {"kind", "namespaces"}}};
    if (find(r, path.namespace_, name))
      throw FakeFailure{409, "AlreadyExists", kind_name(r) + " \"" + name + "\" already exists",
                        boost::json::object{{"name", name}, {"group", r.group}, {"kind", r.plural}}};
    for (const char* server_set : {"uid", "resourceVersion", "creationTimestamp", "deletionTimestamp",
                                   "deletionGracePeriodSeconds", "generation", "managedFields"})
      meta.erase(server_set);
    if (r.status) wanted.erase("status");
    if (r.group.empty() && r.plural == "namespaces") {
      wanted["spec"] = boost::json::object{{"finalizers", boost::json::array{"kubernetes"}}};
      wanted["status"] = boost::json::object{{"phase", "Active"}};
    }
    wanted = presented(std::move(wanted), r);
    stamp_new(wanted);
    if (r.group == "apiextensions.k8s.io" && r.plural == "customresourcedefinitions") {
      if (!wanted["spec"].is_object() || !detail::object_at(wanted["spec"].as_object(), "names") ||
          !wanted["spec"].as_object().contains("versions"))
        throw invalid(r, name, "spec", "{}", "spec.group, spec.names and spec.versions are required");
      if (!dry_run) register_crd(wanted);
    }
    if (dry_run) {
      resource_version = version_before;
      wanted["metadata"].as_object().erase("resourceVersion");
      return detail::json_response(201, wanted);
    }
    objects[r.storage_key()][key_of(path.namespace_, name)] = wanted;
    publish(r, "ADDED", wanted);
    return detail::json_response(201, wanted);
  }

  // PUT and PATCH: an update of `existing`.
  if (!existing) throw not_found(r, path.name);
  if (detail::string_at(meta, "name") != path.name)
    throw FakeFailure{400,
                      "BadRequest",
                      "the name of the object (" + detail::string_at(meta, "name") +
                          ") does not match the name on the URL (" + path.name + ")",
                      {}};
  const boost::json::object old = *existing;
  const auto& old_meta = old.at("metadata").as_object();
  if (const auto rv = detail::string_at(meta, "resourceVersion");
      !rv.empty() && rv != detail::string_at(old_meta, "resourceVersion"))
    throw conflict(r, path.name);
  boost::json::object next;
  if (path.subresource == "status") {
    next = old;
    if (const auto* status = wanted.if_contains("status"))
      next["status"] = *status;
    else
      next.erase("status");
  } else {
    next = presented(std::move(wanted), r);
    if (r.status) {
      if (const auto* status = old.if_contains("status"))
        next["status"] = *status;
      else
        next.erase("status");
    }
    auto& next_meta = next["metadata"].as_object();
    for (const char* kept : {"uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
                             "generation", "managedFields"}) {
      if (const auto* v = old_meta.if_contains(kept))
        next_meta[kept] = *v;
      else
        next_meta.erase(kept);
    }
    if (old_meta.contains("deletionTimestamp")) {
      std::set<std::string> had;
      if (const auto* f = old_meta.if_contains("finalizers"); f && f->is_array())
        for (const auto& x : f->get_array())
          if (x.is_string()) had.insert(std::string(x.get_string()));
      if (const auto* f = next_meta.if_contains("finalizers"); f && f->is_array())
        for (const auto& x : f->get_array())
          if (x.is_string() && !had.count(std::string(x.get_string())))
            throw FakeFailure{422,
                              "Invalid",
                              kind_group + " \"" + path.name +
                                  "\" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if "
                                  "the object is being deleted, found new finalizers []string{\"" +
                                  std::string(x.get_string()) + "\"}",
                              {}};
    }
    if (detail::spec_part(next, r.status) != detail::spec_part(old, r.status))
      next_meta["generation"] =
          old_meta.contains("generation") ? old_meta.at("generation").to_number<std::int64_t>() + 1 : std::int64_t{1};
  }
  next["metadata"].as_object()["resourceVersion"] = old_meta.at("resourceVersion");
  if (next == old) return detail::json_response(200, old);  // a no-op write changes nothing, as on the real server
  next["metadata"].as_object()["resourceVersion"] = std::to_string(dry_run ? resource_version : ++resource_version);
  if (dry_run) return detail::json_response(200, next);
  *find(r, path.namespace_, path.name) = next;
  publish(r, "MODIFIED", next, old);
  finish_if_released(r, path.namespace_, path.name);
  return detail::json_response(200, next);
}

inline FakeResponse FakeApiServer::State::erase(const detail::FakeResource& r, const detail::FakePath& path,
                                                const FakeRequest& request,
                                                const std::map<std::string, std::string>& query, bool dry_run) {
  using detail::FakeFailure;
  boost::json::object options;
  if (!request.body.empty()) {
    boost::system::error_code ec;
    auto body = boost::json::parse(request.body, ec);
    if (ec || !body.is_object())
      throw FakeFailure{400, "BadRequest", "the DeleteOptions body is not a JSON object", {}};
    options = std::move(body.as_object());
  }
  std::string propagation = detail::string_at(options, "propagationPolicy");
  if (auto found = query.find("propagationPolicy"); found != query.end()) propagation = found->second;
  if (propagation.empty()) propagation = "Background";
  if (propagation != "Background" && propagation != "Foreground" && propagation != "Orphan")
    throw FakeFailure{400, "BadRequest", "propagationPolicy: Unsupported value: \"" + propagation + "\"", {}};
  if (const auto* d = options.if_contains("dryRun"); d && d->is_array() && !d->get_array().empty()) dry_run = true;
  if (path.name.empty()) {
    // deletecollection: every selected object, each deleted as by its own DELETE.
    auto listed = boost::json::parse(list(r, path, query).body).as_object();
    boost::json::array deleted;
    for (auto& item : listed["items"].as_array()) {
      const auto& meta = item.as_object().at("metadata").as_object();
      if (dry_run)
        deleted.push_back(item);
      else
        deleted.push_back(
            delete_object(r, detail::string_at(meta, "namespace"), detail::string_at(meta, "name"), propagation));
    }
    listed["items"] = deleted;
    return detail::json_response(200, listed);
  }
  auto* object = find(r, path.namespace_, path.name);
  if (!object) throw not_found(r, path.name);
  const auto& meta = (*object)["metadata"].as_object();
  if (const auto* pre = detail::object_at(options, "preconditions")) {
    const std::string uid = detail::string_at(*pre, "uid");
    if (!uid.empty() && uid != detail::string_at(meta, "uid"))
      throw FakeFailure{409, "Conflict",
                        "Precondition failed: UID in precondition: " + uid +
                            ", UID in object meta: " + detail::string_at(meta, "uid"),
                        boost::json::object{{"name", path.name}, {"group", r.group}, {"kind", r.plural}}};
    const std::string rv = detail::string_at(*pre, "resourceVersion");
    if (!rv.empty() && rv != detail::string_at(meta, "resourceVersion"))
      throw FakeFailure{409, "Conflict",
                        "Precondition failed: ResourceVersion in precondition: " + rv +
                            ", ResourceVersion in object meta: " + detail::string_at(meta, "resourceVersion"),
                        boost::json::object{{"name", path.name}, {"group", r.group}, {"kind", r.plural}}};
  }
  if (dry_run) return detail::json_response(200, presented(*object, r));
  return detail::json_response(200, presented(delete_object(r, path.namespace_, path.name, propagation), r));
}

// --- Watches ----------------------------------------------------------------------------

inline std::variant<FakeResponse, std::shared_ptr<FakeWatch>> FakeApiServer::open_watch(const FakeRequest& request) {
  using detail::FakeFailure;
  std::vector<std::function<void()>> wake;
  std::variant<FakeResponse, std::shared_ptr<FakeWatch>> result;
  {
    std::lock_guard lock(state_->mutex);
    State& s = *state_;
    const auto question = request.target.find('?');
    const auto query = detail::parse_query(
        question == std::string::npos ? std::string_view() : std::string_view(request.target).substr(question + 1));
    try {
      const auto path = detail::parse_fake_path(request.target.substr(0, question));
      const detail::FakeResource* r =
          path && !path->discovery ? s.find_resource(path->group, path->version, path->plural) : nullptr;
      if (!r || !path->name.empty())
        throw FakeFailure{404, "NotFound", "the server could not find the requested resource", {}};
      State::OpenWatch open;
      open.resource = *r;
      open.namespace_ = path->namespace_;
      const auto selection = detail::parse_selection<State::ObjectSelection>(query, *r);
      open.labels = selection.labels;
      open.field_name = selection.name;
      open.field_namespace = selection.namespace_;
      auto flag = [&](const char* name) {
        auto found = query.find(name);
        return found != query.end() && (found->second == "true" || found->second == "1");
      };
      open.bookmarks = flag("allowWatchBookmarks");
      const bool initial_events = flag("sendInitialEvents");
      auto watch = std::make_shared<FakeWatch>();
      bool expired = false;
      const std::string rv_text = query.count("resourceVersion") ? query.at("resourceVersion") : std::string();
      auto matches = [&](const std::string& key, const boost::json::object& object) {
        if (!open.namespace_.empty() && key.compare(0, open.namespace_.size() + 1, open.namespace_ + "/") != 0)
          return false;
        return selection.matches(object);
      };
      if (rv_text.empty() || rv_text == "0" || initial_events) {
        // "Get state and start at most recent": the current objects as ADDED, then changes.
        if (auto bucket = s.objects.find(r->storage_key()); bucket != s.objects.end())
          for (const auto& [key, object] : bucket->second)
            if (matches(key, object)) s.queue(*watch, State::event_line("ADDED", State::presented(object, *r)));
        if (initial_events && open.bookmarks)
          s.queue(
              *watch,
              State::event_line(
                  "BOOKMARK",
                  boost::json::object{
                      {"kind", r->kind},
                      {"apiVersion", r->api_version()},
                      {"metadata", boost::json::object{
                                       {"resourceVersion", std::to_string(s.resource_version)},
                                       {"annotations", boost::json::object{{"k8s.io/initial-events-end", "true"}}}}}}));
      } else {
        std::uint64_t from = 0;
        try {
          from = std::stoull(rv_text);
        } catch (const std::exception&) {
          throw FakeFailure{400, "BadRequest", "resourceVersion: Invalid value: \"" + rv_text + "\"", {}};
        }
        if (from < s.compacted) {
          // As the API server: the watch starts (200) and its only event is a 410 ERROR.
          s.queue(*watch, State::event_line(
                              "ERROR", boost::json::object{{"kind", "Status"},
                                                           {"apiVersion", "v1"},
                                                           {"metadata", boost::json::object()},
                                                           {"status", "Failure"},
                                                           {"message", "too old resource version: " + rv_text + " (" +
                                                                           std::to_string(s.compacted) + ")"},
                                                           {"reason", "Expired"},
                                                           {"code", 410}}));
          s.end(*watch);
          expired = true;
        }
        if (!expired)
          for (const auto& event : s.history)
            if (event.resource_version > from && event.storage_key == r->storage_key() &&
                (open.namespace_.empty() || open.namespace_ == event.namespace_))
              if (auto seen = State::filtered_type(event, open))
                s.queue(*watch, State::event_line(*seen, State::presented(event.object, *r)));
      }
      if (!expired) {
        open.watch = watch;
        s.watches.push_back(std::move(open));
      }
      result = watch;
    } catch (const FakeFailure& failure) {
      result = detail::status_response(failure);
    }
    wake.swap(s.wake);
  }
  for (auto& ready : wake) ready();
  return result;
}

}  // namespace kopp::testing
