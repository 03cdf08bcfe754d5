// Generated models against the real kube-apiserver: for each kind, an object created
// through Api<K> and read back raw decodes into K and encodes to the same JSON (nothing
// lost, nothing invented), and no field of the server's answer lands in unknown_fields.
#include "support/integration.hpp"

#include <kopp/api/apiextensions/v1.hpp>
#include <kopp/api/apps/v1.hpp>
#include <kopp/api/autoscaling/v2.hpp>
#include <kopp/api/batch/v1.hpp>
#include <kopp/api/coordination/v1.hpp>
#include <kopp/api/core/v1.hpp>
#include <kopp/api/events/v1.hpp>
#include <kopp/api/networking/v1.hpp>
#include <kopp/api/policy/v1.hpp>
#include <kopp/api/rbac/v1.hpp>

#include <boost/describe/members.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/mp11/algorithm.hpp>

#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

using namespace kopp_test;
using boost::asio::awaitable;
namespace json = boost::json;
namespace api = kopp::api;

namespace {

// --- comparing JSON ------------------------------------------------------------------

std::string show(const json::value& v) {
  std::string s = json::serialize(v);
  return s.size() > 200 ? s.substr(0, 200) + "..." : s;
}

/// Go's zero value of a struct or string that a Go value field without omitempty writes:
/// `""`, `{}`, or an object holding only such values (`{"loadBalancer":{}}`,
/// `{"plural":"","kind":""}`). Numbers and bools are not included: kopp writes them always.
bool is_go_zero(const json::value& v) {
  if (v.is_string()) return v.get_string().empty();
  if (!v.is_object()) return false;
  for (const auto& kv : v.get_object())
    if (!is_go_zero(kv.value())) return false;
  return true;
}

/// Empty when `ours` says the same as `server`, otherwise the JSON path of the first
/// difference and what differs. Two things count as "the same as absent": a null member
/// (Kubernetes and kopp's mapping both treat null as "not set"), and a Go zero value (see
/// is_go_zero) that the server writes for a value field (`Service.status:
/// {"loadBalancer":{}}`, `Event.deprecatedSource: {}`, a new CRD's `status.acceptedNames:
/// {"plural":"","kind":""}`): the model declares those fields as plain members, which
/// kopp's encoder omits when empty, and Go decodes absent and zero to the same value. The
/// zero value of an optional member is never forgiven: kopp writes an engaged optional even
/// when empty, so an `emptyDir: {}` that went missing is reported. Nothing else is forgiven.
std::string first_difference(const json::value& server, const json::value& ours, const std::string& path) {
  if (server.is_object() && ours.is_object()) {
    const json::object& s = server.get_object();
    const json::object& o = ours.get_object();
    for (const auto& kv : s) {
      const std::string p = path + "." + std::string(kv.key());
      const json::value* mine = o.if_contains(kv.key());
      if (!mine || mine->is_null()) {
        if (kv.value().is_null() || is_go_zero(kv.value())) continue;
        return p + ": lost (server has " + show(kv.value()) + ")";
      }
      std::string d = first_difference(kv.value(), *mine, p);
      if (!d.empty()) return d;
    }
    for (const auto& kv : o) {
      if (kv.value().is_null()) continue;
      const json::value* theirs = s.if_contains(kv.key());
      if (!theirs || theirs->is_null())
        return path + "." + std::string(kv.key()) + ": invented (" + show(kv.value()) + ")";
    }
    return {};
  }
  if (server.is_array() && ours.is_array()) {
    const json::array& s = server.get_array();
    const json::array& o = ours.get_array();
    if (s.size() != o.size())
      return path + ": array of " + std::to_string(s.size()) + " became " + std::to_string(o.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
      std::string d = first_difference(s[i], o[i], path + "[" + std::to_string(i) + "]");
      if (!d.empty()) return d;
    }
    return {};
  }
  if (server == ours) return {};
  return path + ": server " + show(server) + ", ours " + show(ours);
}

// --- finding unknown fields ----------------------------------------------------------

template <class T>
void collect_unknown(const T& x, const std::string& path, std::vector<std::string>& out);

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};
template <class T>
struct is_vector : std::false_type {};
template <class T>
struct is_vector<std::vector<T>> : std::true_type {};
template <class T>
struct is_map : std::false_type {};
template <class T>
struct is_map<std::map<std::string, T>> : std::true_type {};

