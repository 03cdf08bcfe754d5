#pragma once
// Strategic merge patch, following k8s.io/apimachinery/pkg/util/strategicpatch as the
// apiserver runs it (StrategicMergeMapPatch) and the statuses its patch handler gives:
// 400 for the directive formats it checks (interpretStrategicMergePatchError), 422 for lists
// of lists, and 500 with no reason for the errors it passes through untyped (a list element
// without its merge key, an unknown $patch value), as kubectl's "Error from server: map: ...
// does not contain declared merge key" shows. The fake's messages add the field path.

#include <kopp/testing/detail/json_patch.hpp>  // json_patch_detail::json_equal

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kopp::testing::detail {
namespace smp_detail {

/// A field's patchStrategy: a list merged (by merge_key, or as a set of scalars when it is
/// empty), or a map replaced whole (patchStrategy:"replace").
struct FieldStrategy {
  bool replace_map = false;
  std::string merge_key;
};
using Strategies = std::map<std::string, FieldStrategy, std::less<>>;

inline void add_container_fields(Strategies& table, const std::string& containers) {
  table[containers] = {false, "name"};
  table[containers + ".ports"] = {false, "containerPort"};
  table[containers + ".env"] = {false, "name"};
  table[containers + ".volumeMounts"] = {false, "mountPath"};
  table[containers + ".volumeDevices"] = {false, "devicePath"};
}

inline void add_pod_spec(Strategies& table, const std::string& spec) {
  add_container_fields(table, spec + ".containers");
  add_container_fields(table, spec + ".initContainers");
  add_container_fields(table, spec + ".ephemeralContainers");
  table[spec + ".volumes"] = {false, "name"};
  table[spec + ".imagePullSecrets"] = {false, "name"};
  table[spec + ".hostAliases"] = {false, "ip"};
  table[spec + ".topologySpreadConstraints"] = {false, "topologyKey"};
  table[spec + ".schedulingGates"] = {false, "name"};
  table[spec + ".resourceClaims"] = {false, "name"};
}

inline void add_conditions(Strategies& table) { table["status.conditions"] = {false, "type"}; }

/// The patch strategies of a built-in kind (from the patchStrategy/patchMergeKey tags of
/// k8s.io/api); nullopt for a kind the fake does not know as built-in.
inline std::optional<Strategies> strategies_for(std::string_view api_version, std::string_view kind) {
  Strategies table;
  table["metadata.finalizers"] = {false, ""};
  table["metadata.ownerReferences"] = {false, "uid"};
  const auto is = [&](std::string_view version, std::initializer_list<std::string_view> kinds) {
    return api_version == version && std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
  };
  if (is("v1", {"Pod"})) {
    add_pod_spec(table, "spec");
    add_conditions(table);
    table["status.podIPs"] = {false, "ip"};
    table["status.hostIPs"] = {false, "ip"};
    table["status.resourceClaimStatuses"] = {false, "name"};
  } else if (is("v1", {"PodTemplate"})) {
    add_pod_spec(table, "template.spec");
  } else if (is("v1", {"ReplicationController"}) ||
             is("apps/v1", {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"}) || is("batch/v1", {"Job"})) {
    add_pod_spec(table, "spec.template.spec");
    add_conditions(table);
  } else if (is("batch/v1", {"CronJob"})) {
    add_pod_spec(table, "spec.jobTemplate.spec.template.spec");
  } else if (is("v1", {"Service"})) {
    table["spec.ports"] = {false, "port"};
    add_conditions(table);
  } else if (is("v1", {"Node"})) {
    table["spec.podCIDRs"] = {false, ""};
    add_conditions(table);
    table["status.addresses"] = {false, "type"};
  } else if (is("v1", {"Namespace", "PersistentVolumeClaim", "ComponentStatus"}) ||
             is("networking.k8s.io/v1", {"ServiceCIDR"}) || is("autoscaling/v2", {"HorizontalPodAutoscaler"})) {
    add_conditions(table);
    if (kind == "ComponentStatus") table["conditions"] = {false, "type"};
  } else if (is("v1", {"ServiceAccount"})) {
    table["secrets"] = {false, "name"};
  } else if (is("policy/v1", {"PodDisruptionBudget"})) {
    table["spec.selector"] = {true, ""};
    add_conditions(table);
  } else if (!is("v1", {"ConfigMap", "Secret", "Endpoints", "Event", "LimitRange", "PersistentVolume", "ResourceQuota",
                        "Binding"}) &&
             !is("apps/v1", {"ControllerRevision"}) && !is("coordination.k8s.io/v1", {"Lease"}) &&
             !is("events.k8s.io/v1", {"Event"}) &&
             !is("networking.k8s.io/v1", {"Ingress", "IngressClass", "NetworkPolicy", "IPAddress"}) &&
             !is("rbac.authorization.k8s.io/v1", {"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"}) &&
             !is("apiextensions.k8s.io/v1", {"CustomResourceDefinition"})) {
    return std::nullopt;
  }
  return table;
}

inline constexpr std::string_view patch_directive = "$patch";
inline constexpr std::string_view retain_keys_directive = "$retainKeys";
inline constexpr std::string_view delete_from_primitive_list_prefix = "$deleteFromPrimitiveList";
inline constexpr std::string_view set_element_order_prefix = "$setElementOrder";

/// Where the merge is: `schema` is the field path without list positions (the table's key),
/// `display` the path with them, for messages.
struct FieldPath {
  std::string schema;
  std::string display;

  FieldPath member(std::string_view name) const {
    return {schema.empty() ? std::string(name) : schema + "." + std::string(name),
            display.empty() ? std::string(name) : display + "." + std::string(name)};
  }
  FieldPath element(std::size_t index) const { return {schema, display + "[" + std::to_string(index) + "]"}; }
  std::string where() const { return display.empty() ? "the object's top level" : display; }
};

[[noreturn]] inline void bad_request(std::string_view what, const FieldPath& path) {
  throw PatchError(400, "BadRequest", std::string(what) + " at " + path.where());
}
/// The apiserver passes these errors through untyped: 500 with no reason.
[[noreturn]] inline void untyped_error(const std::string& what, const FieldPath& path) {
  throw PatchError(500, "", what + " (at " + path.where() + ")");
}

inline bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

/// A patch value taken as is: nulls are dropped (IgnoreUnmatchedNulls) and directive keys
/// removed (the typed decoding drops them); with `drop_directive_maps`, maps that carry a
/// $patch are left out entirely, as strategicpatch's removeDirectives does.
inline std::optional<boost::json::value> clean(const boost::json::value& value, bool drop_directive_maps) {
  if (const auto* object = value.if_object()) {
    if (drop_directive_maps && object->contains(patch_directive)) return std::nullopt;
    boost::json::object result;
    for (const auto& member : *object) {
      if (member.value().is_null() || starts_with(member.key(), "$")) continue;
      if (auto cleaned = clean(member.value(), drop_directive_maps)) result[member.key()] = std::move(*cleaned);
    }
    return boost::json::value(std::move(result));
  }
  if (const auto* array = value.if_array()) {
    boost::json::array result;
    for (const auto& element : *array) {
      if (auto cleaned = clean(element, drop_directive_maps)) result.push_back(std::move(*cleaned));
    }
    return boost::json::value(std::move(result));
  }
  return value;
}

class Merger {
 public:
  explicit Merger(Strategies strategies) : strategies_(std::move(strategies)) {}

  void merge_object(boost::json::value& target, const boost::json::object& patch, const FieldPath& path) const;

 private:
  const FieldStrategy* strategy_at(const std::string& schema) const {
    auto found = strategies_.find(schema);
    return found == strategies_.end() ? nullptr : &found->second;
  }
  void merge_list(boost::json::value& target, const boost::json::array& patch, const FieldStrategy& strategy,
                  bool delete_list, const FieldPath& path) const;

  Strategies strategies_;
};

inline std::string extract_key(std::string_view key, std::string_view prefix, std::string_view error,
                               const FieldPath& path) {
  if (key.size() <= prefix.size() + 1 || key[prefix.size()] != '/') bad_request(error, path);
  return std::string(key.substr(prefix.size() + 1));
}

inline void Merger::merge_object(boost::json::value& target, const boost::json::object& patch,
                                 const FieldPath& path) const {
  if (const auto* directive = patch.if_contains(patch_directive)) {
    if (directive->is_string() && directive->get_string() == "replace") {
      target = *clean(boost::json::value(patch), false);
      return;
    }
    if (directive->is_string() && directive->get_string() == "delete") {
      target = boost::json::object();
      return;
    }
    untyped_error(
        "unknown patch type: " + boost::json::serialize(*directive) + " in map: " + boost::json::serialize(patch),
        path);
  }
  if (!target.is_object()) target = boost::json::object();
  auto& original = target.get_object();

  if (const auto* retain = patch.if_contains(retain_keys_directive)) {
    constexpr std::string_view error = "invalid patch format of retainKeys";
    if (!retain->is_array()) bad_request(error, path);
    std::set<std::string, std::less<>> retained;
    for (const auto& key : retain->get_array()) {
      if (key.is_string()) retained.insert(std::string(key.get_string()));
    }
    for (const auto& member : patch) {
      const auto key = std::string_view(member.key());
      if (member.value().is_null() || key == retain_keys_directive ||
          starts_with(key, delete_from_primitive_list_prefix) || starts_with(key, set_element_order_prefix)) {
        continue;
      }
      if (!retained.contains(key))
        bad_request(std::string(error) + " (\"" + std::string(key) + "\" is not retained)", path);
    }
    for (auto it = original.begin(); it != original.end();) {
      it = retained.contains(std::string_view(it->key())) ? std::next(it) : original.erase(it);
    }
  }

  for (const auto& member : patch) {
    std::string key(member.key());
    if (starts_with(key, set_element_order_prefix)) {
      throw PatchError(501, "NotImplemented",
                       "the fake API server does not model the strategic merge patch directive " + key + " (at " +
                           path.where() + ")");
    }
  }

  for (const auto& member : patch) {
    std::string key(member.key());
    bool delete_list = false;
    if (starts_with(key, delete_from_primitive_list_prefix)) {
      key = extract_key(key, delete_from_primitive_list_prefix, "invalid patch format of primitive list", path);
      delete_list = true;
    } else if (starts_with(key, "$")) {
      continue;  // $retainKeys (done above) or a field the typed decoding drops
    }
    const boost::json::value& value = member.value();
    const FieldPath child = path.member(key);
    if (value.is_null()) {
      original.erase(key);
      continue;
    }
    auto found = original.find(key);
    const bool same_kind = found != original.end() && (found->value().is_object() == value.is_object()) &&
                           (found->value().is_array() == value.is_array());
    if (found == original.end() || !same_kind) {
      if (delete_list) continue;
      if (auto cleaned = clean(value, true)) {
        original[key] = std::move(*cleaned);
      } else {
        original.erase(key);
      }
      continue;
    }
    boost::json::value& current = found->value();
    const FieldStrategy* strategy = strategy_at(child.schema);
    if (value.is_object()) {
      if (strategy != nullptr && strategy->replace_map) {
        current = *clean(value, false);
      } else {
        merge_object(current, value.get_object(), child);
      }
    } else if (value.is_array()) {
      if (strategy != nullptr || delete_list) {
        merge_list(current, value.get_array(), strategy != nullptr ? *strategy : FieldStrategy{}, delete_list, child);
      } else {
        current = *clean(value, false);
      }
    } else {
      current = value;
    }
  }
}

/// The value a list element is identified by: itself for scalars, its merge key's value for
/// maps (nullptr when it has none).
inline const boost::json::value* identity(const boost::json::value& element, const std::string& merge_key) {
  if (merge_key.empty()) return &element;
  const auto* object = element.if_object();
  return object != nullptr ? object->if_contains(merge_key) : nullptr;
}

inline std::ptrdiff_t position_in(const boost::json::array& list, const boost::json::value& element,
                                  const std::string& merge_key) {
  const auto* wanted = identity(element, merge_key);
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto* candidate = identity(list[i], merge_key);
    if (wanted != nullptr && candidate != nullptr && json_patch_detail::json_equal(*wanted, *candidate)) {
      return static_cast<std::ptrdiff_t>(i);
    }
  }
  return -1;
}

/// strategicpatch's order: the patch's elements in the patch's order, the server-only ones in
/// the live order, interleaved where the live order places a server-only element before a
/// patch element (so a new element comes first, as the kubectl patch documentation shows).
inline boost::json::array ordered(const boost::json::array& merged, const boost::json::array& patch_order,
                                  const boost::json::array& server_order, const std::string& merge_key) {
  std::vector<boost::json::value> from_patch;
  std::vector<boost::json::value> server_only;
  for (const auto& element : merged) {
    (position_in(patch_order, element, merge_key) >= 0 ? from_patch : server_only).push_back(element);
  }
  const auto sort_by = [&](std::vector<boost::json::value>& items, const boost::json::array& order) {
    std::stable_sort(items.begin(), items.end(), [&](const auto& left, const auto& right) {
      const auto l = position_in(order, left, merge_key);
      const auto r = position_in(order, right, merge_key);
      return l >= 0 && r >= 0 && l < r;
    });
  };
  sort_by(from_patch, patch_order);
  sort_by(server_only, server_order);
  boost::json::array result;
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < server_only.size() || j < from_patch.size()) {
    bool take_server = j >= from_patch.size();
    if (!take_server && i < server_only.size()) {
      const auto l = position_in(server_order, server_only[i], merge_key);
      const auto r = position_in(server_order, from_patch[j], merge_key);
      take_server = l >= 0 && r >= 0 && l < r;
    }
    result.push_back(take_server ? server_only[i++] : from_patch[j++]);
  }
  return result;
}

inline void Merger::merge_list(boost::json::value& target, const boost::json::array& patch,
                               const FieldStrategy& strategy, bool delete_list, const FieldPath& path) const {
  boost::json::array original = target.get_array();
  if (original.empty() && patch.empty()) return;
  // Every element of both lists must be of one kind, and not a list.
  const boost::json::value& first = original.empty() ? patch.front() : original.front();
  const auto kind_class = [](const boost::json::value& v) {
    return v.is_number() ? boost::json::kind::double_ : v.kind();
  };
  if (first.is_array()) {
    throw PatchError(422, "Invalid",
                     std::string(json_patch_detail::rejected_message) + ": lists of lists are not supported (at " +
                         path.where() + ")");
  }
  for (const boost::json::array* list : {static_cast<const boost::json::array*>(&original), &patch}) {
    for (const auto& element : *list) {
      if (kind_class(element) != kind_class(first)) untyped_error("list element types are not identical", path);
    }
  }
  const std::string& merge_key = strategy.merge_key;
  if (!first.is_object()) {
    if (delete_list) {
      boost::json::array kept;
      for (const auto& element : original) {
        if (position_in(patch, element, "") < 0) kept.push_back(element);
      }
      target = std::move(kept);
      return;
    }
    boost::json::array merged;
    for (const boost::json::array* list : {static_cast<const boost::json::array*>(&original), &patch}) {
      for (const auto& element : *list) {
        if (position_in(merged, element, "") < 0) merged.push_back(element);
      }
    }
    target = ordered(merged, patch, original, "");
    return;
  }
  if (merge_key.empty()) untyped_error("cannot merge lists without merge key for " + path.display, path);
  const auto no_merge_key = [&](const boost::json::value& element) {
    untyped_error("map: " + boost::json::serialize(element) + " does not contain declared merge key: " + merge_key,
                  path);
  };
  boost::json::array rest;
  bool replace = false;
  for (const auto& element : patch) {
    const auto* directive = element.get_object().if_contains(patch_directive);
    if (directive == nullptr) {
      rest.push_back(element);
    } else if (directive->is_string() && directive->get_string() == "delete") {
      const auto* key = identity(element, merge_key);
      if (key == nullptr) no_merge_key(element);
      boost::json::array kept;
      for (const auto& existing : original) {
        const auto* existing_key = identity(existing, merge_key);
        if (existing_key == nullptr || !json_patch_detail::json_equal(*existing_key, *key)) kept.push_back(existing);
      }
      original = std::move(kept);
    } else if (directive->is_string() && directive->get_string() == "replace") {
      replace = true;
    } else if (directive->is_string() && directive->get_string() == "merge") {
      untyped_error("merging lists cannot yet be specified in the patch", path);
    } else {
      untyped_error(
          "unknown patch type: " + boost::json::serialize(*directive) + " in map: " + boost::json::serialize(element),
          path);
    }
  }
  if (replace) {
    boost::json::array replacement;
    for (const auto& element : rest) replacement.push_back(*clean(element, false));
    target = std::move(replacement);
    return;
  }
  boost::json::array merged = original;
  for (std::size_t index = 0; index < rest.size(); ++index) {
    const auto& element = rest[index];
    if (identity(element, merge_key) == nullptr) no_merge_key(element);
    const auto at = position_in(merged, element, merge_key);
    if (at >= 0) {
      merge_object(merged[static_cast<std::size_t>(at)], element.get_object(), path.element(index));
    } else {
      merged.push_back(*clean(element, false));
    }
  }
  for (const auto& element : merged) {
    if (identity(element, merge_key) == nullptr) no_merge_key(element);
  }
  target = ordered(merged, rest, original, merge_key);
}

}  // namespace smp_detail

inline bool has_strategic_merge_strategy(std::string_view api_version, std::string_view kind) {
  return smp_detail::strategies_for(api_version, kind).has_value();
}

inline boost::json::value apply_strategic_merge_patch(const boost::json::value& document,
                                                      const boost::json::value& patch, std::string_view api_version,
                                                      std::string_view kind) {
  auto strategies = smp_detail::strategies_for(api_version, kind);
  if (!strategies) {
    // What the apiextensions-apiserver answers: its patch handler does not list the type.
    throw PatchError(415, "UnsupportedMediaType",
                     "the body of the request was in an unknown format - accepted media types include: "
                     "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml "
                     "(strategic merge patch format is not supported for " +
                         std::string(api_version) + ", Kind=" + std::string(kind) + ")");
  }
  if (patch.is_null()) return document;  // decodes as an empty map: nothing changes
  if (!patch.is_object()) {
    throw PatchError(400, "BadRequest",
                     "json: cannot unmarshal " + std::string(json_patch_detail::go_kind_name(patch)) +
                         " into Go value of type map[string]interface {}");
  }
  boost::json::value result = document;
  smp_detail::Merger(std::move(*strategies)).merge_object(result, patch.get_object(), {});
  return result;
}

}  // namespace kopp::testing::detail
