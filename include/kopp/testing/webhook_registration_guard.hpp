#pragma once
// kopp::testing::WebhookRegistrationGuard: puts back what a self-registering Manager changed
// on a control plane that several tests share.
//
// A Manager with ManagerOptions::webhook_configuration_name registers its webhooks itself:
// it applies Validating/MutatingWebhookConfigurations of that name, and points the
// conversion of every CRD it serves /convert for at its own https://127.0.0.1:<port>. When
// the test's Manager stops, those point at a server that is gone: a later test's writes of
// those kinds are refused (failurePolicy Fail), and reading a CRD's objects in another
// version fails. Make a guard before the Manager, so that it is destroyed after it:
//
//   const kopp::testing::WebhookRegistrationGuard guard(plane, options.webhook_configuration_name,
//                                                       {"memcacheds.cache.example.com"});
//   kopp::Manager manager(plane.admin_config(), options);
//
// It records each CRD's spec.conversion when made, and when destroyed (however the test
// ends) deletes the configurations and puts each conversion back as it was. Tests that run
// at the same time on one control plane would put back each other's registrations: run
// such tests one after the other (as one test executable does).

#include <kopp/testing/control_plane.hpp>

#include <string>
#include <utility>
#include <vector>

namespace kopp::testing {

class WebhookRegistrationGuard {
 public:
  /// Records the conversion of each CRD in `crd_names` (throws ControlPlaneError when one is
  /// not installed). `plane` must outlive the guard.
  WebhookRegistrationGuard(const ControlPlane& plane, std::string configuration_name,
                           const std::vector<std::string>& crd_names)
      : plane_(plane), configuration_name_(std::move(configuration_name)) {
    for (const auto& crd : crd_names)
      conversions_.emplace_back(crd, plane_.kubectl({"get", "crd", crd, "-o", "jsonpath={.spec.conversion}"}));
  }
  WebhookRegistrationGuard(const WebhookRegistrationGuard&) = delete;
  WebhookRegistrationGuard& operator=(const WebhookRegistrationGuard&) = delete;

  /// Deletes the configurations and restores the conversions. A failure is not reported (a
  /// destructor cannot throw); call restore() to see it.
  ~WebhookRegistrationGuard() {
    try {
      restore();
    } catch (...) {
    }
  }

  /// What the destructor does, once; throws ControlPlaneError when kubectl fails.
  void restore() {
    if (restored_) return;
    restored_ = true;
    for (const auto& [crd, conversion] : conversions_)
      plane_.kubectl({"patch", "crd", crd, "--type=json",
                      "-p=[{\"op\":\"replace\",\"path\":\"/spec/conversion\",\"value\":" + conversion + "}]"});
    if (!configuration_name_.empty())
      plane_.kubectl({"delete", "validatingwebhookconfiguration,mutatingwebhookconfiguration", configuration_name_,
                      "--ignore-not-found"});
  }

 private:
  const ControlPlane& plane_;
  std::string configuration_name_;
  std::vector<std::pair<std::string, std::string>> conversions_;  // CRD name, its spec.conversion as JSON
  bool restored_ = false;
};

}  // namespace kopp::testing