template <class T>
void collect_unknown(const T& x, const std::string& path, std::vector<std::string>& out) {
  if constexpr (std::is_same_v<T, kopp::UnknownFields>) {
    for (const auto& kv : x.fields) out.push_back(path + "." + std::string(kv.key()));
  } else if constexpr (is_optional<T>::value) {
    if (x) collect_unknown(*x, path, out);
  } else if constexpr (is_vector<T>::value) {
    for (std::size_t i = 0; i < x.size(); ++i) collect_unknown(x[i], path + "[" + std::to_string(i) + "]", out);
  } else if constexpr (is_map<T>::value) {
    for (const auto& [key, value] : x) collect_unknown(value, path + "." + key, out);
  } else if constexpr (boost::describe::has_describe_members<T>::value) {
    using members = boost::describe::describe_members<T, boost::describe::mod_public>;
    boost::mp11::mp_for_each<members>([&](auto D) {
      const auto& member = x.*D.pointer;
      using M = std::remove_cvref_t<decltype(member)>;
      if constexpr (std::is_same_v<M, kopp::UnknownFields>)
        collect_unknown(member, path, out);
      else
        collect_unknown(member, path + "." + std::string(kopp::detail::json_key(D.name)), out);
    });
  }
}

// --- the round trip ------------------------------------------------------------------

struct Outcome {
  Outcome() = default;
  std::string kind;
  std::string difference;            // empty: same JSON
  std::vector<std::string> unknown;  // paths of fields the model did not know
  bool created = false;
};

template <class K>
awaitable<Outcome> round_trip(kopp::Client& client, std::string ns, std::string object_json) {
  Outcome outcome;
  outcome.kind = std::string(kopp::resource_traits<K>::kind);
  const K object = kopp::from_json<K>(json::parse(object_json));
  const std::string name = object.metadata.name;
  kopp::Api<K> typed(client, kopp::is_namespaced<K>() ? ns : std::string());
  const K created = co_await typed.create(object);
  outcome.created = !created.metadata.uid.empty();

  kopp::DynamicApi raw_api(client, kopp::ApiResource::of<K>(), kopp::is_namespaced<K>() ? ns : std::string());
  const json::object raw = co_await raw_api.get(name);
  const json::value server(raw);
  const K decoded = kopp::from_json<K>(server);
  const json::value ours = kopp::to_json(decoded);
  outcome.difference = first_difference(server, ours, "$");
  collect_unknown(decoded, "$", outcome.unknown);

  if (!kopp::is_namespaced<K>()) co_await typed.delete_(name);  // namespaces clean up the rest
  co_return outcome;
}

void check(const Outcome& o) {
  INFO("kind " << o.kind);
  CHECK(o.created);
  CHECK(o.difference == "");
  std::string unknown;
  for (const std::string& p : o.unknown) unknown += p + " ";
  CHECK(unknown == "");
}

