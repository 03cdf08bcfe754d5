#pragma once
// Owner references: make, find and set the controller reference of an object
// (controller-runtime's controllerutil.SetControllerReference and metav1.GetControllerOf).
// The OwnerReference struct itself is part of ObjectMeta (kopp/core/object_meta.hpp).

#include <kopp/core/object_key.hpp>
#include <kopp/core/object_meta.hpp>
#include <kopp/core/resource.hpp>

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace kopp {

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

/// Another controller already owns the object (controllerutil.AlreadyOwnedError).
class already_owned_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Makes `owner` the controller of `object` (ownerReferences with controller=true and
/// blockOwnerDeletion=true), so garbage collection deletes the object with its owner and
/// `owns<Child>()` maps changes back. Throws already_owned_error when a different controller
/// owns it; cross-namespace ownership is refused with std::invalid_argument (the API server
/// would let the garbage collector delete such a child at once).
template <Resource Owner, class Object>
void set_controller_reference(const Owner& owner, Object& object) {
  if (resource_traits<Owner>::namespaced && owner.metadata.namespace_ != object.metadata.namespace_ &&
      !object.metadata.namespace_.empty())
    throw std::invalid_argument("cannot make " + std::string(resource_traits<Owner>::kind) + " " +
                                object_key(owner.metadata) + " the owner of an object in namespace " +
                                object.metadata.namespace_ + ": owner references cannot cross namespaces");
  if (owner.metadata.uid.empty())
    throw std::invalid_argument("the owner " + object_key(owner.metadata) +
                                " has no uid yet: use the object the API server returned");
  auto reference = make_controller_reference(owner);
  auto& references = object.metadata.ownerReferences;
  if (const auto* current = find_controller_reference(object.metadata); current && current->uid != owner.metadata.uid)
    throw already_owned_error(object_key(object.metadata) + " is already controlled by " + current->kind + " " +
                              current->name);
  for (auto& existing : references) {
    if (existing.uid == reference.uid) {
      existing = std::move(reference);
      return;
    }
  }
  references.push_back(std::move(reference));
}

}  // namespace kopp
