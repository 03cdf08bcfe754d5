#pragma once
// Permissions: the RBAC rules an operator needs, derived from what its controllers declare
// (controller-gen derives them from +kubebuilder:rbac markers written by hand; kopp from the
// declaration that also wires the informers, so the two cannot drift apart).
//
//   manager.controller<Memcached>("memcached").owns<Deployment>().permits<Secret>({"get"}).build(r);
//   kopp::cluster_role("manager-role", manager.permissions());   // config/rbac/role.yaml
//
// What a declaration implies: the calls kopp's own code makes for it, and no more.
//   the primary kind K     list, watch (its informer); K/status patch, when K has a status
//                          (kopp::patch_status)
//   owns<Child>()          Child: list, watch (its informer), create, patch (server-side
//                          apply); K/finalizers update (asked by the OwnerReferencesPermission-
//                          Enforcement admission, where enabled, for the controller reference
//                          that blocks K's deletion)
//   watches<Other>(), watches_metadata<Other>()    list, watch
//   an event recorder      events.k8s.io events create, patch (a repeated Event's series)
// Calls a reconciler makes beyond those are declared with permits<K>(verbs) or permits(group,
// resource, verbs): a finalizer (patch on K), a GET or update of an owned object, deleting
// one, reading a Secret. The end-to-end tests, run with the generated role, find a missing
// declaration (403); the examples' audit-log checks find a grant nothing uses.
//
// rules() merges them the way controller-gen does: one rule per API group and set of verbs,
// resources sorted, so the generated role is stable from build to build.

#include <kopp/core/resource.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace kopp {

/// One rule of a (Cluster)Role: these verbs on these resources of these API groups.
struct PolicyRule {
  std::vector<std::string> api_groups;
  std::vector<std::string> resources;
  std::vector<std::string> verbs;

  friend bool operator==(const PolicyRule&, const PolicyRule&) = default;
};

/// A set of (API group, resource, verb) grants.
class Permissions {
 public:
  /// Grants `verbs` on `resource` ("deployments", "memcacheds/status") of `group` ("" is
  /// the core group). Throws std::invalid_argument for an empty resource or verb, or a verb
  /// the API server does not know.
  Permissions& permit(std::string_view group, std::string_view resource, const std::vector<std::string>& verbs) {
    if (resource.empty()) throw std::invalid_argument("Permissions: an empty resource name");
    for (const auto& verb : verbs) {
      if (!is_known_verb(verb))
        throw std::invalid_argument("Permissions: \"" + verb + "\" on " + std::string(resource) +
                                    " is not a Kubernetes verb (get, list, watch, create, update, patch, delete, "
                                    "deletecollection, or * for all)");
      grants_[{std::string(group), std::string(resource)}].insert(verb);
    }
    return *this;
  }
  /// Grants `verbs` on K, or on its `subresource` ("status", "scale", "finalizers").
  template <Resource K>
  Permissions& permit(const std::vector<std::string>& verbs, std::string_view subresource = {}) {
    std::string resource(resource_traits<K>::plural);
    if (!subresource.empty()) resource += "/" + std::string(subresource);
    return permit(resource_traits<K>::group, resource, verbs);
  }
  Permissions& merge(const Permissions& other) {
    for (const auto& [resource, verbs] : other.grants_) grants_[resource].insert(verbs.begin(), verbs.end());
    return *this;
  }

  /// Whether `verb` on `resource` of `group` is granted (a "*" verb grants every verb).
  [[nodiscard]] bool allows(std::string_view group, std::string_view resource, std::string_view verb) const {
    const auto found = grants_.find({std::string(group), std::string(resource)});
    if (found == grants_.end()) return false;
    return found->second.count(std::string(verb)) != 0 || found->second.count("*") != 0;
  }
  [[nodiscard]] bool empty() const noexcept { return grants_.empty(); }

  /// The grants as rules: one per API group and set of verbs (resources sorted), ordered by
  /// group, then by first resource; verbs in the order Kubernetes documents them.
  [[nodiscard]] std::vector<PolicyRule> rules() const {
    std::map<std::pair<std::string, std::vector<std::string>>, std::vector<std::string>> by_group_and_verbs;
    for (const auto& [resource, verbs] : grants_)
      by_group_and_verbs[{resource.first, ordered(verbs)}].push_back(resource.second);
    std::vector<PolicyRule> out;
    for (auto& [key, resources] : by_group_and_verbs) {
      std::sort(resources.begin(), resources.end());
      out.push_back(PolicyRule{{key.first}, std::move(resources), key.second});
    }
    std::stable_sort(out.begin(), out.end(), [](const PolicyRule& a, const PolicyRule& b) {
      return std::tie(a.api_groups, a.resources) < std::tie(b.api_groups, b.resources);
    });
    return out;
  }

 private:
  static bool is_known_verb(std::string_view verb) {
    for (std::string_view known : verb_order)
      if (verb == known) return true;
    return false;
  }
  static std::vector<std::string> ordered(const std::set<std::string>& verbs) {
    if (verbs.count("*")) return {"*"};
    std::vector<std::string> out;
    for (std::string_view verb : verb_order)
      if (verbs.count(std::string(verb))) out.emplace_back(verb);
    return out;
  }
  static constexpr std::string_view verb_order[] = {
      "get",         "list", "watch",    "create", "update", "patch", "delete", "deletecollection",
      "impersonate", "bind", "escalate", "use",    "*"};

  std::map<std::pair<std::string, std::string>, std::set<std::string>> grants_;
};

namespace detail {
/// A Role or ClusterRole object: `metadata` and the rules of `permissions`.
inline boost::json::object rbac_role(std::string_view kind, boost::json::object metadata,
                                     const Permissions& permissions) {
  boost::json::array rules;
  for (const PolicyRule& rule : permissions.rules()) {
    boost::json::array groups, resources, verbs;
    for (const auto& g : rule.api_groups) groups.emplace_back(g);
    for (const auto& r : rule.resources) resources.emplace_back(r);
    for (const auto& v : rule.verbs) verbs.emplace_back(v);
    boost::json::object out;
    out["apiGroups"] = std::move(groups);
    out["resources"] = std::move(resources);
    out["verbs"] = std::move(verbs);
    rules.emplace_back(std::move(out));
  }
  boost::json::object role;
  role["apiVersion"] = "rbac.authorization.k8s.io/v1";
  role["kind"] = kind;
  role["metadata"] = std::move(metadata);
  role["rules"] = std::move(rules);
  return role;
}
}  // namespace detail

/// A ClusterRole named `name` granting `permissions` (rbac.authorization.k8s.io/v1).
[[nodiscard]] inline boost::json::object cluster_role(const std::string& name, const Permissions& permissions) {
  boost::json::object metadata;
  metadata["name"] = name;
  return detail::rbac_role("ClusterRole", std::move(metadata), permissions);
}

/// A Role named `name` in `namespace_` granting `permissions` there: what an operator does
/// in its own namespace only (the leader-election Lease, leader_election_permissions()).
[[nodiscard]] inline boost::json::object role(const std::string& name, const std::string& namespace_,
                                              const Permissions& permissions) {
  boost::json::object metadata;
  metadata["name"] = name;
  metadata["namespace"] = namespace_;
  return detail::rbac_role("Role", std::move(metadata), permissions);
}

}  // namespace kopp
