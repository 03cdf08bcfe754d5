#pragma once
// meta/v1 ObjectMeta, ListMeta and OwnerReference, with the helpers controllers use on them.

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
BOOST_DESCRIBE_STRUCT(OwnerReference, (),
                      (apiVersion, kind, name, uid, controller, blockOwnerDeletion))

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
                      (name, generateName, namespace_, uid, resourceVersion, generation,
                       creationTimestamp, deletionTimestamp, deletionGracePeriodSeconds, labels,
                       annotations, ownerReferences, finalizers, managedFields, unknown_fields))
KOPP_JSON_OMIT_ZERO(ObjectMeta, generation)

struct ListMeta {
    std::string resourceVersion;
    std::string continue_;
    std::optional<std::int64_t> remainingItemCount;
    UnknownFields unknown_fields;

    friend bool operator==(const ListMeta&, const ListMeta&) = default;
};
BOOST_DESCRIBE_STRUCT(ListMeta, (), (resourceVersion, continue_, remainingItemCount, unknown_fields))

/// The cache and workqueue key of an object: "namespace/name", or "name" when it has no
/// namespace (cluster-scoped).
[[nodiscard]] inline std::string object_key(const ObjectMeta& meta) {
    if (meta.namespace_.empty()) return meta.name;
    std::string key;
    key.reserve(meta.namespace_.size() + 1 + meta.name.size());
    key.append(meta.namespace_).append(1, '/').append(meta.name);
    return key;
}

/// An owner reference to `owner` marked as its controller, with blockOwnerDeletion, as
/// controller-runtime's SetControllerReference writes it. `owner` must have a uid (it
/// has been read from or created on the server).
template <Resource K>
[[nodiscard]] OwnerReference make_controller_reference(const K& owner) {
    OwnerReference ref;
    ref.apiVersion = api_version<K>();
    ref.kind = std::string(resource_traits<K>::kind);
    ref.name = owner.metadata.name;
    ref.uid = owner.metadata.uid;
    ref.controller = true;
    ref.blockOwnerDeletion = true;
    return ref;
}

/// The owner reference with controller: true, or nullptr.
[[nodiscard]] inline const OwnerReference* find_controller_reference(const ObjectMeta& meta) noexcept {
    for (const OwnerReference& ref : meta.ownerReferences)
        if (ref.controller.value_or(false)) return &ref;
    return nullptr;
}

/// Whether the object's controller is the object with uid `owner_uid`.
[[nodiscard]] inline bool is_controlled_by(const ObjectMeta& meta, std::string_view owner_uid) noexcept {
    const OwnerReference* ref = find_controller_reference(meta);
    return ref != nullptr && ref->uid == owner_uid;
}

[[nodiscard]] inline bool has_finalizer(const ObjectMeta& meta, std::string_view finalizer) noexcept {
    return std::find(meta.finalizers.begin(), meta.finalizers.end(), finalizer) !=
           meta.finalizers.end();
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

}  // namespace kopp
