#pragma once
// The Memcached validating webhook: a budget of memcached pods per namespace, a rule a CRD
// schema cannot express because it depends on the namespace's other Memcacheds.
//
// A create, or an update that grows spec.size, is refused (422, field spec.size) when the
// sizes of the namespace's Memcacheds would add up to more than the budget. Updates that
// do not grow the size always pass, so a namespace already over a lowered budget can still
// scale down, and the operator's own writes (finalizers) are never refused.
//
// The validator reads the other Memcacheds from the operator's informer cache (the one the
// controller reads), so it answers without calling the API server. The cache lags writes by
// milliseconds: two creates racing in one namespace can both pass. This is a guard against
// mistakes, not a quota; Kubernetes' ResourceQuota is the hard limit.

#include <memcached/types.hpp>

#include <kopp/runtime/cache/informer.hpp>
#include <kopp/runtime/webhook/admission_webhook.hpp>

#include <boost/json/value.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

namespace memcached {

using v1alpha1::Memcached;

inline constexpr std::int64_t default_max_pods_per_namespace = 20;

/// The Memcacheds of a namespace as the operator's cache holds them; std::nullopt while the
/// cache has not synced (the validator then refuses rather than guesses).
using NamespaceInstances =
    std::function<std::optional<std::vector<std::shared_ptr<const Memcached>>>(std::string_view ns)>;

/// NamespaceInstances read from `informer` (the controller's, shared through the manager's
/// InformerFactory). A namespace the informer does not watch has no instances.
NamespaceInstances instances_in_cache(std::shared_ptr<kopp::Informer<Memcached>> informer);

class PodBudgetValidator final : public kopp::Validator<Memcached> {
 public:
  /// Throws std::invalid_argument for a budget below 1 or no `instances`.
  PodBudgetValidator(std::int64_t max_pods_per_namespace, NamespaceInstances instances);

  kopp::Verdict validate_create(const Memcached& memcached, const kopp::AdmissionRequest& request) override;
  kopp::Verdict validate_update(const Memcached& old_memcached, const Memcached& memcached,
                                const kopp::AdmissionRequest& request) override;

 private:
  kopp::Verdict check(const Memcached& memcached) const;

  std::int64_t budget_;
  NamespaceInstances instances_;
};

/// Declares the validating webhook on `builder`: main() passes manager.webhook<Memcached>(),
/// webhook_manifests() a kopp::WebhookDeclarations' builder, so config/webhook/ names what
/// the server serves.
void add_webhook(kopp::WebhookBuilder<Memcached> builder, std::shared_ptr<PodBudgetValidator> validator);

/// config/webhook/manifests.yaml: the ValidatingWebhookConfiguration that sends Memcached
/// creates and updates to the Service of config/webhook, its caBundle filled in by
/// cert-manager's CA injector from the Certificate of config/certmanager.
std::vector<boost::json::value> webhook_manifests();

}  // namespace memcached
