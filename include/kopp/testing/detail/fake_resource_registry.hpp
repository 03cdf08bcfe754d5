#pragma once
// The resources the fake API server serves: the built-in kinds it models and the custom
// resources of the CustomResourceDefinitions created in it, with what their REST storage
// does differently (scope, subresources, whether the server tracks metadata.generation,
// what DELETE answers, ...), and the discovery documents (/api, /apis, a group/version's
// APIResourceList) built from them.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kopp::testing::detail {

/// Which rule metadata.name must follow (apimachinery's name validators per kind).
enum class NameRule { dns1123_subdomain, dns1123_label, dns1035_label };

struct ScaleSubresource {
  std::string spec_replicas_path = ".spec.replicas";
  std::string status_replicas_path = ".status.replicas";
  std::string label_selector_path;  ///< "" when none: Scale's status.selector stays empty
  /// Built-in kinds build status.selector from spec.selector (a metav1.LabelSelector); a
  /// custom resource reads a string at label_selector_path.
  bool selector_from_spec = false;
};

struct ResourceInfo {
  std::string group;     ///< "" for the core group
  std::string version;   ///< "v1"
  std::string resource;  ///< the plural: "configmaps"
  std::string kind;      ///< "ConfigMap"
  std::string singular;
  std::string list_kind;
  bool namespaced = true;
  std::vector<std::string> short_names;
  std::vector<std::string> categories;
  bool status_subresource = false;
  std::optional<ScaleSubresource> scale;
  bool custom = false;  ///< served for a CustomResourceDefinition
  /// The kind's strategy sets metadata.generation (apps, batch, pods, CRDs, custom resources).
  bool tracks_generation = false;
  /// Deployments also bump generation when annotations change (they are copied to ReplicaSets).
  bool annotations_bump_generation = false;
  /// DELETE answers the deleted object (else a Status Success naming it), as the kind's
  /// REST storage's ReturnDeletedObject says.
  bool returns_deleted_object = false;
  /// PUT of a missing object creates it (events, endpoints, leases).
  bool create_on_update = false;
  /// PUT without metadata.resourceVersion is allowed (custom resources and CRDs refuse it).
  bool unconditional_update = true;
  NameRule name_rule = NameRule::dns1123_subdomain;
  /// The CRD's storage version (the version whose objects are stored); "" for built-ins.
  std::string storage_version;
  /// For custom resources: the version's schema.openAPIV3Schema (list types for apply).
  boost::json::value schema;

  std::string api_version() const { return group.empty() ? version : group + "/" + version; }
  /// What identifies the resource's objects whatever version serves them.
  std::string storage_key() const { return group + "/" + resource; }
};

/// Kubernetes' version priority: GA before beta before alpha, a higher major first, then a
/// higher minor; versions that are not of the form v<N>[alpha|beta<M>] last, by name.
inline bool version_has_priority(std::string_view a, std::string_view b) {
  struct Parsed {
    int level = -1;  // 2 GA, 1 beta, 0 alpha, -1 not kube-like
    long major = 0;
    long minor = 0;
  };
  auto parse = [](std::string_view v) {
    Parsed p;
    if (v.size() < 2 || v[0] != 'v' || !std::isdigit(static_cast<unsigned char>(v[1]))) return p;
    std::size_t i = 1;
    while (i < v.size() && std::isdigit(static_cast<unsigned char>(v[i]))) p.major = p.major * 10 + (v[i++] - '0');
    if (i == v.size()) {
      p.level = 2;
      return p;
    }
    std::string_view rest = v.substr(i);
    int level = rest.rfind("beta", 0) == 0 ? 1 : rest.rfind("alpha", 0) == 0 ? 0 : -1;
    if (level < 0) return p;
    std::size_t j = level == 1 ? 4 : 5;
    if (j == rest.size()) return p;
    long minor = 0;
    for (; j < rest.size(); ++j) {
      if (!std::isdigit(static_cast<unsigned char>(rest[j]))) return p;
      minor = minor * 10 + (rest[j] - '0');
    }
    p.level = level;
    p.minor = minor;
    return p;
  };
  const Parsed pa = parse(a), pb = parse(b);
  if (pa.level != pb.level) return pa.level > pb.level;
  if (pa.level < 0) return a < b;
  if (pa.major != pb.major) return pa.major > pb.major;
  return pa.minor > pb.minor;
}

class ResourceRegistry {
 public:
  ResourceRegistry() { add_builtins(); }

  /// The resource `plural` of group/version, or nullptr.
  const ResourceInfo* find(std::string_view group, std::string_view version, std::string_view plural) const {
    for (const ResourceInfo& r : resources_)
      if (r.group == group && r.version == version && r.resource == plural) return &r;
    return nullptr;
  }

