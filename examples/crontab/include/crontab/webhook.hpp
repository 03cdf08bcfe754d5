#pragma once
// The CronTab webhooks, as in kubebuilder's CronJob tutorial:
// - a defaulter: a CronTab without an image gets the operator's --default-image, a default
//   the CRD schema cannot hold because it is the cluster operator's setting, not the API's;
// - a validator: the schedule must parse and fire (a 61st minute or February 30th passes
//   the schema's pattern), and the spec's other rules (plan.hpp's validate()), so a bad
//   CronTab is refused by kubectl apply instead of being stored and reported InvalidSpec;
// - the conversion between v1 (the hub, stored) and v2beta1 (v2beta1.hpp).
//
// The same add_webhooks() declares them for the server (main(): manager.webhook<CronTab>())
// and for config/webhook/manifests.yaml (webhook_manifests(): a kopp::WebhookDeclarations).

#include <crontab/types.hpp>

#include <kopp/runtime/webhook/admission_webhook.hpp>
#include <kopp/runtime/webhook/conversion.hpp>

#include <boost/json/value.hpp>

#include <string>
#include <vector>

namespace crontab {

class CronTabDefaulter final : public kopp::Defaulter<CronTab> {
 public:
  /// "" defaults nothing (the validator then refuses a CronTab without an image).
  explicit CronTabDefaulter(std::string default_image) : default_image_(std::move(default_image)) {}
  void default_object(CronTab& crontab, const kopp::AdmissionRequest& request) override;

 private:
  std::string default_image_;
};

class CronTabValidator final : public kopp::Validator<CronTab> {
 public:
  kopp::Verdict validate_create(const CronTab& crontab, const kopp::AdmissionRequest& request) override;
  kopp::Verdict validate_update(const CronTab& old_crontab, const CronTab& crontab,
                                const kopp::AdmissionRequest& request) override;
};

/// Declares the defaulting and validating webhooks on `builder`.
void add_webhooks(kopp::WebhookBuilder<CronTab> builder, std::string default_image);

/// Declares v1 the hub and v2beta1 its spoke on `builder` (manager.conversion<CronTab>()).
void add_conversions(kopp::ConversionBuilder<CronTab> builder);

/// config/webhook/manifests.yaml: the Mutating- and ValidatingWebhookConfiguration for the
/// Service of config/webhook, their caBundle injected by cert-manager.
std::vector<boost::json::value> webhook_manifests();

}  // namespace crontab
