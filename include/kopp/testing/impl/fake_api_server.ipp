#pragma once
// FakeApiServer's behaviour. The storage, registry, selectors and Status texts live in
// kopp/testing/detail/fake_*.hpp; this file is the REST layer over them (what the
// kube-apiserver's handlers and generic registry store do) and the controllers the
// scenarios rely on (CRD establishment, garbage collection, namespace deletion), run
// synchronously after each write.

#include <kopp/core/time.hpp>
#include <kopp/testing/detail/apply_merge_patch.hpp>
#include <kopp/testing/detail/fake_name_validation.hpp>
#include <kopp/testing/detail/fake_object_store.hpp>
#include <kopp/testing/detail/fake_request_target.hpp>
#include <kopp/testing/detail/fake_resource_registry.hpp>
#include <kopp/testing/detail/fake_selectors.hpp>
#include <kopp/testing/detail/fake_status.hpp>
#include <kopp/testing/detail/json_patch.hpp>
#include <kopp/testing/detail/list_types.hpp>
#include <kopp/testing/detail/patch_error.hpp>
#include <kopp/testing/detail/server_side_apply.hpp>
#include <kopp/testing/detail/strategic_merge_patch.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <random>
#include <set>
#include <stdexcept>

namespace kopp::testing {

// ---------------------------------------------------------------------------------------
// FakeWatch

inline std::string FakeWatch::take() {
  std::lock_guard lock(mutex_);
  return std::exchange(pending_, std::string());
}

inline bool FakeWatch::ended() const {
  std::lock_guard lock(mutex_);
  return ended_;
}

inline void FakeWatch::on_ready(std::function<void()> ready) {
  std::function<void()> now;
  {
    std::lock_guard lock(mutex_);
    ready_ = std::move(ready);
    if (!pending_.empty() || ended_) now = ready_;
  }
  if (now) now();
}

inline void FakeWatch::cancel() {
  std::lock_guard lock(mutex_);
  cancelled_ = true;
  pending_.clear();
}

namespace detail {

namespace json = boost::json;

inline json::object& meta_of(json::object& object) {
  json::value& m = object["metadata"];
  if (!m.is_object()) m = json::object();
  return m.get_object();
}

inline const json::object* meta_of(const json::object& object) {
  const json::value* m = object.if_contains("metadata");
  return m && m->is_object() ? &m->get_object() : nullptr;
}

inline std::string string_at(const json::object* object, std::string_view key) {
  if (object == nullptr) return "";
  const json::value* v = object->if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

inline std::string meta_string(const json::object& object, std::string_view key) {
  return string_at(meta_of(object), key);
}

inline std::vector<std::string> finalizers_of(const json::object& object) {
  std::vector<std::string> out;
  if (const json::object* meta = meta_of(object))
    if (const json::value* f = meta->if_contains("finalizers"); f && f->is_array())
      for (const json::value& v : f->get_array())
        if (v.is_string()) out.emplace_back(v.get_string());
  return out;
}

inline void set_finalizers(json::object& object, const std::vector<std::string>& finalizers) {
  json::object& meta = meta_of(object);
  if (finalizers.empty()) {
    meta.erase("finalizers");
    return;
  }
  json::array list;
  for (const std::string& f : finalizers) list.emplace_back(f);
  meta["finalizers"] = std::move(list);
}

inline bool being_deleted(const json::object& object) { return !meta_string(object, "deletionTimestamp").empty(); }

inline std::string now_rfc3339() { return Time::now().to_string(); }

/// `object` with its keys in byte order, recursively when `deep`.
inline json::object sorted_keys(const json::object& object, bool deep) {
  std::vector<const json::key_value_pair*> fields;
  for (const json::key_value_pair& field : object) fields.push_back(&field);
  std::sort(fields.begin(), fields.end(), [](auto* a, auto* b) { return a->key() < b->key(); });
  json::object out;
  out.reserve(fields.size());
  for (const json::key_value_pair* field : fields) {
    if (deep && field->value().is_object()) {
      out[field->key()] = sorted_keys(field->value().get_object(), true);
    } else if (deep && field->value().is_array()) {
      json::array items;
      for (const json::value& item : field->value().get_array())
        items.push_back(item.is_object() ? json::value(sorted_keys(item.get_object(), true)) : item);
      out[field->key()] = std::move(items);
    } else {
      out[field->key()] = field->value();
    }
  }
  return out;
}

/// What the real server's decode and re-encode of a written object does to its JSON: Go
/// writes maps with sorted keys (all of a custom resource, which is a map; the map fields
/// of a built-in kind) and omits ObjectMeta's empty lists and maps (omitempty), so an
/// emptied labels map is gone, not {}.
inline void canonicalize(json::object& object, bool custom) {
  if (json::value* meta = object.if_contains("metadata"); meta && meta->is_object()) {
    json::object& m = meta->get_object();
    for (const char* omitted : {"labels", "annotations", "finalizers", "ownerReferences", "managedFields"}) {
      if (json::value* v = m.if_contains(omitted); v && ((v->is_object() && v->get_object().empty()) ||
                                                         (v->is_array() && v->get_array().empty()) || v->is_null()))
        m.erase(omitted);
    }
    for (const char* map_field : {"labels", "annotations"})
      if (json::value* v = m.if_contains(map_field); v && v->is_object()) *v = sorted_keys(v->get_object(), false);
  }
  if (custom) {
    object = sorted_keys(object, true);
    return;
  }
  for (const char* map_field : {"data", "binaryData"})
    if (json::value* v = object.if_contains(map_field); v && v->is_object()) *v = sorted_keys(v->get_object(), false);
}

/// The request asks for PartialObjectMetadata (or a list of them) instead of the objects.
inline bool wants_metadata_only(std::string_view accept) {
  return accept.find("as=PartialObjectMetadata") != std::string_view::npos;
}

/// `object` as the server answers a metadata-only request: its metadata alone.
inline json::object partial_object_metadata(const json::object& object) {
  json::object out;
  out["kind"] = "PartialObjectMetadata";
  out["apiVersion"] = "meta.k8s.io/v1";
  if (const json::value* meta = object.if_contains("metadata")) out["metadata"] = *meta;
  return out;
}

/// Go's %#v of a []string, as the server's messages print finalizer lists.
inline std::string go_string_slice(const std::vector<std::string>& values) {
  std::string out = "[]string{";
  for (std::size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + detail::quoted(values[i]);
  return out + "}";
}

inline FakeResponse json_response(unsigned status, const json::value& body) {
  FakeResponse response;
  response.status = status;
  response.body = json::serialize(body);
  return response;
}

inline FakeResponse error_response(const FakeStatusError& error) {
  return json_response(error.code, status_body(error));
}

/// What a watch receives: its resource (and version, for apiVersion), scope and selectors.
struct WatchRegistration {
  std::weak_ptr<FakeWatch> watch;
  ResourceInfo resource;
  std::string ns;
  Selectors selectors;
  bool bookmarks = false;
  bool metadata_only = false;  ///< objects are sent as PartialObjectMetadata
};

struct DeleteOptions {
  std::string propagation;  ///< Background, Foreground, Orphan ("" = the kind's default)
  std::optional<std::string> uid;
  std::optional<std::string> resource_version;
  std::vector<std::string> dry_run;  ///< the body's dryRun values (a DELETE may carry them there)
};

/// Options of one write, from the request's query.
struct WriteContext {
  bool dry_run = false;
  std::string manager;
  bool force = false;
  bool apply = false;  ///< the new object comes from server_side_apply (managedFields done)
  bool patch = false;  ///< a patch: no resourceVersion needed for kinds without unconditional update
  std::string subresource;
};

}  // namespace detail

struct FakeApiServer::State {
  using Error = detail::FakeStatusError;
  mutable std::mutex mutex;
  detail::ResourceRegistry registry;
  detail::ObjectStore store;
  std::vector<detail::WatchRegistration> watches;
  std::vector<std::shared_ptr<FakeWatch>> to_notify;
  std::mt19937_64 random{std::random_device{}()};

  State() {
    for (const char* ns : {"default", "kube-system", "kube-public", "kube-node-lease"}) {
      boost::json::object object{{"kind", "Namespace"}, {"apiVersion", "v1"}, {"metadata", {{"name", ns}}}};
      const detail::ResourceInfo& info = *registry.find("", "v1", "namespaces");
      detail::WriteContext ctx;
      ctx.manager = "kube-apiserver";
      create(info, std::move(object), ctx);
    }
  }

  // ------------------------------------------------------------------ events and watches

  void queue(FakeWatch& watch, const std::string& line, const std::shared_ptr<FakeWatch>& shared) {
    {
      std::lock_guard lock(watch.mutex_);
      if (watch.cancelled_ || watch.ended_) return;
      watch.pending_ += line;
    }
    if (std::find(to_notify.begin(), to_notify.end(), shared) == to_notify.end()) to_notify.push_back(shared);
  }

  static boost::json::object as_served(boost::json::object object, const detail::ResourceInfo& info) {
    object["apiVersion"] = info.api_version();
    return object;
  }

  static std::string event_line(std::string_view type, const boost::json::object& object) {
    boost::json::object event;
    event["type"] = type;
    event["object"] = object;
    return boost::json::serialize(event) + "\n";
  }

  /// An object as the watch `r` receives it.
  static boost::json::object served_to(const detail::WatchRegistration& r, boost::json::object object) {
    if (r.metadata_only) return detail::partial_object_metadata(object);
    return as_served(std::move(object), r.resource);
  }

  /// The line `registration` sees for `event`, or "" (apimachinery's cacheWatcher rules: an
  /// object that starts matching is ADDED, one that stops matching is DELETED).
  static std::string line_for(const detail::WatchRegistration& r, const detail::StoredEvent& event) {
    if (event.storage_key != r.resource.storage_key()) return "";
    if (!r.ns.empty() && event.key.ns != r.ns) return "";
    const bool now_matches = event.type != "DELETED" && detail::selectors_match(r.selectors, event.object);
    const bool matched = event.previous && detail::selectors_match(r.selectors, *event.previous);
    if (now_matches && !matched) return event_line("ADDED", served_to(r, event.object));
    if (now_matches && matched) return event_line("MODIFIED", served_to(r, event.object));
    if (!now_matches && matched) {
      boost::json::object last = event.type == "DELETED" ? event.object : *event.previous;
      detail::meta_of(last)["resourceVersion"] = std::to_string(event.resource_version);
      return event_line("DELETED", served_to(r, std::move(last)));
    }
    return "";
  }

  void dispatch(const detail::StoredEvent& event) {
    std::erase_if(watches, [](const detail::WatchRegistration& r) { return r.watch.expired(); });
    for (const detail::WatchRegistration& r : watches) {
      std::shared_ptr<FakeWatch> watch = r.watch.lock();
      if (!watch) continue;
      const std::string line = line_for(r, event);
      if (!line.empty()) queue(*watch, line, watch);
    }
  }

  boost::json::object bookmark_object(const detail::ResourceInfo& info, bool initial_events_end) const {
    boost::json::object meta{{"resourceVersion", std::to_string(store.resource_version())}};
    // Built-in kinds are Go structs: their zero creationTimestamp is written as null.
    if (!info.custom) meta["creationTimestamp"] = nullptr;
    if (initial_events_end) meta["annotations"] = {{"k8s.io/initial-events-end", "true"}};
    return {{"kind", info.kind}, {"apiVersion", info.api_version()}, {"metadata", std::move(meta)}};
  }

  // ------------------------------------------------------------------ storage writes

  boost::json::object put(const detail::ResourceInfo& info, boost::json::object object) {
    const detail::ObjectName key{detail::meta_string(object, "namespace"), detail::meta_string(object, "name")};
    detail::meta_of(object)["resourceVersion"] = std::to_string(store.next_resource_version());
    const detail::StoredEvent& event = store.put(info.storage_key(), key, std::move(object));
    dispatch(event);
    return event.object;
  }

  boost::json::object erase(const detail::ResourceInfo& info, const boost::json::object& stored) {
    boost::json::object last = stored;
    detail::meta_of(last)["resourceVersion"] = std::to_string(store.next_resource_version());
    const detail::ObjectName key{detail::meta_string(stored, "namespace"), detail::meta_string(stored, "name")};
    const detail::StoredEvent& event = store.erase(info.storage_key(), key, std::move(last));
    dispatch(event);
    if (info.group == "apiextensions.k8s.io" && info.resource == "customresourcedefinitions")
      unregister_crd(event.object);
    return event.object;
  }

  // ------------------------------------------------------------------ request parsing

  static void check_dry_run(const detail::RequestTarget& t, std::string_view options_kind, detail::WriteContext& ctx) {
    for (const std::string& value : t.dry_run) {
      if (value != "All") {
        throw detail::invalid(
            "meta.k8s.io", options_kind, "",
            {{"FieldValueNotSupported",
              "Unsupported value: " + detail::go_string_slice(t.dry_run) + ": supported values: \"All\"", "dryRun"}});
      }
      ctx.dry_run = true;
    }
  }

  static std::string manager_for(const FakeRequest& request, const detail::RequestTarget& t) {
    if (t.has_param("fieldManager")) return t.param("fieldManager");
    return request.user_agent.substr(0, request.user_agent.find('/'));
  }

  static boost::json::object parse_body(std::string_view body) {
    boost::system::error_code ec;
    boost::json::value value = boost::json::parse(body, ec);
    if (ec || !value.is_object())
      throw detail::bad_request("the body of the request could not be decoded as a JSON object: " +
                                (ec ? ec.message() : std::string("not an object")));
    return std::move(value.get_object());
  }

  /// The body's apiVersion and kind must name the endpoint's (absent ones are filled in).
  static void check_type(const detail::ResourceInfo& info, boost::json::object& body) {
    const std::string api_version = detail::string_at(&body, "apiVersion");
    const std::string kind = detail::string_at(&body, "kind");
    if (!api_version.empty() && api_version != info.api_version())
      throw detail::bad_request("the API version in the data (" + api_version +
                                ") does not match the expected API version (" + info.api_version() + ")");
    if (!kind.empty() && kind != info.kind)
      throw detail::bad_request("the kind in the data (" + kind + ") does not match the expected kind (" + info.kind +
                                ")");
    body["apiVersion"] = info.api_version();
    body["kind"] = info.kind;
  }

  static detail::ListTypes list_types(const detail::ResourceInfo& info) {
    if (info.custom) return detail::ListTypes::from_openapi_schema(info.schema);
    return detail::ListTypes::builtin(info.api_version(), info.kind);
  }

  const boost::json::object* namespace_object(const std::string& ns) const {
    return store.get("/namespaces", {"", ns});
  }

  // ------------------------------------------------------------------ create

  /// Stores a new object (a POST, a PUT that creates, an apply that creates); the 201 body.
  boost::json::object create(const detail::ResourceInfo& info, boost::json::object object,
                             const detail::WriteContext& ctx, const std::string& url_ns = "") {
    boost::json::object& meta = detail::meta_of(object);
    const std::string body_ns = detail::string_at(&meta, "namespace");
    if (info.namespaced) {
      if (!body_ns.empty() && body_ns != url_ns)
        throw detail::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request");
      meta["namespace"] = url_ns;
      const boost::json::object* ns = namespace_object(url_ns);
      if (ns == nullptr) throw detail::not_found("", "namespaces", url_ns);
      if (detail::being_deleted(*ns)) {
        detail::FakeStatusError e{
            403,
            "Forbidden",
            detail::qualified_name(info.group, info.resource) + " " + detail::quoted(detail::string_at(&meta, "name")) +
                " is forbidden: unable to create new content in namespace " + url_ns +
                " because it is being terminated",
            detail::string_at(&meta, "name"),
            info.group,
            info.resource,
            {{"NamespaceTerminating", "namespace " + url_ns + " is being terminated", "metadata.namespace"}}};
        throw e;
      }
    } else {
      meta.erase("namespace");
    }
    std::string name = detail::string_at(&meta, "name");
    if (name.empty()) {
      const std::string prefix = detail::string_at(&meta, "generateName");
      if (prefix.empty())
        throw detail::invalid(info.group, info.kind, "",
                              {detail::required_value("metadata.name", "name or generateName is required")});
      name = detail::generate_name(prefix, random);
      meta["name"] = name;
    }
    if (auto problem = detail::name_problem(name, info.name_rule))
      throw detail::invalid(info.group, info.kind, name,
                            {detail::invalid_value("metadata.name", detail::quoted(name), *problem)});
    if (store.get(info.storage_key(), {info.namespaced ? url_ns : "", name}))
      throw detail::already_exists(info.group, info.resource, name);
    if (info.group == "apiextensions.k8s.io") prepare_crd(object, name);

    meta["uid"] = detail::random_uuid(random);
    meta["creationTimestamp"] = detail::now_rfc3339();
    meta.erase("deletionTimestamp");
    meta.erase("deletionGracePeriodSeconds");
    meta.erase("resourceVersion");
    if (info.tracks_generation)
      meta["generation"] = 1;
    else
      meta.erase("generation");
    // The strategies' PrepareForCreate: a status written with the object is dropped.
    if (info.status_subresource) {
      if (info.custom)
        object.erase("status");
      else
        object["status"] = boost::json::object();
    }
    if (info.resource == "namespaces" && info.group.empty()) {
      object["spec"] = {{"finalizers", {"kubernetes"}}};
      object["status"] = {{"phase", "Active"}};
    }
    if (info.resource == "pods" && info.group.empty()) object["status"] = {{"phase", "Pending"}};
    if (info.resource == "services" && info.group.empty()) object["status"] = {{"loadBalancer", boost::json::object()}};
    if (info.custom) object["apiVersion"] = info.group + "/" + info.storage_version;
    detail::canonicalize(object, info.custom);
    if (!ctx.apply) record(object, nullptr, info, ctx);
    if (ctx.dry_run) return as_served(std::move(object), info);
    boost::json::object stored = put(info, std::move(object));
    if (info.group == "apiextensions.k8s.io") establish_crd(stored);
    return as_served(std::move(stored), info);
  }

  void record(boost::json::object& after, const boost::json::object* before, const detail::ResourceInfo& info,
              const detail::WriteContext& ctx) {
    detail::ApplyOptions options;
    options.manager = ctx.manager;
    options.subresource = ctx.subresource;
    options.status_subresource = info.status_subresource;
    options.now = detail::now_rfc3339();
    boost::json::value value = std::move(after);
    const boost::json::value before_value = before ? boost::json::value(*before) : boost::json::value();
    detail::record_update(value, before ? &before_value : nullptr, list_types(info), options);
    after = std::move(value.get_object());
  }

  // ------------------------------------------------------------------ update

  /// Replaces `existing` by `candidate` (a PUT's body, a patch's result, a status or scale
  /// write merged into the object); the response body (and 200).
  boost::json::object update(const detail::ResourceInfo& info, const boost::json::object& existing,
                             boost::json::object candidate, const detail::WriteContext& ctx) {
    const std::string name = detail::meta_string(existing, "name");
    boost::json::object& meta = detail::meta_of(candidate);
    const std::string rv = detail::string_at(&meta, "resourceVersion");
    if (rv.empty() && !info.unconditional_update && !ctx.patch)
      throw detail::invalid(
          info.group, info.kind, name,
          {detail::invalid_value("metadata.resourceVersion", "0x0", "must be specified for an update")});
    if (!rv.empty() && rv != detail::meta_string(existing, "resourceVersion"))
      throw detail::conflict(info.group, info.resource, name, detail::stale_object_message);
    const std::string uid = detail::string_at(&meta, "uid");
    if (!uid.empty() && uid != detail::meta_string(existing, "uid"))
      throw detail::conflict(info.group, info.resource, name,
                             "Precondition failed: UID in precondition: " + uid +
                                 ", UID in object meta: " + detail::meta_string(existing, "uid"));

    if (ctx.subresource == "status") {
      // Only status changes (apimachinery's ResetObjectMetaForStatus keeps the metadata).
      boost::json::object merged = existing;
      if (const boost::json::value* status = candidate.if_contains("status"))
        merged["status"] = *status;
      else
        merged.erase("status");
      if (const boost::json::value* managed = meta.if_contains("managedFields"); managed && ctx.apply)
        detail::meta_of(merged)["managedFields"] = *managed;
      candidate = std::move(merged);
    } else if (info.status_subresource) {
      if (const boost::json::value* status = existing.if_contains("status"))
        candidate["status"] = *status;
      else
        candidate.erase("status");
    }
    boost::json::object& new_meta = detail::meta_of(candidate);
    const boost::json::object* old_meta = detail::meta_of(existing);
    for (const char* system : {"uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
                               "generation", "namespace", "name"}) {
      if (const boost::json::value* v = old_meta->if_contains(system))
        new_meta[system] = *v;
      else
        new_meta.erase(system);
    }
    candidate["apiVersion"] = existing.at("apiVersion");
    candidate["kind"] = existing.at("kind");
    if (detail::being_deleted(existing)) {
      const std::vector<std::string> before = detail::finalizers_of(existing);
      std::vector<std::string> added;
      for (const std::string& f : detail::finalizers_of(candidate))
        if (std::find(before.begin(), before.end(), f) == before.end()) added.push_back(f);
      if (!added.empty())
        throw detail::invalid(info.group, info.kind, name,
                              {detail::forbidden_value("metadata.finalizers",
                                                       "no new finalizers can be added if the object is being "
                                                       "deleted, found new finalizers " +
                                                           detail::go_string_slice(added))});
    }
    // A write that changes nothing is not written (etcd's GuaranteedUpdate compares bytes).
    auto without_bookkeeping = [](boost::json::object o) {
      detail::meta_of(o).erase("managedFields");
      detail::meta_of(o).erase("resourceVersion");
      return o;
    };
    new_meta["resourceVersion"] = old_meta->at("resourceVersion");
    detail::canonicalize(candidate, info.custom);  // rebuilds the object: new_meta is stale from here
    if (without_bookkeeping(candidate) == without_bookkeeping(existing) && !ctx.apply) return as_served(existing, info);
    if (info.tracks_generation && spec_changed(info, existing, candidate)) {
      boost::json::object& meta = detail::meta_of(candidate);
      const std::int64_t generation = meta.contains("generation") ? meta["generation"].to_number<std::int64_t>() : 0;
      meta["generation"] = generation + 1;
    }
    if (!ctx.apply) record(candidate, &existing, info, ctx);
    if (info.group == "apiextensions.k8s.io" && ctx.subresource.empty()) prepare_crd(candidate, name);
    if (ctx.dry_run) return as_served(std::move(candidate), info);
    if (detail::being_deleted(candidate) && detail::finalizers_of(candidate).empty())
      return as_served(erase(info, existing), info);
    boost::json::object stored = put(info, std::move(candidate));
    if (info.group == "apiextensions.k8s.io" && ctx.subresource.empty() && !detail::being_deleted(stored))
      establish_crd(stored);
    return as_served(std::move(stored), info);
  }

  static bool spec_changed(const detail::ResourceInfo& info, const boost::json::object& a,
                           const boost::json::object& b) {
    auto content = [&](boost::json::object o) {
      o.erase("metadata");
      if (info.status_subresource) o.erase("status");
      return o;
    };
    if (content(a) != content(b)) return true;
    if (info.annotations_bump_generation) {
      auto annotations = [](const boost::json::object& o) {
        const boost::json::object* m = detail::meta_of(o);
        const boost::json::value* v = m ? m->if_contains("annotations") : nullptr;
        return v ? *v : boost::json::value();
      };
      return annotations(a) != annotations(b);
    }
    return false;
  }

  // ------------------------------------------------------------------ delete

  /// DELETE of one object: the response body.
  boost::json::object remove(const detail::ResourceInfo& info, const boost::json::object& existing,
                             const detail::DeleteOptions& options, const detail::WriteContext& ctx) {
    const std::string name = detail::meta_string(existing, "name");
    // The real server checks a DELETE's preconditions before the storage layer does (in
    // the registry's BeforeDelete), naming the kind, not the resource, in its conflict.
    if (options.uid && *options.uid != detail::meta_string(existing, "uid"))
      throw detail::conflict(info.group, info.kind, name,
                             "the UID in the precondition (" + *options.uid + ") does not match the UID in record (" +
                                 detail::meta_string(existing, "uid") +
                                 "). The object might have been deleted and then recreated");
    if (options.resource_version && *options.resource_version != detail::meta_string(existing, "resourceVersion"))
      throw detail::conflict(info.group, info.kind, name,
                             "the ResourceVersion in the precondition (" + *options.resource_version +
                                 ") does not match the ResourceVersion in record (" +
                                 detail::meta_string(existing, "resourceVersion") +
                                 "). The object might have been modified");
    if (detail::being_deleted(existing)) return as_served(existing, info);

    boost::json::object updated = existing;
    std::vector<std::string> finalizers = detail::finalizers_of(updated);
    auto add_finalizer = [&](const std::string& f) {
      if (std::find(finalizers.begin(), finalizers.end(), f) == finalizers.end()) finalizers.push_back(f);
    };
    if (options.propagation == "Foreground") add_finalizer("foregroundDeletion");
    if (options.propagation == "Orphan") add_finalizer("orphan");
    const bool is_namespace = info.resource == "namespaces" && info.group.empty();
    const bool is_crd = info.resource == "customresourcedefinitions";
    if (is_crd) add_finalizer("customresourcecleanup.apiextensions.k8s.io");
    if (finalizers.empty() && !is_namespace) {
      if (ctx.dry_run) return deleted_response(info, existing);
      return deleted_response(info, erase(info, existing));
    }
    detail::set_finalizers(updated, finalizers);
    boost::json::object& meta = detail::meta_of(updated);
    meta["deletionTimestamp"] = detail::now_rfc3339();
    if (!is_crd) meta["deletionGracePeriodSeconds"] = 0;
    if (info.tracks_generation && !is_crd && meta.contains("generation"))
      meta["generation"] = meta["generation"].to_number<std::int64_t>() + 1;
    if (is_namespace) updated["status"] = {{"phase", "Terminating"}};
    if (is_crd) {
      set_condition(updated, "Terminating", "True", "InstanceDeletionPending",
                    "CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon");
    }
    if (ctx.dry_run) return as_served(std::move(updated), info);
    return as_served(put(info, std::move(updated)), info);
  }

  static boost::json::object deleted_response(const detail::ResourceInfo& info, const boost::json::object& last) {
    if (info.returns_deleted_object || info.custom) return as_served(last, info);
    boost::json::object details{{"name", detail::meta_string(last, "name")}};
    if (!info.group.empty()) details["group"] = info.group;
    details["kind"] = info.resource;
    details["uid"] = detail::meta_string(last, "uid");
    return {{"kind", "Status"},
            {"apiVersion", "v1"},
            {"metadata", boost::json::object()},
            {"status", "Success"},
            {"details", details}};
  }

  // ------------------------------------------------------------------ controllers

  /// What kube-controller-manager and the apiextensions controllers would do next, done
  /// at once: garbage collection by owner references (background, foreground, orphan),
  /// namespace deletion, CRD instance cleanup. Repeated until nothing changes.
  void settle() {
    for (int round = 0; round < 1000; ++round) {
      if (!settle_once()) return;
    }
  }

  struct Located {
    const detail::ResourceInfo* info;
    boost::json::object object;
  };

  std::vector<Located> all_objects() const {
    std::vector<Located> out;
    for (const std::string& key : store.storage_keys()) {
      const detail::ResourceInfo* info = registry.find_storage(key);
      if (info == nullptr) continue;
      for (const auto& [name, object] : store.objects(key)) out.push_back({info, object});
    }
    return out;
  }

  std::optional<Located> by_uid(const std::string& uid) const {
    auto found = store.find_uid(uid);
    if (!found) return std::nullopt;
    const detail::ResourceInfo* info = registry.find_storage(found->first);
    const boost::json::object* object = store.get(found->first, found->second);
    if (info == nullptr || object == nullptr) return std::nullopt;
    return Located{info, *object};
  }

  static std::vector<std::string> owner_uids(const boost::json::object& object) {
    std::vector<std::string> out;
    if (const boost::json::object* meta = detail::meta_of(object))
      if (const boost::json::value* refs = meta->if_contains("ownerReferences"); refs && refs->is_array())
        for (const boost::json::value& ref : refs->get_array())
          if (ref.is_object()) out.push_back(detail::string_at(&ref.get_object(), "uid"));
    return out;
  }

  bool has_dependents(const std::string& uid) const {
    for (const Located& l : all_objects()) {
      const auto owners = owner_uids(l.object);
      if (std::find(owners.begin(), owners.end(), uid) != owners.end()) return true;
    }
    return false;
  }

  void remove_owner_refs(const Located& dependent, const std::set<std::string>& uids) {
    boost::json::object updated = dependent.object;
    boost::json::object& meta = detail::meta_of(updated);
    boost::json::array kept;
    for (const boost::json::value& ref : meta["ownerReferences"].get_array())
      if (!ref.is_object() || !uids.count(detail::string_at(&ref.get_object(), "uid"))) kept.push_back(ref);
    if (kept.empty())
      meta.erase("ownerReferences");
    else
      meta["ownerReferences"] = std::move(kept);
    put(*dependent.info, std::move(updated));
  }

  void remove_finalizer(const Located& l, std::string_view finalizer) {
    boost::json::object updated = l.object;
    std::vector<std::string> finalizers = detail::finalizers_of(updated);
    std::erase(finalizers, std::string(finalizer));
    detail::set_finalizers(updated, finalizers);
    if (finalizers.empty() && detail::being_deleted(updated))
      erase(*l.info, l.object);
    else
      put(*l.info, std::move(updated));
  }

  void collect(const Located& l, std::string policy) {
    if (policy.empty()) {
      const auto finalizers = detail::finalizers_of(l.object);
      if (std::count(finalizers.begin(), finalizers.end(), "orphan")) policy = "Orphan";
    }
    detail::DeleteOptions options;
    options.propagation = policy;
    remove(*l.info, l.object, options, {});
  }

  bool settle_once() {
    const std::vector<Located> objects = all_objects();
    // Dependents whose owners are gone or wait for them (foreground).
    for (const Located& l : objects) {
      if (detail::being_deleted(l.object)) continue;
      const std::vector<std::string> owners = owner_uids(l.object);
      if (owners.empty()) continue;
      std::set<std::string> dangling, waiting;
      bool solid = false;
      for (const std::string& uid : owners) {
        auto owner = by_uid(uid);
        if (!owner) {
          dangling.insert(uid);
          continue;
        }
        const auto finalizers = detail::finalizers_of(owner->object);
        if (detail::being_deleted(owner->object) &&
            std::count(finalizers.begin(), finalizers.end(), "foregroundDeletion"))
          waiting.insert(uid);
        else
          solid = true;
      }
      if (solid && (dangling.size() + waiting.size()) > 0) {
        std::set<std::string> both = dangling;
        both.insert(waiting.begin(), waiting.end());
        remove_owner_refs(l, both);
        return true;
      }
      if (!solid) {
        const std::string uid = detail::meta_string(l.object, "uid");
        collect(l, !waiting.empty() && has_dependents(uid) ? "Foreground" : "");
        return true;
      }
    }
    for (const Located& l : objects) {
      if (!detail::being_deleted(l.object)) continue;
      const std::vector<std::string> finalizers = detail::finalizers_of(l.object);
      const std::string uid = detail::meta_string(l.object, "uid");
      auto has = [&](std::string_view f) {
        return std::find(finalizers.begin(), finalizers.end(), f) != finalizers.end();
      };
      if (has("orphan")) {
        for (const Located& d : all_objects()) {
          const auto owners = owner_uids(d.object);
          if (std::find(owners.begin(), owners.end(), uid) != owners.end()) {
            remove_owner_refs(d, {uid});
            return true;
          }
        }
        remove_finalizer(l, "orphan");
        return true;
      }
      if (has("foregroundDeletion") && !has_dependents(uid)) {
        remove_finalizer(l, "foregroundDeletion");
        return true;
      }
      if (has("customresourcecleanup.apiextensions.k8s.io")) {
        const Cleanup cleanup = delete_crd_instances(l.object);
        if (cleanup == Cleanup::deleted_one) return true;
        if (cleanup == Cleanup::done) {
          remove_finalizer(l, "customresourcecleanup.apiextensions.k8s.io");
          return true;
        }
      }
      if (l.info->resource == "namespaces" && l.info->group.empty()) {
        if (finish_namespace(l)) return true;
      }
    }
    return false;
  }

  /// Deletes what remains in a terminating namespace; once it is empty, its spec
  /// finalizer is removed and it goes away. True when something changed.
  bool finish_namespace(const Located& ns) {
    const std::string name = detail::meta_string(ns.object, "name");
    bool remaining = false;
    for (const Located& l : all_objects()) {
      if (!l.info->namespaced || detail::meta_string(l.object, "namespace") != name) continue;
      remaining = true;
      if (!detail::being_deleted(l.object)) {
        collect(l, "");
        return true;
      }
    }
    if (remaining) return false;
    const boost::json::value* spec = ns.object.if_contains("spec");
    if (spec && spec->is_object() && spec->get_object().contains("finalizers")) {
      boost::json::object updated = ns.object;
      updated["spec"] = boost::json::object();
      put(*ns.info, std::move(updated));
      return true;
    }
    if (detail::finalizers_of(ns.object).empty()) {
      erase(*ns.info, ns.object);
      return true;
    }
    return false;
  }

  // ------------------------------------------------------------------ CRDs

  static void set_condition(boost::json::object& object, std::string type, std::string status, std::string reason,
                            std::string message) {
    boost::json::value& st = object["status"];
    if (!st.is_object()) st = boost::json::object();
    boost::json::value& conditions = st.get_object()["conditions"];
    if (!conditions.is_array()) conditions = boost::json::array();
    boost::json::object condition{{"type", type},
                                  {"status", status},
                                  {"lastTransitionTime", detail::now_rfc3339()},
                                  {"reason", reason},
                                  {"message", message}};
    for (boost::json::value& c : conditions.get_array()) {
      if (c.is_object() && detail::string_at(&c.get_object(), "type") == type) {
        c = std::move(condition);
        return;
      }
    }
    conditions.get_array().push_back(std::move(condition));
  }

  /// Validates a CRD and fills the defaults its strategy sets (singular, listKind, conversion).
  void prepare_crd(boost::json::object& crd, const std::string& name) {
    boost::json::value& spec_value = crd["spec"];
    if (!spec_value.is_object()) spec_value = boost::json::object();
    boost::json::object& spec = spec_value.get_object();
    std::vector<StatusCause> causes;
    const std::string group = detail::string_at(&spec, "group");
    boost::json::value& names_value = spec["names"];
    if (!names_value.is_object()) names_value = boost::json::object();
    boost::json::object& names = names_value.get_object();
    const std::string plural = detail::string_at(&names, "plural");
    const std::string kind = detail::string_at(&names, "kind");
    if (group.empty()) causes.push_back(detail::required_value("spec.group", ""));
    if (plural.empty()) causes.push_back(detail::required_value("spec.names.plural", ""));
    if (kind.empty()) causes.push_back(detail::required_value("spec.names.kind", ""));
    if (name != plural + "." + group)
      causes.push_back(
          detail::invalid_value("metadata.name", detail::quoted(name), "must be spec.names.plural+\".\"+spec.group"));
    const std::string scope = detail::string_at(&spec, "scope");
    if (scope != "Namespaced" && scope != "Cluster")
      causes.push_back(
          {"FieldValueNotSupported",
           "Unsupported value: " + detail::quoted(scope) + ": supported values: \"Cluster\", \"Namespaced\"",
           "spec.scope"});
    int storage = 0;
    const boost::json::value* versions = spec.if_contains("versions");
    if (versions && versions->is_array())
      for (const boost::json::value& v : versions->get_array())
        if (v.is_object())
          if (const boost::json::value* s = v.get_object().if_contains("storage"); s && s->is_bool() && s->get_bool())
            ++storage;
    if (!versions || !versions->is_array() || versions->get_array().empty())
      causes.push_back(
          detail::required_value("spec.versions", "must have exactly one version marked as storage version"));
    else if (storage != 1)
      causes.push_back(detail::invalid_value("spec.versions", "[]apiextensions.CustomResourceDefinitionVersion{...}",
                                             "must have exactly one version marked as storage version"));
    if (!causes.empty()) throw detail::invalid("apiextensions.k8s.io", "CustomResourceDefinition", name, causes);
    if (detail::string_at(&names, "singular").empty()) {
      std::string singular = kind;
      std::transform(singular.begin(), singular.end(), singular.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      names["singular"] = singular;
    }
    if (detail::string_at(&names, "listKind").empty()) names["listKind"] = kind + "List";
    if (!spec.contains("conversion")) spec["conversion"] = {{"strategy", "None"}};
  }

  /// The apiextensions controllers' work once a CRD is written: names accepted,
  /// Established, stored versions, and its versions served.
  void establish_crd(const boost::json::object& stored) {
    boost::json::object crd = stored;
    // Copies: writing status below may rehash `crd`.
    const boost::json::object spec = crd.at("spec").get_object();
    const boost::json::object names = spec.at("names").get_object();
    boost::json::value& st = crd["status"];
    if (!st.is_object()) st = boost::json::object();
    st.get_object()["acceptedNames"] = names;
    std::string storage_version;
    for (const boost::json::value& v : spec.at("versions").get_array())
      if (const boost::json::value* s = v.get_object().if_contains("storage"); s && s->is_bool() && s->get_bool())
        storage_version = detail::string_at(&v.get_object(), "name");
    boost::json::value& stored_versions = st.get_object()["storedVersions"];
    if (!stored_versions.is_array()) stored_versions = boost::json::array();
    bool known = false;
    for (const boost::json::value& v : stored_versions.get_array())
      if (v.is_string() && v.get_string() == storage_version) known = true;
    if (!known) stored_versions.get_array().emplace_back(storage_version);
    set_condition(crd, "NamesAccepted", "True", "NoConflicts", "no conflicts found");
    set_condition(crd, "Established", "True", "InitialNamesAccepted", "the initial names have been accepted");
    const std::string group = detail::string_at(&spec, "group");
    const std::string plural = detail::string_at(&names, "plural");
    registry.remove_custom(group, plural);
    for (const boost::json::value& v : spec.at("versions").get_array()) {
      const boost::json::object& version = v.get_object();
      if (const boost::json::value* served = version.if_contains("served");
          served && served->is_bool() && !served->get_bool())
        continue;
      detail::ResourceInfo info;
      info.group = group;
      info.version = detail::string_at(&version, "name");
      info.resource = plural;
      info.kind = detail::string_at(&names, "kind");
      info.singular = detail::string_at(&names, "singular");
      info.list_kind = detail::string_at(&names, "listKind");
      info.namespaced = detail::string_at(&spec, "scope") == "Namespaced";
      for (const char* field : {"shortNames", "categories"})
        if (const boost::json::value* list = names.if_contains(field); list && list->is_array())
          for (const boost::json::value& s : list->get_array())
            if (s.is_string())
              (std::string_view(field) == "shortNames" ? info.short_names : info.categories)
                  .emplace_back(s.get_string());
      info.custom = true;
      info.tracks_generation = true;
      info.returns_deleted_object = true;
      info.unconditional_update = false;
      info.storage_version = storage_version;
      if (const boost::json::value* sub = version.if_contains("subresources"); sub && sub->is_object()) {
        info.status_subresource = sub->get_object().contains("status");
        if (const boost::json::value* scale = sub->get_object().if_contains("scale"); scale && scale->is_object()) {
          detail::ScaleSubresource s;
          s.spec_replicas_path = detail::string_at(&scale->get_object(), "specReplicasPath");
          s.status_replicas_path = detail::string_at(&scale->get_object(), "statusReplicasPath");
          s.label_selector_path = detail::string_at(&scale->get_object(), "labelSelectorPath");
          info.scale = s;
        }
      }
      if (const boost::json::value* schema = version.if_contains("schema"); schema && schema->is_object())
        if (const boost::json::value* open = schema->get_object().if_contains("openAPIV3Schema")) info.schema = *open;
      registry.add(std::move(info));
    }
    if (crd != stored) put(*registry.find("apiextensions.k8s.io", "v1", "customresourcedefinitions"), std::move(crd));
  }

  void unregister_crd(const boost::json::object& crd) {
    const boost::json::value* spec = crd.if_contains("spec");
    if (!spec || !spec->is_object()) return;
    const boost::json::value* names = spec->get_object().if_contains("names");
    if (!names || !names->is_object()) return;
    registry.remove_custom(detail::string_at(&spec->get_object(), "group"),
                           detail::string_at(&names->get_object(), "plural"));
  }

  enum class Cleanup { deleted_one, waiting, done };

  /// Deletes the CRD's custom objects one at a time; `waiting` while finalizers hold some.
  Cleanup delete_crd_instances(const boost::json::object& crd) {
    const boost::json::object& spec = crd.at("spec").get_object();
    const std::string key =
        detail::string_at(&spec, "group") + "/" + detail::string_at(&spec.at("names").get_object(), "plural");
    const detail::ResourceInfo* info = registry.find_storage(key);
    if (info == nullptr) return Cleanup::done;
    for (const auto& [name, object] : store.objects(key)) {
      if (detail::being_deleted(object)) continue;
      collect({info, object}, "");
      return Cleanup::deleted_one;
    }
    return store.objects(key).empty() ? Cleanup::done : Cleanup::waiting;
  }

  // ------------------------------------------------------------------ requests

  FakeResponse handle(const FakeRequest& request);
  FakeResponse handle_resource(const FakeRequest& request, const detail::RequestTarget& t,
                               const detail::ResourceInfo& info);
  FakeResponse list(const detail::RequestTarget& t, const detail::ResourceInfo& info, bool metadata_only);
  FakeResponse patch(const FakeRequest& request, const detail::RequestTarget& t, const detail::ResourceInfo& info,
                     detail::WriteContext& ctx);
  boost::json::object scale_of(const detail::ResourceInfo& info, const boost::json::object& object) const;
  boost::json::object with_scale(const detail::ResourceInfo& info, const boost::json::object& object,
                                 const boost::json::object& scale) const;
  std::variant<FakeResponse, std::shared_ptr<FakeWatch>> open_watch(const FakeRequest& request);
};

namespace detail {

/// The value at a CRD scale path such as ".spec.replicas" (nullptr when absent).
inline const boost::json::value* value_at_path(const boost::json::object& object, std::string_view path) {
  const boost::json::value* at = nullptr;
  const boost::json::object* current = &object;
  std::size_t start = path.starts_with('.') ? 1 : 0;
  while (current) {
    const std::size_t dot = path.find('.', start);
    at = current->if_contains(path.substr(start, dot == std::string_view::npos ? path.size() - start : dot - start));
    if (!at || dot == std::string_view::npos) return at;
    current = at->if_object();
    start = dot + 1;
  }
  return nullptr;
}

inline void set_at_path(boost::json::object& object, std::string_view path, boost::json::value value) {
  boost::json::object* current = &object;
  std::size_t start = path.starts_with('.') ? 1 : 0;
  while (true) {
    const std::size_t dot = path.find('.', start);
    const std::string_view key = path.substr(start, dot == std::string_view::npos ? path.size() - start : dot - start);
    if (dot == std::string_view::npos) {
      (*current)[key] = std::move(value);
      return;
    }
    boost::json::value& next = (*current)[key];
    if (!next.is_object()) next = boost::json::object();
    current = &next.get_object();
    start = dot + 1;
  }
}

/// metav1.LabelSelector as the selector text Scale's status.selector carries.
inline std::string selector_text(const boost::json::value* selector) {
  if (!selector || !selector->is_object()) return "";
  LabelSelector out;
  if (const auto* labels = selector->get_object().if_contains("matchLabels"); labels && labels->is_object())
    for (const auto& [k, v] : labels->get_object())
      if (v.is_string()) out.add({std::string(k), LabelSelector::op::equals, {std::string(v.get_string())}});
  if (const auto* exprs = selector->get_object().if_contains("matchExpressions"); exprs && exprs->is_array()) {
    for (const auto& e : exprs->get_array()) {
      if (!e.is_object()) continue;
      LabelSelector::Requirement r;
      r.key = string_at(&e.get_object(), "key");
      const std::string op = string_at(&e.get_object(), "operator");
      r.operation = op == "In"             ? LabelSelector::op::in
                    : op == "NotIn"        ? LabelSelector::op::not_in
                    : op == "DoesNotExist" ? LabelSelector::op::does_not_exist
                                           : LabelSelector::op::exists;
      if (const auto* values = e.get_object().if_contains("values"); values && values->is_array())
        for (const auto& v : values->get_array())
          if (v.is_string()) r.values.emplace_back(v.get_string());
      out.add(std::move(r));
    }
  }
  return out.to_string();
}

inline std::string base64url(std::string_view in) {
  static constexpr char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned n = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += table[(n >> s) & 63];
  }
  if (i < in.size()) {
    unsigned n = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) n |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += table[(n >> 18) & 63];
    out += table[(n >> 12) & 63];
    if (i + 1 < in.size()) out += table[(n >> 6) & 63];
  }
  return out;
}

inline std::optional<std::string> base64url_decode(std::string_view in) {
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '-' || c == '+')
      v = 62;
    else if (c == '_' || c == '/')
      v = 63;
    else if (c == '=')
      break;
    else
      return std::nullopt;
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  return out;
}

inline DeleteOptions delete_options(const RequestTarget& t, std::string_view body) {
  DeleteOptions options;
  options.propagation = t.param("propagationPolicy");
  if (!body.empty()) {
    boost::system::error_code ec;
    boost::json::value value = boost::json::parse(body, ec);
    if (ec || !value.is_object()) throw bad_request("the body of a DELETE must be a DeleteOptions object");
    const boost::json::object& o = value.get_object();
    if (auto p = string_at(&o, "propagationPolicy"); !p.empty()) options.propagation = p;
    if (const auto* orphan = o.if_contains("orphanDependents");
        orphan && orphan->is_bool() && options.propagation.empty())
      options.propagation = orphan->get_bool() ? "Orphan" : "Background";
    if (const auto* dry = o.if_contains("dryRun"); dry && dry->is_array()) {
      for (const auto& value : dry->get_array())
        options.dry_run.push_back(value.is_string() ? std::string(value.get_string()) : boost::json::serialize(value));
    }
    if (const auto* pre = o.if_contains("preconditions"); pre && pre->is_object()) {
      if (const auto* uid = pre->get_object().if_contains("uid"); uid && uid->is_string())
        options.uid = std::string(uid->get_string());
      if (const auto* rv = pre->get_object().if_contains("resourceVersion"); rv && rv->is_string())
        options.resource_version = std::string(rv->get_string());
    }
  }
  if (!options.propagation.empty() && options.propagation != "Background" && options.propagation != "Foreground" &&
      options.propagation != "Orphan")
    throw invalid("meta.k8s.io", "DeleteOptions", "",
                  {{"FieldValueNotSupported",
                    "Unsupported value: " + detail::quoted(options.propagation) +
                        ": supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\"",
                    "propagationPolicy"}});
  return options;
}

}  // namespace detail

inline boost::json::object FakeApiServer::State::scale_of(const detail::ResourceInfo& info,
                                                          const boost::json::object& object) const {
  const detail::ScaleSubresource& scale = *info.scale;
  boost::json::object meta;
  for (const char* field : {"name", "namespace", "uid", "resourceVersion", "creationTimestamp"})
    if (const boost::json::object* m = detail::meta_of(object))
      if (const boost::json::value* v = m->if_contains(field)) meta[field] = *v;
  std::int64_t spec_replicas = info.custom ? 0 : 1;  // built-in kinds default spec.replicas to 1
  if (const boost::json::value* v = detail::value_at_path(object, scale.spec_replicas_path); v && v->is_number())
    spec_replicas = v->to_number<std::int64_t>();
  std::int64_t status_replicas = 0;
  if (const boost::json::value* v = detail::value_at_path(object, scale.status_replicas_path); v && v->is_number())
    status_replicas = v->to_number<std::int64_t>();
  boost::json::object spec;
  if (spec_replicas != 0) spec["replicas"] = spec_replicas;
  boost::json::object status{{"replicas", status_replicas}};
  std::string selector;
  if (scale.selector_from_spec) {
    selector = detail::selector_text(detail::value_at_path(object, ".spec.selector"));
  } else if (!scale.label_selector_path.empty()) {
    if (const boost::json::value* v = detail::value_at_path(object, scale.label_selector_path); v && v->is_string())
      selector = std::string(v->get_string());
  }
  if (!selector.empty()) status["selector"] = selector;
  return {{"kind", "Scale"},
          {"apiVersion", "autoscaling/v1"},
          {"metadata", std::move(meta)},
          {"spec", std::move(spec)},
          {"status", std::move(status)}};
}

inline boost::json::object FakeApiServer::State::with_scale(const detail::ResourceInfo& info,
                                                            const boost::json::object& object,
                                                            const boost::json::object& scale) const {
  boost::json::object updated = object;
  std::int64_t replicas = 0;
  if (const boost::json::value* spec = scale.if_contains("spec"); spec && spec->is_object())
    if (const boost::json::value* r = spec->get_object().if_contains("replicas"); r && r->is_number())
      replicas = r->to_number<std::int64_t>();
  detail::set_at_path(updated, info.scale->spec_replicas_path, replicas);
  // The Scale's resourceVersion is the object's: a stale one conflicts.
  detail::meta_of(updated)["resourceVersion"] = detail::meta_string(scale, "resourceVersion");
  return updated;
}

inline FakeResponse FakeApiServer::State::handle(const FakeRequest& request) {
  using boost::beast::http::verb;
  std::optional<detail::RequestTarget> parsed = detail::parse_request_target(request.target);
  if (!parsed) return detail::error_response(detail::no_such_path());
  const detail::RequestTarget& t = *parsed;
  using what = detail::RequestTarget::what;
  if (t.target != what::resource) {
    if (t.target == what::unknown) return detail::error_response(detail::no_such_path());
    if (request.method != verb::get)
      return detail::error_response(
          detail::method_not_allowed("the server does not allow this method on the requested resource"));
    switch (t.target) {
      case what::discovery_core:
        return detail::json_response(200, registry.core_versions());
      case what::discovery_groups:
        return detail::json_response(200, registry.group_list());
      case what::discovery_group:
        if (auto doc = registry.group_document(t.group)) return detail::json_response(200, *doc);
        break;
      case what::discovery_core_version:
        if (auto doc = registry.resource_list("", t.version)) return detail::json_response(200, *doc);
        break;
      case what::discovery_group_version:
        if (auto doc = registry.resource_list(t.group, t.version)) return detail::json_response(200, *doc);
        break;
      default:
        break;
    }
    return detail::error_response(detail::no_such_path());
  }
  const detail::ResourceInfo* info = registry.find(t.group, t.version, t.resource);
  if (info == nullptr) return detail::error_response(detail::no_such_path());
  if ((!info->namespaced && !t.ns.empty()) || (info->namespaced && t.ns.empty() && !t.name.empty()))
    return detail::error_response(detail::no_such_path());
  if (!t.subresource.empty() &&
      !((t.subresource == "status" && info->status_subresource) || (t.subresource == "scale" && info->scale))) {
    // Subresources the real server has and the fake does not model fail loudly: a 404
    // would look like an answer.
    static const std::set<std::string, std::less<>> unmodelled{"attach",      "binding",  "ephemeralcontainers",
                                                               "eviction",    "exec",     "log",
                                                               "portforward", "proxy",    "resize",
                                                               "token",       "approval", "finalize"};
    if (unmodelled.contains(t.subresource))
      return detail::error_response(
          detail::not_implemented("the " + t.resource + "/" + t.subresource + " subresource"));
    return detail::error_response(detail::no_such_path());
  }
  const detail::ResourceInfo resource = *info;  // the registry may change during the request
  try {
    FakeResponse response = handle_resource(request, t, resource);
    return response;
  } catch (const detail::FakeStatusError& e) {
    return detail::error_response(e);
  } catch (const detail::PatchError& e) {
    detail::FakeStatusError error{e.status(), e.reason(), e.what(), t.name, resource.group, resource.kind, e.causes()};
    if (e.reason() == "Conflict" || e.reason() == "NotFound" || e.reason() == "AlreadyExists")
      error.kind = resource.resource;
    if (e.reason() == "BadRequest" || e.reason() == "UnsupportedMediaType" || e.reason() == "NotImplemented") {
      error.name.clear();
      error.group.clear();
      error.kind.clear();
    }
    return detail::error_response(error);
  } catch (const std::exception& e) {
    // A defect of the fake, never a client's mistake: answered as the real server answers
    // a panic in a handler, so that the request fails visibly instead of the test process.
    return detail::error_response({500, "InternalError", std::string("fake API server: ") + e.what(), {}, {}, {}, {}});
  }
}

inline FakeResponse FakeApiServer::State::handle_resource(const FakeRequest& request, const detail::RequestTarget& t,
                                                          const detail::ResourceInfo& info) {
  using boost::beast::http::verb;
  detail::WriteContext ctx;
  ctx.manager = manager_for(request, t);
  ctx.subresource = t.subresource;
  const detail::ObjectName key{info.namespaced ? t.ns : "", t.name};
  const boost::json::object* found = t.name.empty() ? nullptr : store.get(info.storage_key(), key);
  auto require = [&]() -> const boost::json::object& {
    if (!found) throw detail::not_found(info.group, info.resource, t.name);
    return *found;
  };
  switch (request.method) {
    case verb::get: {
      if (t.name.empty()) return list(t, info, detail::wants_metadata_only(request.accept));
      const boost::json::object& object = require();
      if (t.subresource == "scale") return detail::json_response(200, scale_of(info, object));
      if (t.subresource.empty() && detail::wants_metadata_only(request.accept))
        return detail::json_response(200, detail::partial_object_metadata(object));
      return detail::json_response(200, as_served(object, info));
    }
    case verb::post: {
      if (!t.name.empty())
        throw detail::method_not_allowed("the server does not allow this method on the requested resource");
      check_dry_run(t, "CreateOptions", ctx);
      boost::json::object body = parse_body(request.body);
      check_type(info, body);
      boost::json::object created = create(info, std::move(body), ctx, t.ns);
      if (!ctx.dry_run) settle();
      return detail::json_response(201, created);
    }
    case verb::put: {
      if (t.name.empty())
        throw detail::method_not_allowed("the server does not allow this method on the requested resource");
      check_dry_run(t, "UpdateOptions", ctx);
      boost::json::object body = parse_body(request.body);
      if (t.subresource == "scale") {
        const boost::json::object& object = require();
        boost::json::object updated = update(info, object, with_scale(info, object, body), ctx);
        if (!ctx.dry_run) settle();
        return detail::json_response(200, scale_of(info, updated));
      }
      check_type(info, body);
      const std::string body_name = detail::meta_string(body, "name");
      if (body_name != t.name)
        throw detail::bad_request("the name of the object (" + body_name + ") does not match the name on the URL (" +
                                  t.name + ")");
      const std::string body_ns = detail::meta_string(body, "namespace");
      if (info.namespaced && !body_ns.empty() && body_ns != t.ns)
        throw detail::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request");
      if (!found) {
        if (!info.create_on_update || !t.subresource.empty()) require();
        boost::json::object created = create(info, std::move(body), ctx, t.ns);
        if (!ctx.dry_run) settle();
        return detail::json_response(201, created);
      }
      detail::meta_of(body)["namespace"] = t.ns;
      if (!info.namespaced) detail::meta_of(body).erase("namespace");
      boost::json::object updated = update(info, *found, std::move(body), ctx);
      if (!ctx.dry_run) settle();
      return detail::json_response(200, updated);
    }
    case verb::patch: {
      if (t.name.empty())
        throw detail::method_not_allowed("the server does not allow this method on the requested resource");
      check_dry_run(t, "PatchOptions", ctx);
      FakeResponse response = patch(request, t, info, ctx);
      if (!ctx.dry_run) settle();
      return response;
    }
    case verb::delete_: {
      const detail::DeleteOptions options = detail::delete_options(t, request.body);
      {
        // kopp's client, like client-go, sends a DELETE's dryRun in the DeleteOptions body.
        detail::RequestTarget with_body_options = t;
        with_body_options.dry_run.insert(with_body_options.dry_run.end(), options.dry_run.begin(),
                                         options.dry_run.end());
        check_dry_run(with_body_options, "DeleteOptions", ctx);
      }
      if (!t.name.empty()) {
        if (!t.subresource.empty())
          throw detail::method_not_allowed("the server does not allow this method on the requested resource");
        boost::json::object body = remove(info, require(), options, ctx);
        if (!ctx.dry_run) settle();
        return detail::json_response(200, body);
      }
      // deletecollection: every matching object, answered with the list of them.
      const detail::Selectors selectors =
          detail::parse_selectors(info.resource, t.param("labelSelector"), t.param("fieldSelector"));
      boost::json::array items;
      const detail::ObjectMap snapshot = store.objects(info.storage_key());
      for (const auto& [name, object] : snapshot) {
        if (info.namespaced && !t.ns.empty() && name.ns != t.ns) continue;
        if (!detail::selectors_match(selectors, object)) continue;
        boost::json::object item = remove(info, object, options, ctx);
        if (!info.custom) {
          item.erase("kind");
          item.erase("apiVersion");
        }
        items.push_back(std::move(item));
      }
      if (!ctx.dry_run) settle();
      return detail::json_response(
          200, boost::json::object{{"kind", info.list_kind},
                                   {"apiVersion", info.api_version()},
                                   {"metadata", {{"resourceVersion", std::to_string(store.resource_version())}}},
                                   {"items", std::move(items)}});
    }
    default:
      throw detail::method_not_allowed("the server does not allow this method on the requested resource");
  }
}

inline FakeResponse FakeApiServer::State::list(const detail::RequestTarget& t, const detail::ResourceInfo& info,
                                               bool metadata_only) {
  const detail::Selectors selectors =
      detail::parse_selectors(info.resource, t.param("labelSelector"), t.param("fieldSelector"));
  std::uint64_t list_rv = store.resource_version();
  std::optional<detail::ObjectName> after;
  if (t.has_param("continue") && !t.param("continue").empty()) {
    auto decoded = detail::base64url_decode(t.param("continue"));
    boost::system::error_code ec;
    boost::json::value token = decoded ? boost::json::parse(*decoded, ec) : boost::json::value();
    if (!decoded || ec || !token.is_object() || !token.get_object().contains("rv") ||
        !token.get_object().at("rv").is_number())
      throw detail::bad_request(
          "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
    list_rv = token.get_object().at("rv").to_number<std::uint64_t>();
    const std::string start = detail::string_at(&token.get_object(), "start");
    const std::size_t slash = start.find('/');
    after = detail::ObjectName{slash == std::string::npos ? "" : start.substr(0, slash),
                               slash == std::string::npos ? start : start.substr(slash + 1)};
    if (list_rv < store.compacted())
      throw detail::FakeStatusError{
          410,
          "Expired",
          "The provided continue parameter is too old to display a consistent list result. You can start a new list "
          "without the continue parameter.",
          {},
          {},
          {},
          {}};
  }
  const detail::ObjectMap objects =
      after ? store.objects_at(info.storage_key(), list_rv) : store.objects(info.storage_key());
  std::int64_t limit = 0;
  if (t.has_param("limit")) {
    try {
      limit = std::stoll(t.param("limit"));
    } catch (const std::exception&) {
      throw detail::bad_request("limit: invalid value " + detail::quoted(t.param("limit")));
    }
  }
  boost::json::array items;
  std::string next;
  std::int64_t remaining = 0;
  for (const auto& [name, object] : objects) {
    if (after && !(*after < name)) continue;
    if (info.namespaced && !t.ns.empty() && name.ns != t.ns) continue;
    if (!detail::selectors_match(selectors, object)) continue;
    if (limit > 0 && static_cast<std::int64_t>(items.size()) == limit) {
      ++remaining;
      continue;
    }
    if (metadata_only) {
      items.push_back(detail::partial_object_metadata(object));
      if (limit > 0 && static_cast<std::int64_t>(items.size()) == limit)
        next = (name.ns.empty() ? "" : name.ns + "/") + name.name;
      continue;
    }
    boost::json::object item = as_served(object, info);
    // Built-in list items are typed Go structs with an empty TypeMeta; custom ones keep it.
    if (!info.custom) {
      item.erase("kind");
      item.erase("apiVersion");
    }
    items.push_back(std::move(item));
    if (limit > 0 && static_cast<std::int64_t>(items.size()) == limit)
      next = (name.ns.empty() ? "" : name.ns + "/") + name.name;
  }
  boost::json::object meta{{"resourceVersion", std::to_string(list_rv)}};
  if (remaining > 0) {
    const boost::json::object token{{"v", "meta.k8s.io/v1"}, {"rv", list_rv}, {"start", next}};
    meta["continue"] = detail::base64url(boost::json::serialize(token));
    if (selectors.empty()) meta["remainingItemCount"] = remaining;
  }
  if (metadata_only)
    return detail::json_response(200, boost::json::object{{"kind", "PartialObjectMetadataList"},
                                                          {"apiVersion", "meta.k8s.io/v1"},
                                                          {"metadata", std::move(meta)},
                                                          {"items", std::move(items)}});
  return detail::json_response(200, boost::json::object{{"kind", info.list_kind},
                                                        {"apiVersion", info.api_version()},
                                                        {"metadata", std::move(meta)},
                                                        {"items", std::move(items)}});
}

inline FakeResponse FakeApiServer::State::patch(const FakeRequest& request, const detail::RequestTarget& t,
                                                const detail::ResourceInfo& info, detail::WriteContext& ctx) {
  std::string type = request.content_type.substr(0, request.content_type.find(';'));
  const bool apply = type == "application/apply-patch+yaml";
  const bool strategic = type == "application/strategic-merge-patch+json";
  const bool known =
      apply || strategic || type == "application/merge-patch+json" || type == "application/json-patch+json";
  if (!known || (strategic && info.custom)) {
    throw detail::FakeStatusError{
        415,
        "UnsupportedMediaType",
        std::string("the body of the request was in an unknown format - accepted media types include: "
                    "application/json-patch+json, application/merge-patch+json, ") +
            (info.custom ? "" : "application/strategic-merge-patch+json, ") + "application/apply-patch+yaml",
        {},
        {},
        {},
        {}};
  }
  // Apply names its manager explicitly: the user agent is no default for it.
  if (apply && t.param("fieldManager").empty())
    throw detail::invalid("meta.k8s.io", "PatchOptions", "",
                          {detail::required_value("fieldManager", "is required for apply patch")});
  const std::string force = t.param("force");
  if (t.has_param("force") && !apply)
    throw detail::invalid("meta.k8s.io", "PatchOptions", "",
                          {detail::forbidden_value("force", "may not be specified for non-apply patch")});
  ctx.force = force == "true" || force == "1";
  ctx.patch = true;
  boost::system::error_code ec;
  boost::json::value patch_doc = boost::json::parse(request.body, ec);
  if (ec) throw detail::bad_request("error decoding patch: " + ec.message());

  const detail::ObjectName key{info.namespaced ? t.ns : "", t.name};
  const boost::json::object* found = store.get(info.storage_key(), key);
  if (!found && !(apply && t.subresource.empty())) throw detail::not_found(info.group, info.resource, t.name);

  if (apply) {
    ctx.apply = true;
    if (!patch_doc.is_object()) throw detail::bad_request("the applied configuration must be a JSON object");
    detail::ApplyOptions options;
    options.manager = ctx.manager;
    options.force = ctx.force;
    options.subresource = t.subresource;
    options.status_subresource = info.status_subresource;
    options.now = detail::now_rfc3339();
    if (!found) {
      boost::json::object applied = patch_doc.get_object();
      check_type(info, applied);
      boost::json::value result = detail::server_side_apply(nullptr, applied, list_types(info), options);
      boost::json::object object = std::move(result.get_object());
      const std::string body_name = detail::meta_string(object, "name");
      if (body_name != t.name)
        throw detail::bad_request("the name of the object (" + body_name + ") does not match the name on the URL (" +
                                  t.name + ")");
      return detail::json_response(201, create(info, std::move(object), ctx, t.ns));
    }
    const boost::json::value live = as_served(*found, info);
    boost::json::value result = detail::server_side_apply(&live, patch_doc, list_types(info), options);
    return detail::json_response(200, update(info, *found, std::move(result.get_object()), ctx));
  }

  boost::json::value current = t.subresource == "scale" ? boost::json::value(scale_of(info, *found))
                                                        : boost::json::value(as_served(*found, info));
  boost::json::value patched;
  if (type == "application/json-patch+json")
    patched = detail::apply_json_patch(current, patch_doc);
  else if (strategic)
    patched = detail::apply_strategic_merge_patch(current, patch_doc, info.api_version(), info.kind);
  else
    patched = detail::apply_merge_patch(current, patch_doc);
  if (!patched.is_object()) throw detail::bad_request("the patched object is not a JSON object");
  if (t.subresource == "scale") {
    boost::json::object updated = update(info, *found, with_scale(info, *found, patched.get_object()), ctx);
    return detail::json_response(200, scale_of(info, updated));
  }
  boost::json::object result = std::move(patched.get_object());
  if (detail::meta_string(result, "name") != t.name)
    throw detail::bad_request("the name of the object (" + detail::meta_string(result, "name") +
                              ") does not match the name on the URL (" + t.name + ")");
  return detail::json_response(200, update(info, *found, std::move(result), ctx));
}

inline std::variant<FakeResponse, std::shared_ptr<FakeWatch>> FakeApiServer::State::open_watch(
    const FakeRequest& request) {
  std::optional<detail::RequestTarget> parsed = detail::parse_request_target(request.target);
  if (!parsed || parsed->target != detail::RequestTarget::what::resource || !parsed->subresource.empty())
    return detail::error_response(detail::no_such_path());
  const detail::RequestTarget& t = *parsed;
  const detail::ResourceInfo* info = registry.find(t.group, t.version, t.resource);
  if (info == nullptr || (!info->namespaced && !t.ns.empty())) return detail::error_response(detail::no_such_path());
  detail::WatchRegistration registration;
  registration.resource = *info;
  registration.ns = info->namespaced ? t.ns : "";
  try {
    registration.selectors =
        detail::parse_selectors(info->resource, t.param("labelSelector"), t.param("fieldSelector"));
  } catch (const detail::FakeStatusError& e) {
    return detail::error_response(e);
  }
  if (!t.name.empty()) registration.selectors.fields.push_back({"metadata.name", t.name, true});
  registration.bookmarks = t.param("allowWatchBookmarks") == "true" || t.param("allowWatchBookmarks") == "1";
  registration.metadata_only = detail::wants_metadata_only(request.accept);
  const bool send_initial = t.param("sendInitialEvents") == "true" || t.param("sendInitialEvents") == "1";
  if (t.has_param("sendInitialEvents")) {
    std::vector<StatusCause> causes;
    if (t.param("resourceVersionMatch") != "NotOlderThan")
      causes.push_back(detail::forbidden_value(
          "resourceVersionMatch", "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan"));
    if (send_initial && !registration.bookmarks)
      causes.push_back(detail::forbidden_value(
          "allowWatchBookmarks", "allowWatchBookmarks must be set to true when sendInitialEvents is set"));
    if (!causes.empty()) return detail::error_response(detail::invalid("meta.k8s.io", "ListOptions", "", causes));
  }
  auto watch = std::make_shared<FakeWatch>();
  const std::string rv_text = t.param("resourceVersion");
  std::string initial;
  auto add_current = [&] {
    for (const auto& [name, object] : store.objects(info->storage_key())) {
      if (!registration.ns.empty() && name.ns != registration.ns) continue;
      if (!detail::selectors_match(registration.selectors, object)) continue;
      initial += event_line("ADDED", served_to(registration, object));
    }
  };
  if (send_initial) {
    add_current();
    initial += event_line("BOOKMARK", bookmark_object(*info, true));
  } else if (rv_text.empty() || rv_text == "0") {
    add_current();
  } else {
    std::uint64_t from = 0;
    try {
      from = std::stoull(rv_text);
    } catch (const std::exception&) {
      return detail::error_response(detail::bad_request("invalid resource version: " + detail::quoted(rv_text)));
    }
    if (from < store.compacted()) {
      detail::FakeStatusError gone{
          410, "Expired", "too old resource version: " + rv_text + " (" + std::to_string(store.compacted()) + ")",
          {},  {},        {},
          {}};
      watch->pending_ = event_line("ERROR", detail::status_body(gone));
      watch->ended_ = true;
      return watch;
    }
    for (const detail::StoredEvent& event : store.history())
      if (event.resource_version > from) initial += line_for(registration, event);
  }
  watch->pending_ = std::move(initial);
  registration.watch = watch;
  watches.push_back(std::move(registration));
  return watch;
}

// ---------------------------------------------------------------------------------------
// FakeApiServer

inline FakeApiServer::FakeApiServer() : state_(std::make_unique<State>()) {}
inline FakeApiServer::~FakeApiServer() = default;

inline bool FakeApiServer::is_watch(const FakeRequest& request) {
  if (request.method != boost::beast::http::verb::get) return false;
  std::optional<detail::RequestTarget> t = detail::parse_request_target(request.target);
  if (!t) return false;
  const std::string watch = t->param("watch");
  return watch == "true" || watch == "1";
}

inline FakeResponse FakeApiServer::handle(const FakeRequest& request) {
  std::vector<std::shared_ptr<FakeWatch>> notify;
  FakeResponse response;
  {
    std::lock_guard lock(state_->mutex);
    response = state_->handle(request);
    notify.swap(state_->to_notify);
  }
  for (const auto& watch : notify) {
    std::function<void()> ready;
    {
      std::lock_guard lock(watch->mutex_);
      ready = watch->ready_;
    }
    if (ready) ready();
  }
  return response;
}

inline std::variant<FakeResponse, std::shared_ptr<FakeWatch>> FakeApiServer::open_watch(const FakeRequest& request) {
  std::lock_guard lock(state_->mutex);
  return state_->open_watch(request);
}

inline std::uint64_t FakeApiServer::resource_version() const {
  std::lock_guard lock(state_->mutex);
  return state_->store.resource_version();
}

inline void FakeApiServer::compact() {
  std::lock_guard lock(state_->mutex);
  state_->store.compact();
}

inline void FakeApiServer::send_bookmarks() {
  std::vector<std::shared_ptr<FakeWatch>> notify;
  {
    std::lock_guard lock(state_->mutex);
    for (const detail::WatchRegistration& r : state_->watches) {
      std::shared_ptr<FakeWatch> watch = r.watch.lock();
      if (!watch || !r.bookmarks) continue;
      state_->queue(*watch, State::event_line("BOOKMARK", state_->bookmark_object(r.resource, false)), watch);
    }
    notify.swap(state_->to_notify);
  }
  for (const auto& watch : notify) {
    std::function<void()> ready;
    {
      std::lock_guard lock(watch->mutex_);
      ready = watch->ready_;
    }
    if (ready) ready();
  }
}

inline void FakeApiServer::end_watches() {
  std::vector<std::shared_ptr<FakeWatch>> ended;
  {
    std::lock_guard lock(state_->mutex);
    for (const detail::WatchRegistration& r : state_->watches)
      if (std::shared_ptr<FakeWatch> watch = r.watch.lock()) ended.push_back(std::move(watch));
    state_->watches.clear();
  }
  for (const auto& watch : ended) {
    std::function<void()> ready;
    {
      std::lock_guard lock(watch->mutex_);
      watch->ended_ = true;
      ready = watch->ready_;
    }
    if (ready) ready();
  }
}

inline boost::json::object FakeApiServer::create(const boost::json::object& object) {
  const auto text_at = [](const boost::json::object& o, std::string_view key) -> std::string {
    const boost::json::value* v = o.if_contains(key);
    return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
  };
  const std::string api_version = text_at(object, "apiVersion");
  const std::string kind = text_at(object, "kind");
  const boost::json::object* metadata = object.contains("metadata") ? object.at("metadata").if_object() : nullptr;
  const std::string name = metadata != nullptr ? text_at(*metadata, "name") : std::string();
  const std::string what = (kind.empty() ? std::string("an object without kind") : kind) + " " +
                           (name.empty() ? std::string("(no metadata.name)") : name);
  if (api_version.empty() || kind.empty())
    throw std::runtime_error("FakeApiServer::create: " + what + ": apiVersion and kind are required");
  FakeRequest request;
  {
    std::lock_guard lock(state_->mutex);
    const detail::ResourceInfo* info = state_->registry.find_kind(api_version, kind);
    if (info == nullptr)
      throw std::runtime_error("FakeApiServer::create: " + what + ": the server does not serve kind " + kind + " in " +
                               api_version + " (install its CustomResourceDefinition first)");
    std::string path = info->group.empty() ? "/api/" + info->version : "/apis/" + info->group + "/" + info->version;
    if (info->namespaced) {
      std::string ns = metadata != nullptr ? text_at(*metadata, "namespace") : std::string();
      path += "/namespaces/" + (ns.empty() ? std::string("default") : ns);
    }
    request.target = path + "/" + info->resource;
  }
  request.method = boost::beast::http::verb::post;
  request.content_type = "application/json";
  request.body = boost::json::serialize(object);
  const FakeResponse response = handle(request);
  if (response.status != 201)
    throw std::runtime_error("FakeApiServer::create: " + what + ": HTTP " + std::to_string(response.status) + ": " +
                             response.body);
  return boost::json::parse(response.body).as_object();
}

inline std::optional<boost::json::value> FakeApiServer::object(std::string_view path) const {
  std::lock_guard lock(state_->mutex);
  std::optional<detail::RequestTarget> t = detail::parse_request_target(path);
  if (!t || t->target != detail::RequestTarget::what::resource || t->name.empty()) return std::nullopt;
  const detail::ResourceInfo* info = state_->registry.find(t->group, t->version, t->resource);
  if (info == nullptr) return std::nullopt;
  const boost::json::object* found = state_->store.get(info->storage_key(), {info->namespaced ? t->ns : "", t->name});
  if (!found) return std::nullopt;
  return boost::json::value(State::as_served(*found, *info));
}

}  // namespace kopp::testing