  const ResourceInfo* find_kind(std::string_view api_version, std::string_view kind) const {
    for (const ResourceInfo& r : resources_)
      if (r.api_version() == api_version && r.kind == kind) return &r;
    return nullptr;
  }

  /// Any served version of group/plural (the first registered): what a storage key names.
  const ResourceInfo* find_storage(std::string_view storage_key) const {
    for (const ResourceInfo& r : resources_)
      if (r.storage_key() == storage_key) return &r;
    return nullptr;
  }

  bool serves_group_version(std::string_view group, std::string_view version) const {
    return std::any_of(resources_.begin(), resources_.end(),
                       [&](const ResourceInfo& r) { return r.group == group && r.version == version; });
  }

  void add(ResourceInfo info) {
    remove(info.group, info.version, info.resource);
    resources_.push_back(std::move(info));
  }

  void remove(std::string_view group, std::string_view version, std::string_view plural) {
    std::erase_if(resources_, [&](const ResourceInfo& r) {
      return r.group == group && r.version == version && r.resource == plural;
    });
  }

  /// Removes every version of a custom resource (its CRD is gone or changed).
  void remove_custom(std::string_view group, std::string_view plural) {
    std::erase_if(resources_,
                  [&](const ResourceInfo& r) { return r.custom && r.group == group && r.resource == plural; });
  }

  /// GET /api
  boost::json::object core_versions() const {
    boost::json::object doc;
    doc["kind"] = "APIVersions";
    doc["versions"] = boost::json::array{"v1"};
    return doc;
  }

  /// The versions of `group`, preferred (highest priority) first.
  std::vector<std::string> versions_of(std::string_view group) const {
    std::vector<std::string> versions;
    for (const ResourceInfo& r : resources_)
      if (r.group == group && std::find(versions.begin(), versions.end(), r.version) == versions.end())
        versions.push_back(r.version);
    std::stable_sort(versions.begin(), versions.end(), version_has_priority);
    return versions;
  }

  /// GET /apis/<group>, or nullopt when no version of it is served.
  std::optional<boost::json::object> group_document(std::string_view group) const {
    const std::vector<std::string> versions = versions_of(group);
    if (group.empty() || versions.empty()) return std::nullopt;
    boost::json::object doc;
    doc["kind"] = "APIGroup";
    doc["apiVersion"] = "v1";
    fill_group(doc, group, versions);
    return doc;
  }

  /// GET /apis: built-in groups in the order the server registers them, then custom groups.
  boost::json::object group_list() const {
    std::vector<std::string> groups;
    for (const ResourceInfo& r : resources_)
      if (!r.group.empty() && std::find(groups.begin(), groups.end(), r.group) == groups.end())
        groups.push_back(r.group);
    boost::json::array items;
    for (const std::string& group : groups) {
      boost::json::object entry;
      fill_group(entry, group, versions_of(group));
      items.push_back(std::move(entry));
    }
    boost::json::object doc;
    doc["kind"] = "APIGroupList";
    doc["apiVersion"] = "v1";
    doc["groups"] = std::move(items);
    return doc;
  }

  /// GET /api/v1 or /apis/<group>/<version>, or nullopt when not served.
  std::optional<boost::json::object> resource_list(std::string_view group, std::string_view version) const {
    if (!serves_group_version(group, version)) return std::nullopt;
    static const boost::json::array all_verbs{"create", "delete", "deletecollection", "get",
                                              "list",   "patch",  "update",           "watch"};
    static const boost::json::array sub_verbs{"get", "patch", "update"};
    boost::json::array resources;
    for (const ResourceInfo& r : resources_) {
      if (r.group != group || r.version != version) continue;
      boost::json::object entry;
      entry["name"] = r.resource;
      entry["singularName"] = r.singular;
      entry["namespaced"] = r.namespaced;
      entry["kind"] = r.kind;
      entry["verbs"] = all_verbs;
      if (!r.short_names.empty()) entry["shortNames"] = to_array(r.short_names);
      if (!r.categories.empty()) entry["categories"] = to_array(r.categories);
      resources.push_back(std::move(entry));
      if (r.status_subresource) {
        boost::json::object status;
        status["name"] = r.resource + "/status";
        status["singularName"] = "";
        status["namespaced"] = r.namespaced;
        status["kind"] = r.kind;
        status["verbs"] = sub_verbs;
        resources.push_back(std::move(status));
      }
      if (r.scale) {
        boost::json::object scale;
        scale["name"] = r.resource + "/scale";
        scale["singularName"] = "";
        scale["namespaced"] = r.namespaced;
        scale["group"] = "autoscaling";
        scale["version"] = "v1";
        scale["kind"] = "Scale";
        scale["verbs"] = sub_verbs;
        resources.push_back(std::move(scale));
      }
    }
    boost::json::object doc;
    doc["kind"] = "APIResourceList";
    doc["apiVersion"] = "v1";
    doc["groupVersion"] = group.empty() ? std::string(version) : std::string(group) + "/" + std::string(version);
    doc["resources"] = std::move(resources);
    return doc;
  }

