#pragma once
// How a C++ type says which Kubernetes resource it is.
//
//   struct CronTab {
//       std::string apiVersion;
//       std::string kind;
//       kopp::ObjectMeta metadata;
//       CronTabSpec spec;
//       kopp::UnknownFields unknown_fields;
//   };
//   BOOST_DESCRIBE_STRUCT(CronTab, (), (apiVersion, kind, metadata, spec, unknown_fields))
//   KOPP_RESOURCE(CronTab, "stable.example.com", "v1", "CronTab", "crontabs", namespaced)
//
// KOPP_RESOURCE goes right after the struct, in the same namespace as the type (it
// declares a function found by argument-dependent lookup, so it works inside any user
// namespace). Alternatively specialise kopp::resource_traits<T> yourself, inside
// namespace kopp, with the same members as resource_info.

#include <compare>
#include <concepts>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>

namespace kopp {

struct ObjectMeta;

enum class scope { namespaced, cluster };

/// What KOPP_RESOURCE records about a type.
struct resource_info {
  std::string_view group;    // "" for the core group
  std::string_view version;  // "v1"
  std::string_view kind;     // "ConfigMap"
  std::string_view plural;   // "configmaps"
  kopp::scope scope;
};

namespace detail {
template <class K>
concept has_resource_info = requires {
  { kopp_resource_info(static_cast<K*>(nullptr)) } -> std::same_as<resource_info>;
};
}  // namespace detail

/// Specialise, or use KOPP_RESOURCE. Members: `group`, `version`, `kind`, `plural`
/// (std::string_view), `scope_v` (kopp::scope) and `namespaced` (bool).
template <class K>
struct resource_traits {};

template <detail::has_resource_info K>
struct resource_traits<K> {
 private:
  static constexpr resource_info info = kopp_resource_info(static_cast<K*>(nullptr));

 public:
  static constexpr std::string_view group = info.group;
  static constexpr std::string_view version = info.version;
  static constexpr std::string_view kind = info.kind;
  static constexpr std::string_view plural = info.plural;
  static constexpr kopp::scope scope_v = info.scope;
  static constexpr bool namespaced = scope_v == kopp::scope::namespaced;
};

namespace detail {
template <class K>
concept has_resource_traits = requires {
  { resource_traits<K>::group } -> std::convertible_to<std::string_view>;
  { resource_traits<K>::version } -> std::convertible_to<std::string_view>;
  { resource_traits<K>::kind } -> std::convertible_to<std::string_view>;
  { resource_traits<K>::plural } -> std::convertible_to<std::string_view>;
  { resource_traits<K>::scope_v } -> std::convertible_to<kopp::scope>;
};

template <class K>
concept has_object_meta = requires(K& k) {
  requires std::same_as<std::remove_cvref_t<decltype(k.metadata)>, ObjectMeta>;
};
}  // namespace detail

/// A Kubernetes object type: it has resource traits and a `metadata` member of type
/// kopp::ObjectMeta.
template <class K>
concept Resource = detail::has_resource_traits<K> && detail::has_object_meta<K>;

/// `apiVersion` for a group and version: "v1" for the core group, "apps/v1" otherwise.
[[nodiscard]] inline std::string api_version(std::string_view group, std::string_view version) {
  if (group.empty()) return std::string(version);
  std::string out;
  out.reserve(group.size() + 1 + version.size());
  out.append(group).append(1, '/').append(version);
  return out;
}

template <Resource K>
[[nodiscard]] std::string api_version() {
  return api_version(resource_traits<K>::group, resource_traits<K>::version);
}

struct GroupVersionKind {
  std::string group;
  std::string version;
  std::string kind;

  [[nodiscard]] std::string api_version() const { return kopp::api_version(group, version); }
  /// Splits an apiVersion: "apps/v1" -> group "apps", version "v1"; "v1" -> core group.
  [[nodiscard]] static GroupVersionKind from(std::string_view apiVersion, std::string_view kind) {
    GroupVersionKind gvk;
    const auto slash = apiVersion.rfind('/');
    if (slash == std::string_view::npos) {
      gvk.version = std::string(apiVersion);
    } else {
      gvk.group = std::string(apiVersion.substr(0, slash));
      gvk.version = std::string(apiVersion.substr(slash + 1));
    }
    gvk.kind = std::string(kind);
    return gvk;
  }
  /// As Go prints it: `apps/v1, Kind=Deployment`.
  [[nodiscard]] std::string to_string() const { return api_version() + ", Kind=" + kind; }

  friend bool operator==(const GroupVersionKind&, const GroupVersionKind&) = default;
  friend auto operator<=>(const GroupVersionKind&, const GroupVersionKind&) = default;
  friend std::ostream& operator<<(std::ostream& os, const GroupVersionKind& gvk) { return os << gvk.to_string(); }
};

/// The resource (plural name) a client addresses in URLs: /apis/{group}/{version}/{resource}.
struct GroupVersionResource {
  std::string group;
  std::string version;
  std::string resource;

  [[nodiscard]] std::string api_version() const { return kopp::api_version(group, version); }
  /// As Go prints it: `apps/v1, Resource=deployments`.
  [[nodiscard]] std::string to_string() const { return api_version() + ", Resource=" + resource; }

  friend bool operator==(const GroupVersionResource&, const GroupVersionResource&) = default;
  friend auto operator<=>(const GroupVersionResource&, const GroupVersionResource&) = default;
  friend std::ostream& operator<<(std::ostream& os, const GroupVersionResource& gvr) { return os << gvr.to_string(); }
};

template <Resource K>
[[nodiscard]] GroupVersionKind gvk_of() {
  using traits = resource_traits<K>;
  return {std::string(traits::group), std::string(traits::version), std::string(traits::kind)};
}

template <Resource K>
[[nodiscard]] GroupVersionResource gvr_of() {
  using traits = resource_traits<K>;
  return {std::string(traits::group), std::string(traits::version), std::string(traits::plural)};
}

template <Resource K>
[[nodiscard]] constexpr bool is_namespaced() noexcept {
  return resource_traits<K>::scope_v == kopp::scope::namespaced;
}

/// Fills `apiVersion` and `kind` from K's traits where they are empty (the API server
/// requires them in request bodies).
template <Resource K>
void set_type_meta(K& object) {
  if (object.apiVersion.empty()) object.apiVersion = api_version<K>();
  if (object.kind.empty()) object.kind = std::string(resource_traits<K>::kind);
}

}  // namespace kopp

/// Declares which Kubernetes resource `Type` is. Use at namespace scope, after the
/// struct, in the namespace that contains `Type`. `Scope` is `namespaced` or `cluster`.
/// A trailing semicolon is optional.
#define KOPP_RESOURCE(Type, Group, Version, Kind, Plural, Scope)                        \
  [[maybe_unused]] constexpr ::kopp::resource_info kopp_resource_info(Type*) noexcept { \
    return ::kopp::resource_info{Group, Version, Kind, Plural, ::kopp::scope::Scope};   \
  }
