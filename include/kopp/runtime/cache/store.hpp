#pragma once
// Store<K>: the cache an informer fills, read by controllers. Objects are immutable and
// shared (std::shared_ptr<const K>); a read hands out pointers, never deep copies.
//
//   auto cm = informer->store().get("default/settings");                 // or nullptr
//   for (auto& pod : store.list("default", kopp::LabelSelector::parse("app=web"))) ...
//   store.add_index("owner", [](const Pod& p) { return owner_uids(p); });
//   auto owned = store.by_index("owner", deployment->metadata.uid);
//
// Keys are "namespace/name" (just "name" for cluster-scoped objects), see kopp::object_key.
//
// Guarantees: every public member is thread-safe (a std::shared_mutex: reads in parallel,
// writes exclusive). A reader sees each write whole: replace() swaps the entire content at
// once, so a list never mixes the state before and after a relist. Indexes are always
// consistent with the objects. Lists are ordered by key.
// Errors: by_index() of an unknown index throws std::out_of_range; an index function that
// throws leaves the store unchanged and the exception propagates to the writer.
// Caveats: a pointer read from the store stays valid (and unchanged) after the object is
// updated or deleted in the store: it is a snapshot, not a live view. Index functions run
// under the write lock: they must be quick and must not touch the store.

#include <kopp/core/object_meta.hpp>
#include <kopp/core/object_key.hpp>
#include <kopp/core/owner_reference.hpp>
#include <kopp/runtime/cache/label_selector.hpp>

#include <concepts>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace kopp {

/// A type the runtime can cache: it has a `metadata` member of type kopp::ObjectMeta.
/// Every kopp::Resource is one, and so is kopp::PartialObjectMetadata.
template <class K>
concept CachedObject = requires(const K& k) {
  requires std::same_as<std::remove_cvref_t<decltype(k.metadata)>, ObjectMeta>;
};

/// The index every informer of a kind that a controller owns<>() carries: objects by the
/// uid of their controller owner reference. A reconciler lists its children with
/// `informer->store().by_index(kopp::controller_uid_index, owner.metadata.uid)` instead of
/// writing the index itself (controller-runtime users do, with IndexField). A uid names one
/// object of one kind, so no kind check is needed.
inline constexpr std::string_view controller_uid_index = "kopp.io/controller-uid";

/// The index function of controller_uid_index: the controller owner's uid, if any.
template <CachedObject K>
std::vector<std::string> controller_uid_of(const K& object) {
  if (const OwnerReference* owner = find_controller_reference(object.metadata)) return {owner->uid};
  return {};
}

template <CachedObject K>
class Store {
 public:
  using object_ptr = std::shared_ptr<const K>;
  using index_function = std::function<std::vector<std::string>(const K&)>;

  /// The built-in index of objects by metadata.namespace (cluster-scoped objects are not
  /// in it). It is answered from the key order ("namespace/name" keys sort by namespace),
  /// so it costs no memory; add_index() under this name replaces it.
  static constexpr std::string_view namespace_index = "namespace";

  /// An object to store and the estimate of its size in bytes (see approximate_bytes()).
  struct Entry {
    object_ptr object;
    std::size_t bytes = 0;
  };

  /// What replace() changed, for the informer to tell its handlers.
  struct ReplaceResult {
    std::vector<object_ptr> added;
    std::vector<std::pair<object_ptr, object_ptr>> updated;  ///< (old, new), resourceVersion differs
    std::vector<object_ptr> deleted;                         ///< last known state
  };

  Store();

  // Reads. Objects are keyed by ObjectKey; its text form ("namespace/name", or "name" for a
  // cluster-scoped object: object_key(meta)) is accepted too.
  object_ptr get(const ObjectKey& key) const { return get(key.namespace_, key.name); }
  object_ptr get(std::string_view key) const;
  object_ptr get(std::string_view ns, std::string_view name) const;
  /// The object under `key` with its byte estimate; a null object when absent.
  Entry entry(std::string_view key) const;
  Entry entry(const ObjectKey& key) const { return entry(key.to_string()); }
  std::vector<object_ptr> list() const;
  /// Objects in one namespace, ordered by key.
  std::vector<object_ptr> list(std::string_view ns) const;
  std::vector<object_ptr> list(const LabelSelector& selector) const;
  std::vector<object_ptr> list(std::string_view ns, const LabelSelector& selector) const;
  std::vector<std::string> keys() const;
  std::size_t size() const;
  /// Sum of the entries' byte estimates (the informer's estimate: the JSON text size of
  /// each object as received, after managedFields were dropped).
  std::size_t approximate_bytes() const;

  // Indexes.
  /// Adds (or replaces) index `name`; existing objects are indexed at once. An object is
  /// listed under every value the function returns (none: not in the index).
  void add_index(std::string name, index_function fn);
  bool has_index(std::string_view name) const;
  /// Objects whose index function returned `value`, ordered by key.
  std::vector<object_ptr> by_index(std::string_view name, std::string_view value) const;
  /// The values under which index `name` lists at least one object, sorted.
  std::vector<std::string> index_values(std::string_view name) const;

  // Writes (the informer's; a controller normally does not write its cache).
  /// Inserts or replaces the object under its key; returns the previous one or nullptr.
  object_ptr apply(object_ptr object, std::size_t bytes = 0);
  /// Removes the object with `key`; returns it, or nullptr when absent.
  object_ptr remove(std::string_view key);
  object_ptr remove(const ObjectKey& key) { return remove(key.to_string()); }
  /// Replaces the whole content atomically and reports what changed.
  ReplaceResult replace(std::vector<Entry> entries);

 private:
  using key_set = std::set<std::string, std::less<>>;
  struct Index {
    index_function fn;
    std::map<std::string, key_set, std::less<>> values;                   // value -> keys
    std::map<std::string, std::vector<std::string>, std::less<>> by_key;  // key -> values
  };

  // Callers hold the write lock. The values are computed first (index functions may
  // throw), then inserted, so a throwing function leaves the store unchanged.
  std::vector<std::vector<std::string>> index_values_of(const K& object) const;
  void index_insert(const std::string& key, std::vector<std::vector<std::string>> values);
  void index_erase(const std::string& key);
  std::vector<object_ptr> objects_for(const key_set& keys) const;
  // The built-in namespace index, read from the key order. Callers hold a lock.
  std::vector<object_ptr> in_namespace(std::string_view ns) const;
  std::vector<std::string> namespaces() const;

  mutable std::shared_mutex mutex_;
  std::map<std::string, Entry, std::less<>> objects_;
  std::map<std::string, Index, std::less<>> indexes_;  // name -> index
  std::size_t bytes_ = 0;
};

}  // namespace kopp

#include <kopp/runtime/cache/impl/store.hpp>
