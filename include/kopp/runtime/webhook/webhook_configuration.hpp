#pragma once
// The API server's side of admission webhooks: ValidatingWebhookConfiguration and
// MutatingWebhookConfiguration objects (admissionregistration.k8s.io/v1) that say which
// requests go to which path of the webhook server, generated from the same declarations
// that register the handlers (WebhookBuilder records one AdmissionWebhook per handler), so
// the manifests and the server cannot disagree on paths or kinds.
//
// Two ways to use them: written as YAML into config/webhook/ (in a cluster the API server
// reaches the webhooks through a Service, and cert-manager's CA injector fills caBundle),
// or applied at start by the Manager (ManagerOptions::webhook_configuration_name), with the
// URL of a webhook server running outside the cluster and the CA it generated: local
// development and tests.

#include <kopp/core/detail/config.hpp>
#include <kopp/core/resource.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <vector>

namespace kopp {

enum class AdmissionWebhookType { validating, mutating };
enum class FailurePolicy { fail, ignore };

/// Which requests a webhook is called for (a RuleWithOperations).
struct WebhookRule {
  std::vector<std::string> operations{"CREATE", "UPDATE"};  // "DELETE", "CONNECT", "*"
  std::string api_group;                                    // "" for the core group
  std::string api_version;
  std::string resource;     // the plural: "memcacheds"; "memcacheds/status" for a subresource
  std::string scope = "*";  // "Namespaced", "Cluster" or "*"
};

/// A CEL condition the request must meet for the webhook to be called (Kubernetes 1.30+).
struct MatchCondition {
  std::string name;
  std::string expression;  // e.g. "request.userInfo.username != 'system:admin'"
};

/// One webhook of a configuration: where it is served and what it is called for.
struct AdmissionWebhook {
  AdmissionWebhookType type = AdmissionWebhookType::validating;
  /// Fully qualified ("vmemcached-v1.cache.example.com"), unique in its configuration.
  std::string name;
  /// The path on the webhook server ("/validate-cache-example-com-v1-memcached").
  std::string path;
  std::vector<WebhookRule> rules;
  FailurePolicy failure_policy = FailurePolicy::fail;
  /// "None" (calls for dry runs too) or "NoneOnDryRun"; kopp's typed webhooks have none.
  std::string side_effects = "None";
  int timeout_seconds = 10;
  std::vector<MatchCondition> match_conditions;
  /// LabelSelectors as JSON ({"matchLabels": {...}}); empty: every namespace / object.
  boost::json::object namespace_selector;
  boost::json::object object_selector;
  /// Mutating webhooks: "Never" or "IfNeeded" (called again after later mutations).
  std::string reinvocation_policy = "Never";
};

/// The default declaration for K's typed webhook: its controller-runtime path, a rule for
/// K's group, version and plural on CREATE and UPDATE, scope from K, name
/// "<v|m><kind>-<version>.<group>" (".kopp.dev" appended while the group has no dot).
template <Resource K>
[[nodiscard]] AdmissionWebhook admission_webhook_for(AdmissionWebhookType type, std::string path) {
  using t = resource_traits<K>;
  AdmissionWebhook webhook;
  webhook.type = type;
  webhook.path = std::move(path);
  std::string kind;
  for (char c : t::kind) kind += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  const std::string group(t::group);
  const std::string domain =
      group.empty() ? "kopp.dev" : (group.find('.') == std::string::npos ? group + ".kopp.dev" : group);
  webhook.name = std::string(type == AdmissionWebhookType::validating ? "v" : "m") + kind + "-" +
                 std::string(t::version) + "." + domain;
  WebhookRule rule;
  rule.api_group = group;
  rule.api_version = std::string(t::version);
  rule.resource = std::string(t::plural);
  rule.scope = t::namespaced ? "Namespaced" : "Cluster";
  webhook.rules.push_back(std::move(rule));
  return webhook;
}

/// How the API server reaches the webhook server: a Service in the cluster, or a URL.
struct WebhookClientConfig {
  /// In a cluster: the Service in front of the webhook server (kubebuilder's
  /// "webhook-service"); paths are appended per webhook.
  std::string service_namespace;
  std::string service_name;
  int service_port = 443;
  /// Outside a cluster: the server's base URL ("https://127.0.0.1:9443"); paths appended.
  std::string url;
  /// PEM of the CA that signed the server's certificate; "" leaves caBundle out (cert-
  /// manager's CA injector fills it from the cert-manager.io/inject-ca-from annotation).
  std::string ca_bundle_pem;
};

/// The ValidatingWebhookConfiguration (or Mutating...) named `name` with the webhooks of
/// `type` among `webhooks`. `annotations` are added to its metadata (for example
/// cert-manager.io/inject-ca-from). Throws std::invalid_argument naming the problem: no
/// webhook of that type, a name without two dots, a path not starting with '/', a timeout
/// outside 1..30 s, or a client config with both or neither of a service and a URL.
[[nodiscard]] boost::json::object webhook_configuration(AdmissionWebhookType type, const std::string& name,
                                                        const std::vector<AdmissionWebhook>& webhooks,
                                                        const WebhookClientConfig& client,
                                                        const boost::json::object& annotations = {});

/// Both configurations for `webhooks` (validating first), leaving out a type with none.
[[nodiscard]] std::vector<boost::json::value> webhook_configurations(const std::string& name,
                                                                     const std::vector<AdmissionWebhook>& webhooks,
                                                                     const WebhookClientConfig& client,
                                                                     const boost::json::object& annotations = {});

}  // namespace kopp

#if KOPP_HEADER_ONLY
#include <kopp/runtime/webhook/impl/webhook_configuration.ipp>
#endif
