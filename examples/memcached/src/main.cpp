// memcached-operator: runs memcached for every Memcached object.
//
//   memcached-operator [--kubeconfig FILE] [--namespace NS] [--leader-elect]
//                      [--operator-namespace NS] [--max-pods-per-namespace N]
//                      [--webhook-bind-address ADDR] [--webhook-cert-dir DIR] ...
//                      (--help lists every flag)
//
// Outside a cluster it uses --kubeconfig, $KUBECONFIG or ~/.kube/config; inside, the pod's
// ServiceAccount. It serves the validating webhook (src/webhook.cpp) on
// --webhook-bind-address (:9443; "0" runs without it). SIGTERM stops it gracefully (exit 0).

#include <memcached/reconciler.hpp>
#include <memcached/webhook.hpp>

#include <kopp/client/in_cluster.hpp>
#include <kopp/runtime/manager/operator_flags.hpp>

#include <cstdint>
#include <iostream>
#include <memory>
#include <string>

int main(int argc, char** argv) {
  kopp::OperatorFlags flags(
      "memcached-operator",
      "Runs memcached Deployments and Services for Memcached objects (cache.example.com/v1alpha1).");
  std::string operator_namespace = kopp::pod_namespace().value_or("default");
  flags.add_string("operator-namespace", operator_namespace,
                   "Namespace of the inventory ConfigMap: the operator's own namespace (in a cluster, the pod's).");
  std::int64_t max_pods = memcached::default_max_pods_per_namespace;
  flags.add_int("max-pods-per-namespace", max_pods,
                "The validating webhook refuses a Memcached that would bring its namespace's memcached pods "
                "over this many.");
  flags.parse(argc, argv);  // --help: usage, exit 0; a bad flag: usage on stderr, exit 2
  if (max_pods < 1) {
    std::cerr << "memcached-operator: --max-pods-per-namespace must be at least 1\n";
    return 2;
  }

  try {
    kopp::ManagerOptions options = flags.manager_options();
    options.reporting_controller = std::string(memcached::reporting_controller);
    kopp::Manager manager(flags.load_config(), options);
    memcached::ReconcilerOptions reconciler;
    reconciler.operator_namespace = operator_namespace;
    memcached::make_controller(manager, reconciler);
    if (flags.webhook_bind_address != "0") {
      // The controller's own informer (the factory shares it): the webhook adds no watch.
      auto instances = memcached::instances_in_cache(manager.informers().get<memcached::Memcached>(options.namespace_));
      memcached::add_webhook(manager.webhook<memcached::Memcached>(),
                             std::make_shared<memcached::PodBudgetValidator>(max_pods, std::move(instances)));
    }
    return manager.run();
  } catch (const std::exception& e) {
    std::cerr << "memcached-operator: " << e.what() << "\n";
    return 1;
  }
}
