#pragma once
// meta/v1 ObjectMeta, ListMeta and OwnerReference, with the helpers controllers use on them.

#include <kopp/core/detail/config.hpp>
#include <kopp/core/managed_fields.hpp>
#include <kopp/core/resource.hpp>
#include <kopp/core/time.hpp>
#include <kopp/core/unknown_fields.hpp>

#include <kopp/core/json_options.hpp>

#include <boost/describe/class.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kopp {

struct OwnerReference {
  std::string apiVersion;
  std::string kind;
  std::string name;
  std::string uid;
  std::optional<bool> controller;
  std::optional<bool> blockOwnerDeletion;

  friend bool operator==(const OwnerReference&, const OwnerReference&) = default;
};
BOOST_DESCRIBE_STRUCT(OwnerReference, (), (apiVersion, kind, name, uid, controller, blockOwnerDeletion))

struct ObjectMeta {
  std::string name;
  std::string generateName;
  std::string namespace_;
  std::string uid;
  std::string resourceVersion;
  std::int64_t generation = 0;
  std::optional<Time> creationTimestamp;
  std::optional<Time> deletionTimestamp;
  std::optional<std::int64_t> deletionGracePeriodSeconds;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::vector<OwnerReference> ownerReferences;
  std::vector<std::string> finalizers;
  /// Server-side apply bookkeeping, written back as read. Informers drop it by default.
  std::vector<ManagedFieldsEntry> managedFields;
  /// Anything else the server sends (selfLink, fields of newer versions).
  UnknownFields unknown_fields;

  friend bool operator==(const ObjectMeta&, const ObjectMeta&) = default;
};
BOOST_DESCRIBE_STRUCT(ObjectMeta, (),
                      (name, generateName, namespace_, uid, resourceVersion, generation, creationTimestamp,
                       deletionTimestamp, deletionGracePeriodSeconds, labels, annotations, ownerReferences, finalizers,
                       managedFields, unknown_fields))
KOPP_JSON_OMIT_ZERO(ObjectMeta, generation)

struct ListMeta {
  std::string resourceVersion;
  std::string continue_;
  std::optional<std::int64_t> remainingItemCount;
  UnknownFields unknown_fields;

  friend bool operator==(const ListMeta&, const ListMeta&) = default;
};
BOOST_DESCRIBE_STRUCT(ListMeta, (), (resourceVersion, continue_, remainingItemCount, unknown_fields))

[[nodiscard]] inline bool has_finalizer(const ObjectMeta& meta, std::string_view finalizer) noexcept {
  return std::find(meta.finalizers.begin(), meta.finalizers.end(), finalizer) != meta.finalizers.end();
}

/// Adds `finalizer` unless present. Returns whether `meta` changed.
inline bool add_finalizer(ObjectMeta& meta, std::string_view finalizer) {
  if (has_finalizer(meta, finalizer)) return false;
  meta.finalizers.emplace_back(finalizer);
  return true;
}

/// Removes every occurrence of `finalizer`. Returns whether `meta` changed.
inline bool remove_finalizer(ObjectMeta& meta, std::string_view finalizer) {
  const auto removed = std::erase(meta.finalizers, finalizer);
  return removed != 0;
}

// --- The mark of a cached object that is not a faithful copy --------------------------
// An informer's user transform may drop fields to save memory; the objects it produces are
// marked so that nobody replaces or applies them (that would erase the dropped fields):
// their metadata.resourceVersion becomes "kopp-transformed:<rv>". See
// kopp/runtime/cache/informer.hpp, "The transform rule".

/// The prefix of metadata.resourceVersion of an object produced by a user transform.
inline constexpr std::string_view transformed_version_prefix = "kopp-transformed:";

/// Whether the object was produced by an informer's user transform (and so may lack
/// fields the server has): do not replace() or apply() it; patch what you changed.
[[nodiscard]] inline bool is_transformed(const ObjectMeta& meta) noexcept {
  return meta.resourceVersion.starts_with(transformed_version_prefix);
}

/// The server's resourceVersion of an object, also for a transformed one.
[[nodiscard]] inline std::string_view server_resource_version(const ObjectMeta& meta) noexcept {
  std::string_view rv = meta.resourceVersion;
  if (rv.starts_with(transformed_version_prefix)) rv.remove_prefix(transformed_version_prefix.size());
  return rv;
}

}  // namespace kopp

#if !KOPP_HEADER_ONLY
// Compiled mode: the JSON codecs are compiled once (core/impl/codecs.ipp).
#include <kopp/core/json.hpp>

KOPP_JSON_CODEC_EXTERN(kopp::OwnerReference);
KOPP_JSON_CODEC_EXTERN(kopp::ObjectMeta);
KOPP_JSON_CODEC_EXTERN(kopp::ListMeta);
#endif
