#pragma once
// The built-in kinds' list and map types, as the API server's OpenAPI declares them, and
// their derivation from a CRD's schema.

#include <kopp/testing/detail/list_types.hpp>

#include <boost/json/object.hpp>
#include <boost/json/string.hpp>

#include <utility>

namespace kopp::testing::detail {

namespace list_types_detail {

inline ListType map_list(std::vector<std::string> keys, boost::json::object defaults = {}) {
  ListType type;
  type.type = ListType::kind::map;
  type.keys = std::move(keys);
  type.key_defaults = std::move(defaults);
  return type;
}

inline ListType set_list() {
  ListType type;
  type.type = ListType::kind::set;
  return type;
}

// ObjectMeta is part of every kind's schema, custom resources' too.
inline void add_object_meta(ListTypes& types, const std::string& prefix) {
  types.add_list(prefix + "metadata.finalizers", set_list());
  types.add_list(prefix + "metadata.ownerReferences", map_list({"uid"}));
  // OwnerReference is an atomic struct: an element is owned whole.
  types.add_atomic_map(prefix + "metadata.ownerReferences");
}

inline void add_container(ListTypes& types, const std::string& path) {
  types.add_list(path, map_list({"name"}));
  types.add_list(path + ".ports", map_list({"containerPort", "protocol"}, {{"protocol", "TCP"}}));
  types.add_list(path + ".env", map_list({"name"}));
  types.add_list(path + ".volumeMounts", map_list({"mountPath"}));
  types.add_list(path + ".volumeDevices", map_list({"devicePath"}));
  types.add_list(path + ".resources.claims", map_list({"name"}));
  // Key selectors are atomic structs.
  for (const char* selector : {"configMapKeyRef", "secretKeyRef", "fieldRef", "resourceFieldRef"}) {
    types.add_atomic_map(path + ".env.valueFrom." + selector);
  }
}

// A PodTemplateSpec (or a Pod when prefix is "") at `prefix`.
inline void add_pod(ListTypes& types, const std::string& prefix) {
  add_object_meta(types, prefix);
  const std::string spec = prefix + "spec.";
  add_container(types, spec + "containers");
  add_container(types, spec + "initContainers");
  add_container(types, spec + "ephemeralContainers");
  types.add_list(spec + "volumes", map_list({"name"}));
  types.add_list(spec + "imagePullSecrets", map_list({"name"}));
  types.add_atomic_map(spec + "imagePullSecrets");
  types.add_list(spec + "hostAliases", map_list({"ip"}));
  types.add_list(spec + "topologySpreadConstraints", map_list({"topologyKey", "whenUnsatisfiable"}));
  types.add_list(spec + "resourceClaims", map_list({"name"}));
  types.add_list(spec + "schedulingGates", map_list({"name"}));
}

inline void walk_schema(ListTypes& types, const boost::json::value& schema, const std::string& path) {
  const auto* node = schema.if_object();
  if (!node) return;
  auto text = [&](const boost::json::object& object, const char* key) -> std::string {
    const auto* value = object.if_contains(key);
    return value && value->is_string() ? std::string(value->get_string()) : std::string();
  };
  if (text(*node, "x-kubernetes-map-type") == "atomic") types.add_atomic_map(path);
  if (const auto* properties = node->if_contains("properties"); properties && properties->is_object()) {
    for (const auto& [name, property] : properties->get_object()) {
      walk_schema(types, property, path.empty() ? std::string(name) : path + "." + std::string(name));
    }
  }
  const auto* items = node->if_contains("items");
  if (!items) return;
  const std::string list_type = text(*node, "x-kubernetes-list-type");
  if (list_type == "set") {
    types.add_list(path, set_list());
  } else if (list_type == "map") {
    ListType type = map_list({});
    if (const auto* keys = node->if_contains("x-kubernetes-list-map-keys"); keys && keys->is_array()) {
      for (const auto& key : keys->get_array()) {
        if (key.is_string()) type.keys.emplace_back(key.get_string());
      }
    }
    // A key field's schema default identifies an element that omits it.
    if (const auto* item_properties = items->is_object() ? items->get_object().if_contains("properties") : nullptr;
        item_properties && item_properties->is_object()) {
      for (const auto& key : type.keys) {
        const auto* key_schema = item_properties->get_object().if_contains(key);
        if (key_schema && key_schema->is_object()) {
          if (const auto* fallback = key_schema->get_object().if_contains("default"))
            type.key_defaults[key] = *fallback;
        }
      }
    }
    types.add_list(path, std::move(type));
  }
  // Elements share their list's path.
  walk_schema(types, *items, path);
}

}  // namespace list_types_detail

inline ListTypes ListTypes::builtin(std::string_view api_version, std::string_view kind) {
  using namespace list_types_detail;
  ListTypes types;
  add_object_meta(types, "");
  const auto conditions_by_type = [&types](const std::string& path) { types.add_list(path, map_list({"type"})); };
  if (api_version == "v1" && kind == "Pod") {
    add_pod(types, "");
    conditions_by_type("status.conditions");
  } else if (api_version == "v1" && kind == "Service") {
    types.add_list("spec.ports", map_list({"port", "protocol"}, {{"protocol", "TCP"}}));
    conditions_by_type("status.conditions");
  } else if (api_version == "v1" && (kind == "PodTemplate")) {
    add_pod(types, "template.");
  } else if (api_version == "v1" && kind == "ReplicationController") {
    add_pod(types, "spec.template.");
  } else if (api_version == "apps/v1" &&
             (kind == "Deployment" || kind == "StatefulSet" || kind == "DaemonSet" || kind == "ReplicaSet")) {
    add_pod(types, "spec.template.");
    types.add_atomic_map("spec.selector");  // LabelSelector is an atomic struct
    conditions_by_type("status.conditions");
  } else if (api_version == "batch/v1" && kind == "Job") {
    add_pod(types, "spec.template.");
    types.add_atomic_map("spec.selector");
    // Job's status.conditions is declared atomic: no entry.
  } else if (api_version == "batch/v1" && kind == "CronJob") {
    add_pod(types, "spec.jobTemplate.spec.template.");
    add_object_meta(types, "spec.jobTemplate.");
    types.add_atomic_map("spec.jobTemplate.spec.selector");
  }
  // ConfigMap, Secret, coordination.k8s.io/v1 Lease, Namespace, ...: no lists beyond metadata.
  return types;
}

inline ListTypes ListTypes::from_openapi_schema(const boost::json::value& schema) {
  ListTypes types;
  list_types_detail::add_object_meta(types, "");
  list_types_detail::walk_schema(types, schema, "");
  return types;
}

inline const ListType* ListTypes::list_at(std::string_view path) const {
  const auto found = lists_.find(path);
  return found == lists_.end() ? nullptr : &found->second;
}

inline bool ListTypes::atomic_map_at(std::string_view path) const {
  return atomic_maps_.find(path) != atomic_maps_.end();
}

}  // namespace kopp::testing::detail