// A pod template shared by the workload kinds: several containers, probes, resources,
// volumes, env from ConfigMaps, security settings.
std::string pod_template(const std::string& app, const std::string& restart_policy) {
  return R"({
    "metadata": {"labels": {"app": ")" +
         app + R"("}, "annotations": {"example.com/owner": "team-a"}},
    "spec": {
      "restartPolicy": ")" +
         restart_policy + R"(",
      "terminationGracePeriodSeconds": 15,
      "serviceAccountName": "default",
      "securityContext": {"runAsNonRoot": true, "runAsUser": 1000, "fsGroup": 2000,
                          "seccompProfile": {"type": "RuntimeDefault"}},
      "nodeSelector": {"kubernetes.io/os": "linux"},
      "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "web", "effect": "NoSchedule"}],
      "affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": 100, "podAffinityTerm": {"topologyKey": "kubernetes.io/hostname",
          "labelSelector": {"matchExpressions": [{"key": "app", "operator": "In", "values": [")" +
         app + R"("]}]}}}]}},
      "initContainers": [{"name": "init", "image": "busybox:1.36", "command": ["sh", "-c", "echo init"]}],
      "containers": [{
        "name": "main", "image": "nginx:1.27", "imagePullPolicy": "IfNotPresent",
        "args": ["--port", "8080"],
        "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"},
                  {"name": "metrics", "containerPort": 9090}],
        "env": [{"name": "MODE", "value": "fast"},
                {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                {"name": "LIMIT", "valueFrom": {"resourceFieldRef": {"resource": "limits.memory", "divisor": "1Mi"}}}],
        "envFrom": [{"configMapRef": {"name": "settings", "optional": true}}],
        "resources": {"requests": {"cpu": "250m", "memory": "64Mi"}, "limits": {"cpu": "1", "memory": "128Mi"}},
        "readinessProbe": {"httpGet": {"path": "/ready", "port": "http"}, "periodSeconds": 5},
        "livenessProbe": {"tcpSocket": {"port": 8080}, "initialDelaySeconds": 10},
        "lifecycle": {"preStop": {"exec": {"command": ["sleep", "5"]}}},
        "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
                            "capabilities": {"drop": ["ALL"]}},
        "volumeMounts": [{"name": "cache", "mountPath": "/cache"},
                         {"name": "config", "mountPath": "/etc/app", "readOnly": true}]
      }],
      "volumes": [{"name": "cache", "emptyDir": {}},
                  {"name": "config", "configMap": {"name": "settings", "defaultMode": 420,
                                                   "items": [{"key": "mode", "path": "mode.txt"}]}}]
    }
  })";
}

}  // namespace

TEST_CASE("api round trip: workloads (apps/v1, batch/v1, core/v1 Pod)", "[integration][api]") {
  TestNamespace ns("kopp-api-rt");
  const std::vector<Outcome> outcomes = run<std::vector<Outcome>>([&]() -> awaitable<std::vector<Outcome>> {
    kopp::Client client(co_await boost::asio::this_coro::executor, admin_config());
    std::vector<Outcome> out;
    const std::string selector = R"({"matchLabels": {"app": "web"}})";
    out.push_back(co_await round_trip<api::apps::v1::Deployment>(client, ns.name(), R"({
      "metadata": {"name": "web", "labels": {"app": "web"}},
      "spec": {"replicas": 2, "selector": )" + selector + R"(, "revisionHistoryLimit": 5,
               "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": 1}},
               "template": )" + pod_template("web", "Always") + "}}"));
    out.push_back(co_await round_trip<api::apps::v1::StatefulSet>(client, ns.name(), R"({
      "metadata": {"name": "db"},
      "spec": {"replicas": 1, "serviceName": "db", "selector": {"matchLabels": {"app": "db"}},
               "podManagementPolicy": "Parallel",
               "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
               "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Delete", "whenScaled": "Retain"},
               "volumeClaimTemplates": [{"metadata": {"name": "data"},
                 "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "",
                          "resources": {"requests": {"storage": "1Gi"}}}}],
               "template": )" + pod_template("db", "Always") + "}}"));
    out.push_back(co_await round_trip<api::apps::v1::DaemonSet>(client, ns.name(), R"({
      "metadata": {"name": "agent"},
      "spec": {"selector": {"matchLabels": {"app": "agent"}}, "minReadySeconds": 3,
               "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}},
               "template": )" + pod_template("agent", "Always") + "}}"));
    out.push_back(co_await round_trip<api::apps::v1::ReplicaSet>(client, ns.name(), R"({
      "metadata": {"name": "rs"},
      "spec": {"replicas": 0, "selector": {"matchLabels": {"app": "rs"}},
               "template": )" + pod_template("rs", "Always") + "}}"));
    out.push_back(co_await round_trip<api::batch::v1::Job>(client, ns.name(), R"({
      "metadata": {"name": "migrate"},
      "spec": {"backoffLimit": 2, "completions": 1, "parallelism": 1, "ttlSecondsAfterFinished": 600,
               "activeDeadlineSeconds": 300, "suspend": true,
               "template": )" + pod_template("migrate", "Never") + "}}"));
    out.push_back(co_await round_trip<api::batch::v1::CronJob>(client, ns.name(),
                                                               R"({
      "metadata": {"name": "nightly"},
      "spec": {"schedule": "0 3 * * *", "timeZone": "Etc/UTC", "concurrencyPolicy": "Forbid",
               "startingDeadlineSeconds": 120, "successfulJobsHistoryLimit": 2, "suspend": false,
               "jobTemplate": {"metadata": {"labels": {"job": "nightly"}},
                               "spec": {"template": )" + pod_template("nightly", "OnFailure") +
                                                                   "}}}}"));
    // The template's spec, as a Pod's spec. Admission needs the pod's service account to
    // exist; the namespace's "default" one appears asynchronously, so the pod brings its own.
    kopp::Api<api::core::v1::ServiceAccount> accounts(client, ns.name());
    api::core::v1::ServiceAccount runner;
    runner.metadata.name = "runner";
    co_await accounts.create(runner);
    json::value pod_spec_value = json::parse(pod_template("standalone", "Always")).at("spec");
    pod_spec_value.as_object()["serviceAccountName"] = "runner";
    const std::string pod_spec = json::serialize(pod_spec_value);
    out.push_back(co_await round_trip<api::core::v1::Pod>(client, ns.name(), R"({
      "metadata": {"name": "standalone", "labels": {"app": "standalone"}},
      "spec": )" + pod_spec + "}"));
    co_return out;
  });
  REQUIRE(outcomes.size() == 7);
  for (const Outcome& o : outcomes) check(o);
}

