#pragma once
// Reading kube-apiserver's audit log in a test, to prove an operator's role minimal: every
// verb on every resource the role grants was used by the operator at least once, or the
// test names why not.
//
//   // After the operator ran as ServiceAccount ns/controller-manager and stopped:
//   const auto requests = kopp::testing::audited_requests(plane.audit_log(),
//                                                         "system:serviceaccount:" + ns + ":controller-manager");
//   const std::vector<std::string> unused = kopp::testing::unused_grants(my::rbac_manifest(), requests);
//   CHECK(unused == std::vector<std::string>{"batch/jobs patch"});   // the exceptions, each with its reason
//
// kopp-controlplane records the requests of ServiceAccounts outside kube-system at level
// Metadata (ControlPlane::audit_log()). A grant is named "<group>/<resource> <verb>", with
// "core" for the core group: "apps/deployments get", "core/pods watch",
// "cache.example.com/memcacheds/status patch".

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace kopp::testing {

/// One request an audit event recorded.
struct AuditedRequest {
  std::string verb;       // get, list, watch, create, update, patch, delete, deletecollection
  std::string api_group;  // "" for the core group
  std::string resource;   // with "/<subresource>" when there is one: "memcacheds/status"
  std::string namespace_;
  int code = 0;  // the response's HTTP status (0 when the event has none)
};

/// The name of the grant a request used, or a rule grants: "<group>/<resource> <verb>".
inline std::string grant_name(std::string_view api_group, std::string_view resource, std::string_view verb) {
  return std::string(api_group.empty() ? "core" : api_group) + "/" + std::string(resource) + " " + std::string(verb);
}

/// The resource requests `user` ("system:serviceaccount:<namespace>:<name>") made, in the
/// order of the audit log at `path`. Requests without a resource (discovery, /healthz) are
/// left out, and so are lines that are not events (a line being written as the log is
/// read). Throws std::runtime_error when the file cannot be read or a line is longer than
/// 1 MiB (the log of a control plane that is not kopp-controlplane's).
inline std::vector<AuditedRequest> audited_requests(const std::filesystem::path& path, std::string_view user) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read the audit log " + path.string());
  constexpr std::size_t max_line = std::size_t(1) << 20;
  std::vector<AuditedRequest> out;
  std::string line;
  std::size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.size() > max_line)
      throw std::runtime_error("audit log " + path.string() + ":" + std::to_string(number) + ": a line over 1 MiB");
    std::error_code ec;
    const boost::json::value event = boost::json::parse(line, ec);
    if (ec || !event.is_object()) continue;
    const auto& object = event.get_object();
    const auto* who = object.if_contains("user");
    const auto* name = who && who->is_object() ? who->get_object().if_contains("username") : nullptr;
    if (!name || !name->is_string() || name->get_string() != user) continue;
    const auto* ref = object.if_contains("objectRef");
    if (!ref || !ref->is_object()) continue;
    const auto text = [](const boost::json::object& o, std::string_view key) {
      const auto* v = o.if_contains(key);
      return v && v->is_string() ? std::string(v->get_string()) : std::string();
    };
    AuditedRequest request;
    request.verb = text(object, "verb");
    request.api_group = text(ref->get_object(), "apiGroup");
    request.resource = text(ref->get_object(), "resource");
    if (request.resource.empty() || request.verb.empty()) continue;
    if (const std::string sub = text(ref->get_object(), "subresource"); !sub.empty()) request.resource += "/" + sub;
    request.namespace_ = text(ref->get_object(), "namespace");
    if (const auto* status = object.if_contains("responseStatus"); status && status->is_object())
      if (const auto* code = status->get_object().if_contains("code"); code && code->is_int64())
        request.code = static_cast<int>(code->get_int64());
    out.push_back(std::move(request));
  }
  return out;
}

/// The grants of `cluster_role` (a ClusterRole or Role as JSON: rules of apiGroups,
/// resources, verbs) that none of `requests` used, sorted. A request the API server refused
/// as unauthenticated or forbidden (401, 403) used nothing. Rules with resourceNames or a
/// "*" are skipped: this names what a role grants by verb and resource only.
inline std::vector<std::string> unused_grants(const boost::json::object& cluster_role,
                                              const std::vector<AuditedRequest>& requests) {
  std::set<std::string> used;
  for (const auto& r : requests)
    if (r.code != 401 && r.code != 403) used.insert(grant_name(r.api_group, r.resource, r.verb));
  std::set<std::string> unused;
  const auto* rules = cluster_role.if_contains("rules");
  if (!rules || !rules->is_array()) return {};
  const auto strings = [](const boost::json::object& rule, std::string_view key) {
    std::vector<std::string> out;
    if (const auto* list = rule.if_contains(key); list && list->is_array())
      for (const auto& item : list->get_array())
        if (item.is_string()) out.emplace_back(item.get_string());
    return out;
  };
  for (const auto& rule_value : rules->get_array()) {
    if (!rule_value.is_object()) continue;
    const auto& rule = rule_value.get_object();
    if (rule.contains("resourceNames")) continue;
    for (const auto& group : strings(rule, "apiGroups"))
      for (const auto& resource : strings(rule, "resources"))
        for (const auto& verb : strings(rule, "verbs")) {
          if (group == "*" || resource == "*" || verb == "*") continue;
          const std::string grant = grant_name(group, resource, verb);
          if (!used.contains(grant)) unused.insert(grant);
        }
  }
  return {unused.begin(), unused.end()};
}

}  // namespace kopp::testing
