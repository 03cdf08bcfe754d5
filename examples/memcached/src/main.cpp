// memcached-operator: runs memcached for every Memcached object.
//
//   memcached-operator [--kubeconfig FILE] [--namespace NS] [--leader-elect]
//                      [--operator-namespace NS] ...        (--help lists every flag)
//
// Outside a cluster it uses --kubeconfig, $KUBECONFIG or ~/.kube/config; inside, the pod's
// ServiceAccount. SIGTERM stops it gracefully (exit 0).

#include <memcached/reconciler.hpp>

#include <kopp/client/in_cluster.hpp>
#include <kopp/runtime/manager/operator_flags.hpp>

#include <iostream>
#include <string>

int main(int argc, char** argv) {
  kopp::OperatorFlags flags(
      "memcached-operator",
      "Runs memcached Deployments and Services for Memcached objects (cache.example.com/v1alpha1).");
  std::string operator_namespace = kopp::pod_namespace().value_or("default");
  flags.add_string("operator-namespace", operator_namespace,
                   "Namespace of the inventory ConfigMap: the operator's own namespace (in a cluster, the pod's).");
  flags.parse(argc, argv);  // --help: usage, exit 0; a bad flag: usage on stderr, exit 2

  try {
    kopp::ManagerOptions options = flags.manager_options();
    options.reporting_controller = std::string(memcached::reporting_controller);
    kopp::Manager manager(flags.load_config(), options);
    memcached::ReconcilerOptions reconciler;
    reconciler.operator_namespace = operator_namespace;
    memcached::make_controller(manager, reconciler);
    return manager.run();
  } catch (const std::exception& e) {
    std::cerr << "memcached-operator: " << e.what() << "\n";
    return 1;
  }
}
