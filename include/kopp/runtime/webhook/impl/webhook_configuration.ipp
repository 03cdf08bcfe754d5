#pragma once

#include <kopp/runtime/webhook/webhook_configuration.hpp>

#include <kopp/client/detail/pem.hpp>

#include <algorithm>
#include <stdexcept>

namespace kopp {
namespace webhook_configuration_detail {

inline boost::json::array strings(const std::vector<std::string>& values) {
  boost::json::array out;
  for (const auto& v : values) out.emplace_back(v);
  return out;
}

inline boost::json::object client_config(const WebhookClientConfig& client, const AdmissionWebhook& webhook) {
  boost::json::object out;
  if (!client.url.empty()) {
    std::string base = client.url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    out["url"] = base + webhook.path;
  } else {
    out["service"] = boost::json::object{{"namespace", client.service_namespace},
                                         {"name", client.service_name},
                                         {"path", webhook.path},
                                         {"port", client.service_port}};
  }
  if (!client.ca_bundle_pem.empty()) out["caBundle"] = detail::base64_encode(client.ca_bundle_pem);
  return out;
}

inline void check(const AdmissionWebhook& webhook) {
  const auto what = "webhook '" + webhook.name + "'";
  if (std::count(webhook.name.begin(), webhook.name.end(), '.') < 2)
    throw std::invalid_argument(what +
                                ": the name must be fully qualified, with at least three segments "
                                "(\"vmemcached-v1.cache.example.com\")");
  if (webhook.path.empty() || webhook.path.front() != '/')
    throw std::invalid_argument(what + ": path '" + webhook.path + "' must start with '/'");
  if (webhook.rules.empty()) throw std::invalid_argument(what + ": no rules: it would never be called");
  if (webhook.timeout_seconds < 1 || webhook.timeout_seconds > 30)
    throw std::invalid_argument(what + ": timeout_seconds " + std::to_string(webhook.timeout_seconds) +
                                " is outside 1..30");
  if (webhook.side_effects != "None" && webhook.side_effects != "NoneOnDryRun")
    throw std::invalid_argument(what + ": side_effects '" + webhook.side_effects +
                                "' must be None or NoneOnDryRun (admissionregistration.k8s.io/v1)");
}

}  // namespace webhook_configuration_detail

KOPP_DECL boost::json::object webhook_configuration(AdmissionWebhookType type, const std::string& name,
                                                    const std::vector<AdmissionWebhook>& webhooks,
                                                    const WebhookClientConfig& client,
                                                    const boost::json::object& annotations) {
  namespace d = webhook_configuration_detail;
  const bool has_service = !client.service_name.empty() || !client.service_namespace.empty();
  if (has_service == !client.url.empty())
    throw std::invalid_argument("webhook configuration '" + name +
                                "': give either a service (namespace and name) or a URL, not " +
                                (has_service ? "both" : "neither"));
  if (has_service && (client.service_name.empty() || client.service_namespace.empty()))
    throw std::invalid_argument("webhook configuration '" + name + "': the service needs a namespace and a name");
  if (!client.url.empty() && client.url.rfind("https://", 0) != 0)
    throw std::invalid_argument("webhook configuration '" + name + "': the URL '" + client.url +
                                "' must be https:// (the API server calls webhooks over TLS only)");
  boost::json::array entries;
  for (const auto& webhook : webhooks) {
    if (webhook.type != type) continue;
    d::check(webhook);
    boost::json::array rules;
    for (const auto& rule : webhook.rules)
      rules.push_back(boost::json::object{{"operations", d::strings(rule.operations)},
                                          {"apiGroups", boost::json::array{boost::json::string(rule.api_group)}},
                                          {"apiVersions", boost::json::array{boost::json::string(rule.api_version)}},
                                          {"resources", boost::json::array{boost::json::string(rule.resource)}},
                                          {"scope", rule.scope}});
    boost::json::object entry{{"name", webhook.name},
                              {"clientConfig", d::client_config(client, webhook)},
                              {"rules", std::move(rules)},
                              {"failurePolicy", webhook.failure_policy == FailurePolicy::fail ? "Fail" : "Ignore"},
                              {"sideEffects", webhook.side_effects},
                              {"admissionReviewVersions", boost::json::array{"v1"}},
                              {"timeoutSeconds", webhook.timeout_seconds},
                              {"matchPolicy", "Equivalent"}};
    if (!webhook.namespace_selector.empty()) entry["namespaceSelector"] = webhook.namespace_selector;
    if (!webhook.object_selector.empty()) entry["objectSelector"] = webhook.object_selector;
    if (!webhook.match_conditions.empty()) {
      boost::json::array conditions;
      for (const auto& c : webhook.match_conditions)
        conditions.push_back(boost::json::object{{"name", c.name}, {"expression", c.expression}});
      entry["matchConditions"] = std::move(conditions);
    }
    if (type == AdmissionWebhookType::mutating) entry["reinvocationPolicy"] = webhook.reinvocation_policy;
    entries.push_back(std::move(entry));
  }
  const char* kind =
      type == AdmissionWebhookType::validating ? "ValidatingWebhookConfiguration" : "MutatingWebhookConfiguration";
  if (entries.empty())
    throw std::invalid_argument("webhook configuration '" + name + "': no " +
                                (type == AdmissionWebhookType::validating ? "validating" : "mutating") +
                                " webhook was declared");
  boost::json::object metadata{{"name", name}};
  if (!annotations.empty()) metadata["annotations"] = annotations;
  return boost::json::object{{"apiVersion", "admissionregistration.k8s.io/v1"},
                             {"kind", kind},
                             {"metadata", std::move(metadata)},
                             {"webhooks", std::move(entries)}};
}

KOPP_DECL std::vector<boost::json::value> webhook_configurations(const std::string& name,
                                                                 const std::vector<AdmissionWebhook>& webhooks,
                                                                 const WebhookClientConfig& client,
                                                                 const boost::json::object& annotations) {
  std::vector<boost::json::value> out;
  for (auto type : {AdmissionWebhookType::validating, AdmissionWebhookType::mutating}) {
    const bool any = std::any_of(webhooks.begin(), webhooks.end(), [&](const auto& w) { return w.type == type; });
    if (any) out.emplace_back(webhook_configuration(type, name, webhooks, client, annotations));
  }
  if (out.empty()) throw std::invalid_argument("webhook configurations '" + name + "': no webhook was declared");
  return out;
}

}  // namespace kopp
