#pragma once
// ObjectKey (namespace/name) and object_key(meta), the text form the cache and the
// workqueue key objects by.

#include <kopp/core/object_meta.hpp>

#include <functional>
#include <string>
#include <string_view>

namespace kopp {

/// namespace/name of an object: what a reconcile is about, and (as text) the key of the
/// cache and the workqueue.
struct ObjectKey {
  ObjectKey() = default;
  ObjectKey(std::string ns, std::string n) : namespace_(std::move(ns)), name(std::move(n)) {}
  std::string namespace_;
  std::string name;
  /// "ns/name", or "name" for cluster-scoped objects (the cache's key).
  std::string to_string() const { return namespace_.empty() ? name : namespace_ + "/" + name; }
  static ObjectKey parse(std::string_view key) {
    const auto slash = key.find('/');
    if (slash == std::string_view::npos) return ObjectKey({}, std::string(key));
    return ObjectKey(std::string(key.substr(0, slash)), std::string(key.substr(slash + 1)));
  }
  bool operator==(const ObjectKey&) const = default;
};

/// The cache and workqueue key of an object: "namespace/name", or "name" when it has no
/// namespace (cluster-scoped).
[[nodiscard]] inline std::string object_key(const ObjectMeta& meta) {
  if (meta.namespace_.empty()) return meta.name;
  std::string key;
  key.reserve(meta.namespace_.size() + 1 + meta.name.size());
  key.append(meta.namespace_).append(1, '/').append(meta.name);
  return key;
}

}  // namespace kopp

template <>
struct std::hash<kopp::ObjectKey> {
  std::size_t operator()(const kopp::ObjectKey& k) const noexcept {
    return std::hash<std::string>{}(k.namespace_) * 31 + std::hash<std::string>{}(k.name);
  }
};