 private:
  static boost::json::array to_array(const std::vector<std::string>& values) {
    boost::json::array out;
    for (const std::string& v : values) out.emplace_back(v);
    return out;
  }

  static void fill_group(boost::json::object& doc, std::string_view group, const std::vector<std::string>& versions) {
    doc["name"] = group;
    boost::json::array list;
    for (const std::string& v : versions) {
      boost::json::object gv;
      gv["groupVersion"] = std::string(group) + "/" + v;
      gv["version"] = v;
      list.push_back(std::move(gv));
    }
    doc["versions"] = list;
    doc["preferredVersion"] = list.front();
  }

  void builtin(std::string group, std::string plural, std::string kind, bool namespaced,
               std::vector<std::string> short_names = {}, std::vector<std::string> categories = {}) {
    ResourceInfo r;
    r.group = std::move(group);
    r.version = "v1";
    r.resource = std::move(plural);
    r.kind = std::move(kind);
    r.singular = r.kind;
    std::transform(r.singular.begin(), r.singular.end(), r.singular.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    r.list_kind = r.kind + "List";
    r.namespaced = namespaced;
    r.short_names = std::move(short_names);
    r.categories = std::move(categories);
    resources_.push_back(std::move(r));
  }

  ResourceInfo& last() { return resources_.back(); }

  void add_builtins() {
    builtin("", "namespaces", "Namespace", false, {"ns"});
    last().status_subresource = true;
    last().returns_deleted_object = true;
    last().name_rule = NameRule::dns1123_label;
    builtin("", "configmaps", "ConfigMap", true, {"cm"});
    builtin("", "secrets", "Secret", true);
    builtin("", "services", "Service", true, {"svc"}, {"all"});
    last().status_subresource = true;
    last().returns_deleted_object = true;
    last().name_rule = NameRule::dns1035_label;
    builtin("", "pods", "Pod", true, {"po"}, {"all"});
    last().status_subresource = true;
    last().returns_deleted_object = true;
    last().tracks_generation = true;
    builtin("", "serviceaccounts", "ServiceAccount", true, {"sa"});
    builtin("", "events", "Event", true, {"ev"});
    last().create_on_update = true;
    builtin("", "endpoints", "Endpoints", true, {"ep"});
    last().singular = "endpoints";
    last().create_on_update = true;
    for (const char* name : {"deployments", "statefulsets", "daemonsets", "replicasets"}) {
      const std::string plural = name;
      const std::string kind = plural == "deployments"    ? "Deployment"
                               : plural == "statefulsets" ? "StatefulSet"
                               : plural == "daemonsets"   ? "DaemonSet"
                                                          : "ReplicaSet";
      const std::string short_name = plural == "deployments"    ? "deploy"
                                     : plural == "statefulsets" ? "sts"
                                     : plural == "daemonsets"   ? "ds"
                                                                : "rs";
      builtin("apps", plural, kind, true, {short_name}, {"all"});
      last().status_subresource = true;
      last().tracks_generation = true;
      if (plural != "daemonsets") {
        ScaleSubresource scale;
        scale.selector_from_spec = true;
        last().scale = scale;
      }
      if (plural == "deployments") last().annotations_bump_generation = true;
    }
    builtin("batch", "jobs", "Job", true, {}, {"all"});
    last().status_subresource = true;
    last().tracks_generation = true;
    builtin("batch", "cronjobs", "CronJob", true, {"cj"}, {"all"});
    last().status_subresource = true;
    last().tracks_generation = true;
    builtin("coordination.k8s.io", "leases", "Lease", true);
    last().create_on_update = true;
    builtin("events.k8s.io", "events", "Event", true, {"ev"});
    last().create_on_update = true;
    builtin("apiextensions.k8s.io", "customresourcedefinitions", "CustomResourceDefinition", false, {"crd", "crds"},
            {"api-extensions"});
    last().status_subresource = true;
    last().tracks_generation = true;
    last().unconditional_update = false;
    builtin("rbac.authorization.k8s.io", "roles", "Role", true);
    builtin("rbac.authorization.k8s.io", "rolebindings", "RoleBinding", true);
    builtin("rbac.authorization.k8s.io", "clusterroles", "ClusterRole", false);
    builtin("rbac.authorization.k8s.io", "clusterrolebindings", "ClusterRoleBinding", false);
  }

  std::vector<ResourceInfo> resources_;
};

}  // namespace kopp::testing::detail
