#pragma once
// Predicates filter the events that wake a controller (controller-runtime's predicate
// package). A predicate returning false for an event means the event enqueues nothing.

#include <kopp/core/object_meta.hpp>

#include <algorithm>
#include <functional>
#include <memory>
#include <vector>

namespace kopp {

template <class K>
struct Predicate {
  using object_ptr = std::shared_ptr<const K>;
  Predicate() = default;
  std::function<bool(const object_ptr&)> create = [](const object_ptr&) { return true; };
  std::function<bool(const object_ptr& old, const object_ptr& now)> update = [](const object_ptr&, const object_ptr&) {
    return true;
  };
  std::function<bool(const object_ptr&)> remove = [](const object_ptr&) { return true; };
};

namespace predicates {

/// Updates pass only when metadata.generation changed: spec changes, not status or
/// metadata writes (most often the controller's own status updates).
template <class K>
Predicate<K> generation_changed() {
  Predicate<K> p;
  p.update = [](const auto& old, const auto& now) { return old->metadata.generation != now->metadata.generation; };
  return p;
}

template <class K>
Predicate<K> resource_version_changed() {
  Predicate<K> p;
  p.update = [](const auto& old, const auto& now) {
    return old->metadata.resourceVersion != now->metadata.resourceVersion;
  };
  return p;
}

template <class K>
Predicate<K> labels_changed() {
  Predicate<K> p;
  p.update = [](const auto& old, const auto& now) { return old->metadata.labels != now->metadata.labels; };
  return p;
}

template <class K>
Predicate<K> annotations_changed() {
  Predicate<K> p;
  p.update = [](const auto& old, const auto& now) { return old->metadata.annotations != now->metadata.annotations; };
  return p;
}

/// Passes when any of the predicates passes (controller-runtime's predicate.Or).
template <class K>
Predicate<K> any_of(std::vector<Predicate<K>> ps) {
  Predicate<K> p;
  p.create = [ps](const auto& o) { return std::any_of(ps.begin(), ps.end(), [&](auto& q) { return q.create(o); }); };
  p.update = [ps](const auto& a, const auto& b) {
    return std::any_of(ps.begin(), ps.end(), [&](auto& q) { return q.update(a, b); });
  };
  p.remove = [ps](const auto& o) { return std::any_of(ps.begin(), ps.end(), [&](auto& q) { return q.remove(o); }); };
  return p;
}

/// Passes an update only for objects whose custom test says so (e.g. a field changed).
template <class K>
Predicate<K> on_update(std::function<bool(const std::shared_ptr<const K>&, const std::shared_ptr<const K>&)> f) {
  Predicate<K> p;
  p.update = std::move(f);
  return p;
}

}  // namespace predicates
}  // namespace kopp
