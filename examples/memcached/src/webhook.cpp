#include <memcached/webhook.hpp>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>

namespace memcached {

NamespaceInstances instances_in_cache(std::shared_ptr<kopp::Informer<Memcached>> informer) {
  if (!informer) throw std::invalid_argument("instances_in_cache(nullptr)");
  return [informer = std::move(informer)](
             std::string_view ns) -> std::optional<std::vector<std::shared_ptr<const Memcached>>> {
    if (!informer->has_synced()) return std::nullopt;
    return informer->store().list(ns);
  };
}

PodBudgetValidator::PodBudgetValidator(std::int64_t max_pods_per_namespace, NamespaceInstances instances)
    : budget_(max_pods_per_namespace), instances_(std::move(instances)) {
  if (budget_ < 1)
    throw std::invalid_argument("the memcached pod budget per namespace must be at least 1, not " +
                                std::to_string(budget_));
  if (!instances_) throw std::invalid_argument("PodBudgetValidator: no NamespaceInstances");
}

kopp::Verdict PodBudgetValidator::validate_create(const Memcached& memcached, const kopp::AdmissionRequest&) {
  return check(memcached);
}

kopp::Verdict PodBudgetValidator::validate_update(const Memcached& old_memcached, const Memcached& memcached,
                                                  const kopp::AdmissionRequest&) {
  if (memcached.spec.size <= old_memcached.spec.size) return kopp::Verdict::allow();
  return check(memcached);
}

kopp::Verdict PodBudgetValidator::check(const Memcached& memcached) const {
  const auto& ns = memcached.metadata.namespace_;
  const auto cached = instances_(ns);
  // 503: the API server then fails the request (failurePolicy Fail) and the client retries.
  if (!cached) return kopp::Verdict::error(503, "the operator's Memcached cache has not synced yet; retry shortly");

  // The others: not this object (an update's old copy is in the cache), not those being
  // deleted (their pods are going away).
  std::vector<std::pair<std::string, std::int64_t>> others;
  std::int64_t pods = memcached.spec.size;
  for (const auto& other : *cached) {
    if (other->metadata.name == memcached.metadata.name || other->metadata.deletionTimestamp) continue;
    others.emplace_back(other->metadata.name, other->spec.size);
    pods += other->spec.size;
  }
  if (pods <= budget_) return kopp::Verdict::allow();

  std::sort(others.begin(), others.end());
  std::string listed;
  constexpr std::size_t max_listed = 5;
  for (std::size_t i = 0; i < others.size() && i < max_listed; ++i)
    listed += (i ? ", " : "") + others[i].first + " (" + std::to_string(others[i].second) + ")";
  if (others.size() > max_listed) listed += ", and " + std::to_string(others.size() - max_listed) + " more";
  return kopp::Verdict::invalid(
      {{"spec.size", std::to_string(memcached.spec.size) + " would bring the memcached pods of namespace " + ns +
                         " to " + std::to_string(pods) + ", over its budget of " + std::to_string(budget_) +
                         " (the others: " + listed + ")"}});
}

void add_webhook(kopp::WebhookBuilder<Memcached> builder, std::shared_ptr<PodBudgetValidator> validator) {
  builder
      .validator(std::move(validator))
      // The validator reads only the cache: it answers in microseconds.
      .timeout_seconds(5)
      // Fail: while the operator is down, Memcacheds cannot be created or grown (they would
      // not be reconciled either). Writes of other kinds never reach this webhook.
      .failure_policy(kopp::FailurePolicy::fail)
      .build();
}

std::vector<boost::json::value> webhook_manifests() {
  kopp::WebhookDeclarations declarations;
  add_webhook(declarations.webhook<Memcached>(),
              std::make_shared<PodBudgetValidator>(default_max_pods_per_namespace,
                                                   [](std::string_view) { return std::nullopt; }));
  kopp::WebhookClientConfig service;
  service.service_namespace = "memcached-operator-system";
  service.service_name = "memcached-operator-webhook-service";
  return kopp::webhook_configurations("memcached-operator-validating-webhook-configuration",
                                      declarations.admission_webhooks(), service,
                                      {{"cert-manager.io/inject-ca-from", "memcached-operator-system/serving-cert"}});
}

}  // namespace memcached
