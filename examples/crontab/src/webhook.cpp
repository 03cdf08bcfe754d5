#include <crontab/plan.hpp>
#include <crontab/v2beta1.hpp>
#include <crontab/webhook.hpp>

#include <kopp/core/json.hpp>

#include <string_view>
#include <utility>

namespace crontab {

namespace {

/// validate()'s message ("spec.cronSpec: minute 61 ...", "spec.image is required") as a
/// field cause, so kubectl prints `The CronTab "x" is invalid: spec.cronSpec: ...`.
kopp::Verdict invalid(const std::string& message) {
  const auto end = message.find_first_of(": ");
  const std::string_view field = std::string_view(message).substr(0, end);
  if (end == std::string::npos || !(field.starts_with("spec.") || field.starts_with("metadata.")))
    return kopp::Verdict::invalid({{"", message}});
  const auto text = message.find_first_not_of(": ", end);
  return kopp::Verdict::invalid({{std::string(field), message.substr(text == std::string::npos ? end : text)}});
}

}  // namespace

void CronTabDefaulter::default_object(CronTab& crontab, const kopp::AdmissionRequest&) {
  if (crontab.spec.image.empty()) crontab.spec.image = default_image_;
}

kopp::Verdict CronTabValidator::validate_create(const CronTab& crontab, const kopp::AdmissionRequest&) {
  if (auto problem = validate(crontab)) return invalid(*problem);
  return kopp::Verdict::allow();
}

kopp::Verdict CronTabValidator::validate_update(const CronTab& old_crontab, const CronTab& crontab,
                                                const kopp::AdmissionRequest&) {
  // A CronTab stored before the webhook existed may be invalid; an update that leaves its
  // spec alone (labels, annotations, finalizers) must still pass, or it could never be
  // relabelled or finalized.
  if (kopp::to_json(old_crontab.spec) == kopp::to_json(crontab.spec)) return kopp::Verdict::allow();
  if (auto problem = validate(crontab)) return invalid(*problem);
  return kopp::Verdict::allow();
}

void add_webhooks(kopp::WebhookBuilder<CronTab> builder, std::string default_image) {
  builder.defaulter(std::make_shared<CronTabDefaulter>(std::move(default_image)))
      .validator(std::make_shared<CronTabValidator>())
      .timeout_seconds(5)
      .build();
}

void add_conversions(kopp::ConversionBuilder<CronTab> builder) {
  builder.spoke<v2beta1::CronTab>(v2beta1::to_v1, v2beta1::from_v1).build();
}

std::vector<boost::json::value> webhook_manifests() {
  kopp::WebhookDeclarations declarations;
  add_webhooks(declarations.webhook<CronTab>(), "");
  kopp::WebhookClientConfig service;
  service.service_namespace = "crontab-system";
  service.service_name = "crontab-operator-webhook-service";
  return kopp::webhook_configurations("crontab-operator-webhook-configuration", declarations.admission_webhooks(),
                                      service, {{"cert-manager.io/inject-ca-from", "crontab-system/serving-cert"}});
}

}  // namespace crontab
