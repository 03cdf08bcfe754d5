// The Manager against the real kube-apiserver: probes, metrics, controllers started after
// sync, graceful stop; leader election between two managers.
#include "support/http_get.hpp"
#include "support/integration.hpp"

#include <kopp/runtime/manager/manager.hpp>

#include <thread>

using namespace kopp_test;
using boost::asio::awaitable;
using namespace std::chrono_literals;

namespace {

class CountingReconciler : public kopp::Reconciler<ConfigMap> {
 public:
  std::atomic<int> seen{0};
  awaitable<kopp::Action> reconcile(std::shared_ptr<const ConfigMap>, kopp::Context& ctx) override {
    ++seen;
    ctx.log().info("reconciled by the manager test");
    co_return kopp::Action::done();
  }
};

void create_configmap(const std::string& ns, const std::string& name, const std::string& label) {
  run<void>([&]() -> awaitable<void> {
    kopp::Client client(co_await boost::asio::this_coro::executor, admin_config());
    ConfigMap cm;
    cm.metadata.name = name;
    cm.metadata.labels["test"] = label;
    co_await kopp::Api<ConfigMap>(client, ns).create(cm);
  });
}

kopp::ManagerOptions options_for(const std::string& ns) {
  kopp::ManagerOptions options;
  options.namespace_ = ns;
  options.health_probe_bind_address = "127.0.0.1:0";
  options.metrics_bind_address = "127.0.0.1:0";
  options.handle_signals = false;
  options.threads = 2;
  options.graceful_shutdown_timeout = 5s;
  return options;
}

}  // namespace

TEST_CASE("manager: ready after sync, reconciles, serves metrics, stops gracefully", "[integration]") {
  TestNamespace ns("kopp-mgr");
  kopp::Manager manager(admin_config(), options_for(ns.name()));
  auto reconciler = std::make_shared<CountingReconciler>();
  manager.controller<ConfigMap>("manager-test").label_selector("test=manager").build(reconciler);
  int exit_code = -1;
  std::thread runner([&] { exit_code = manager.run(); });

  REQUIRE(eventually([&] { return manager.health_port() != 0; }));
  CHECK(http_get(manager.health_port(), "/healthz").first == 200);
  REQUIRE(eventually([&] { return http_get(manager.health_port(), "/readyz").first == 200; }));
  create_configmap(ns.name(), "one", "manager");
  CHECK(eventually([&] { return reconciler->seen.load() >= 1; }));

  const auto metrics = http_get(manager.metrics_port(), "/metrics");
  CHECK(metrics.first == 200);
  CHECK(metrics.second.find("controller_runtime_reconcile_total{controller=\"manager-test\",result=\"success\"}") !=
        std::string::npos);
  CHECK(metrics.second.find("controller_runtime_max_concurrent_reconciles{controller=\"manager-test\"} 1") !=
        std::string::npos);
  CHECK(metrics.second.find("kopp_informer_cached_objects{informer=") != std::string::npos);
  CHECK(metrics.second.find("rest_client_requests_total{code=\"200\",method=\"GET\",host=\"127.0.0.1:") !=
        std::string::npos);

  manager.request_stop();
  runner.join();
  CHECK(exit_code == 0);
  CHECK(http_get(manager.health_port(), "/healthz").first == 0);  // the probe server is gone
}

TEST_CASE("manager: with leader election only the leader reconciles; a graceful stop hands over", "[integration]") {
  TestNamespace ns("kopp-mgr-le");
  auto first_options = options_for(ns.name());
  first_options.leader_election = true;
  first_options.leader_election_id = "kopp-manager-test";
  first_options.leader_election_namespace = ns.name();
  auto second_options = first_options;

  kopp::Manager first(admin_config(), first_options);
  auto first_reconciler = std::make_shared<CountingReconciler>();
  first.add(first.controller<ConfigMap>("le-test").label_selector("test=le").build(first_reconciler));
  int first_exit = -1;
  std::thread first_runner([&] { first_exit = first.run(); });
  REQUIRE(eventually([&] { return first.ready(); }));
  create_configmap(ns.name(), "a", "le");
  REQUIRE(eventually([&] { return first_reconciler->seen.load() >= 1; }));

  kopp::Manager second(admin_config(), second_options);
  auto second_reconciler = std::make_shared<CountingReconciler>();
  second.add(second.controller<ConfigMap>("le-test").label_selector("test=le").build(second_reconciler));
  int second_exit = -1;
  std::thread second_runner([&] { second_exit = second.run(); });
  REQUIRE(eventually([&] { return second.ready(); }));
  std::this_thread::sleep_for(3s);  // more than a retry period: the follower tried and waits
  CHECK(second_reconciler->seen.load() == 0);

  const auto stopped_at = std::chrono::steady_clock::now();
  first.request_stop();
  first_runner.join();
  CHECK(first_exit == 0);
  // The released Lease is taken at once; the new leader reconciles what exists.
  CHECK(eventually([&] { return second_reconciler->seen.load() >= 1; }, 10s));
  const auto handover = std::chrono::steady_clock::now() - stopped_at;
  CHECK(handover < 8s);
  WARN("manager handover took " << std::chrono::duration<double>(handover).count() << " s");

  second.request_stop();
  second_runner.join();
  CHECK(second_exit == 0);
}