TEST_CASE("api round trip: config, services, access control, policy", "[integration][api]") {
  TestNamespace ns("kopp-api-rt");
  const std::vector<Outcome> outcomes =
      run<std::vector<Outcome>>([&]() -> awaitable<std::vector<Outcome>> {
        kopp::Client client(co_await boost::asio::this_coro::executor, admin_config());
        std::vector<Outcome> out;
        const std::string n = ns.name();
        out.push_back(co_await round_trip<api::core::v1::ConfigMap>(client, n, R"({
      "metadata": {"name": "settings", "labels": {"app": "web"}},
      "data": {"mode": "fast", "config.yaml": "a: 1\nb: [2, 3]\n"},
      "binaryData": {"blob": "AAECAw=="}, "immutable": false})"));
        out.push_back(co_await round_trip<api::core::v1::Secret>(client, n, R"({
      "metadata": {"name": "creds"}, "type": "Opaque",
      "data": {"username": "YWRtaW4="}, "stringData": {"password": "not-a-real-password"}})"));
        out.push_back(co_await round_trip<api::core::v1::ServiceAccount>(client, n, R"({
      "metadata": {"name": "robot"}, "automountServiceAccountToken": false,
      "imagePullSecrets": [{"name": "registry-creds"}]})"));
        out.push_back(co_await round_trip<api::core::v1::Service>(client, n, R"({
      "metadata": {"name": "web", "annotations": {"example.com/lb": "internal"}},
      "spec": {"type": "ClusterIP", "selector": {"app": "web"}, "sessionAffinity": "ClientIP",
               "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 600}},
               "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"},
                         {"name": "metrics", "port": 9090, "targetPort": 9090, "appProtocol": "http"}]}})"));
        out.push_back(co_await round_trip<api::coordination::v1::Lease>(client, n, R"({
      "metadata": {"name": "leader"},
      "spec": {"holderIdentity": "pod-a", "leaseDurationSeconds": 15, "leaseTransitions": 0,
               "acquireTime": "2026-01-02T03:04:05.123456Z", "renewTime": "2026-01-02T03:04:06.000001Z"}})"));
        out.push_back(co_await round_trip<api::events::v1::Event>(client, n,
                                                                  R"({
      "metadata": {"name": "web.1"}, "eventTime": "2026-01-02T03:04:05.000001Z",
      "reportingController": "example.com/web", "reportingInstance": "web-7d9f",
      "action": "Scale", "reason": "ScalingReplicaSet", "note": "Scaled up to 2", "type": "Normal",
      "regarding": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "namespace": ")" +
                                                                      n + R"("},
      "series": {"count": 2, "lastObservedTime": "2026-01-02T03:05:05.000001Z"}})"));
        out.push_back(co_await round_trip<api::rbac::v1::Role>(client, n, R"({
      "metadata": {"name": "reader"},
      "rules": [{"apiGroups": [""], "resources": ["configmaps", "secrets"], "verbs": ["get", "list", "watch"]},
                {"apiGroups": ["apps"], "resources": ["deployments"], "resourceNames": ["web"], "verbs": ["patch"]}]})"));
        out.push_back(co_await round_trip<api::rbac::v1::RoleBinding>(client, n, R"({
      "metadata": {"name": "reader"},
      "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
      "subjects": [{"kind": "ServiceAccount", "name": "robot", "namespace": ")" + n + R"("},
                   {"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "alice"}]})"));
        out.push_back(co_await round_trip<api::rbac::v1::ClusterRole>(client, n, R"({
      "metadata": {"name": ")" + n + R"(-aggregate", "labels": {"example.com/aggregate": "true"}},
      "rules": [{"nonResourceURLs": ["/healthz", "/metrics"], "verbs": ["get"]},
                {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["*"]}]})"));
        out.push_back(co_await round_trip<api::policy::v1::PodDisruptionBudget>(client, n, R"({
      "metadata": {"name": "web"},
      "spec": {"minAvailable": "50%", "selector": {"matchLabels": {"app": "web"}},
               "unhealthyPodEvictionPolicy": "AlwaysAllow"}})"));
        out.push_back(co_await round_trip<api::networking::v1::NetworkPolicy>(client, n, R"({
      "metadata": {"name": "web"},
      "spec": {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Ingress", "Egress"],
               "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "a"}}},
                                     {"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}],
                            "ports": [{"protocol": "TCP", "port": "http"}, {"port": 9000, "endPort": 9010}]}],
               "egress": [{"to": [{"podSelector": {}}]}]}})"));
        out.push_back(co_await round_trip<api::networking::v1::Ingress>(client, n, R"({
      "metadata": {"name": "web"},
      "spec": {"ingressClassName": "nginx",
               "tls": [{"hosts": ["web.example.com"], "secretName": "web-tls"}],
               "rules": [{"host": "web.example.com", "http": {"paths": [
                 {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"name": "http"}}}},
                 {"path": "/api", "pathType": "Exact", "backend": {"service": {"name": "api", "port": {"number": 8080}}}}]}}]}})"));
        out.push_back(co_await round_trip<api::autoscaling::v2::HorizontalPodAutoscaler>(client, n, R"({
      "metadata": {"name": "web"},
      "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
               "minReplicas": 2, "maxReplicas": 10,
               "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}},
                           {"type": "Pods", "pods": {"metric": {"name": "rps"}, "target": {"type": "AverageValue", "averageValue": "100"}}}],
               "behavior": {"scaleDown": {"stabilizationWindowSeconds": 300,
                                          "policies": [{"type": "Percent", "value": 50, "periodSeconds": 60}]}}}})"));
        out.push_back(co_await round_trip<api::apiextensions::v1::CustomResourceDefinition>(client, n, R"({
      "metadata": {"name": "widgets.)" + n + R"(.example.com"},
      "spec": {"group": ")" + n + R"(.example.com", "scope": "Namespaced",
               "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "shortNames": ["wd"],
                         "categories": ["all"]},
               "versions": [{"name": "v1", "served": true, "storage": true,
                 "additionalPrinterColumns": [{"name": "Size", "type": "integer", "jsonPath": ".spec.size"}],
                 "subresources": {"status": {}, "scale": {"specReplicasPath": ".spec.size", "statusReplicasPath": ".status.size"}},
                 "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                   "spec": {"type": "object", "required": ["size"], "properties": {
                     "size": {"type": "integer", "minimum": 0, "maximum": 10, "default": 1},
                     "mode": {"type": "string", "enum": ["fast", "safe"]},
                     "port": {"x-kubernetes-int-or-string": true},
                     "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}},
                   "status": {"type": "object", "properties": {"size": {"type": "integer"}}}}}}}]}})"));
        co_return out;
      });
  REQUIRE(outcomes.size() == 14);
  for (const Outcome& o : outcomes) check(o);
}
