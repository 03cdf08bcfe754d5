// crontab-operator: runs a Job on a cron schedule for every CronTab (example.com/v1).
//
//   crontab-operator [--kubeconfig FILE] [--namespace NS] [--leader-elect] [--default-image IMAGE]
//                    [--webhook-bind-address ADDR] [--webhook-cert-dir DIR] ...
//                    (--help lists every flag)
//
// Outside a cluster it uses --kubeconfig, $KUBECONFIG or ~/.kube/config; inside, the pod's
// ServiceAccount. It serves the defaulting, validating and conversion webhooks
// (src/webhook.cpp) on --webhook-bind-address (:9443; "0" runs without them). SIGTERM
// stops it gracefully (exit 0); a restarted operator picks up where it left off, because
// the Job of a run has a deterministic name.

#include <crontab/reconciler.hpp>
#include <crontab/webhook.hpp>

#include <kopp/runtime/manager/operator_flags.hpp>

#include <exception>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  kopp::OperatorFlags flags("crontab-operator",
                            "Runs a container image as a Job on a cron schedule for every CronTab (example.com/v1).");
  std::int64_t workers = 2;
  flags.add_int("max-concurrent-reconciles", workers, "CronTabs reconciled at once.");
  std::string default_image;
  flags.add_string("default-image", default_image,
                   "The image the defaulting webhook gives a CronTab that names none (\"\": none; such a "
                   "CronTab is refused).");
  flags.parse(argc, argv);  // --help: usage, exit 0; a bad flag: usage on stderr, exit 2
  if (workers < 1 || workers > 64) {
    std::cerr << "crontab-operator: --max-concurrent-reconciles must be between 1 and 64\n";
    return 2;
  }

  try {
    kopp::ManagerOptions options = flags.manager_options();
    options.reporting_controller = std::string(crontab::reporting_controller);
    kopp::Manager manager(flags.load_config(), options);
    crontab::ReconcilerOptions reconciler;
    reconciler.clock = std::make_shared<crontab::SystemWallClock>();
    crontab::make_controller(manager, reconciler, static_cast<int>(workers));
    if (flags.webhook_bind_address != "0") {
      crontab::add_webhooks(manager.webhook<crontab::CronTab>(), default_image);
      crontab::add_conversions(manager.conversion<crontab::CronTab>());
    }
    return manager.run();
  } catch (const std::exception& e) {
    std::cerr << "crontab-operator: " << e.what() << "\n";
    return 1;
  }
}
