// docs/webhooks.md's examples, compiled (tools/docs/snippets.py keeps the two equal).
#include <kopp/api/apps/v1.hpp>
#include <kopp/runtime/manager/manager.hpp>

#include <memory>

using Deployment = kopp::api::apps::v1::Deployment;

// [doc:validator]
class DeploymentValidator : public kopp::Validator<Deployment> {
 public:
  kopp::Verdict validate_create(const Deployment& d, const kopp::AdmissionRequest&) override { return check(d); }
  kopp::Verdict validate_update(const Deployment& old, const Deployment& d, const kopp::AdmissionRequest&) override {
    if (old.spec.selector.matchLabels != d.spec.selector.matchLabels)
      return kopp::Verdict::deny("spec.selector is immutable");
    return check(d);
  }
  // validate_delete: allowed unless overridden.

 private:
  static kopp::Verdict check(const Deployment& d) {
    if (d.spec.replicas && *d.spec.replicas > 50)
      return kopp::Verdict::invalid({{"spec.replicas", "must be at most 50"}});
    kopp::Verdict ok = kopp::Verdict::allow();
    if (!d.metadata.labels.contains("team")) ok.warn("metadata.labels.team is not set");
    return ok;
  }
};
// [/doc]

int register_webhooks(kopp::Config config) {
  // [doc:manager]
  kopp::ManagerOptions options;
  options.webhook_bind_address = ":9443";                              // controller-runtime's port
  options.webhook_cert_dir = "/tmp/k8s-webhook-server/serving-certs";  // tls.crt, tls.key
  kopp::Manager manager(std::move(config), options);

  manager.webhook<Deployment>()
      .defaulter([](Deployment& d, const kopp::AdmissionRequest&) {
        if (!d.spec.revisionHistoryLimit) d.spec.revisionHistoryLimit = 3;
      })
      .validator(std::make_shared<DeploymentValidator>())
      .build();  // serves /mutate-apps-v1-deployment and /validate-apps-v1-deployment
  return manager.run();
  // [/doc]
}
