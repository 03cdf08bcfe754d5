// A whole Manager on the fake cluster: informers, a controller, leader election on a
// Lease, events and garbage collection, through ManagerOptions::transport.

#include <kopp/api/core/v1.hpp>
#include <kopp/client.hpp>
#include <kopp/core/owner_reference.hpp>
#include <kopp/runtime/manager/manager.hpp>
#include <kopp/testing/fake_cluster.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

namespace {

using kopp::api::core::v1::ConfigMap;
using kopp::testing::FakeCluster;
using namespace std::chrono_literals;

/// Keeps a "<name>-copy" ConfigMap, controlled by its source, with the source's data.
class Copier : public kopp::Reconciler<ConfigMap> {
 public:
  std::atomic<int> reconciles{0};

  boost::asio::awaitable<kopp::Action> reconcile(std::shared_ptr<const ConfigMap> source, kopp::Context& ctx) override {
    ++reconciles;
    kopp::Api<ConfigMap> config_maps(ctx.client(), source->metadata.namespace_);
    const std::string name = source->metadata.name + "-copy";
    auto existing = co_await config_maps.get_opt(name);
    ConfigMap copy = existing ? *existing : ConfigMap();
    copy.metadata.name = name;
    copy.data = source->data;
    if (!existing) {
      kopp::set_controller_reference(*source, copy);
      co_await config_maps.create(copy);
      ctx.recorder().post(*source, kopp::EventType::normal, "Copied", "Copy", "made " + name);
    } else if (existing->data != source->data) {
      co_await config_maps.replace(copy);
    }
    co_return kopp::Action::done();
  }
};

bool eventually(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return condition();
}

}  // namespace

TEST_CASE("a Manager runs its controller on the fake cluster, behind leader election", "[fake_cluster]") {
  FakeCluster cluster;
  kopp::ManagerOptions options;
  options.transport = cluster.transport_factory();
  options.handle_signals = false;
  options.threads = 2;
  options.leader_election = true;
  options.leader_election_id = "copier";
  options.graceful_shutdown_timeout = 5s;
  kopp::Manager manager(FakeCluster::config(), options);
  auto copier = std::make_shared<Copier>();
  manager.controller<ConfigMap>("copier").label_selector("copy=yes").build(copier);
  int exit_code = -1;
  std::thread runner([&] { exit_code = manager.run(); });

  kopp::testing::FakeApiServer& server = cluster.server();
  REQUIRE(eventually([&] { return manager.ready(); }));
  kopp::testing::FakeRequest create;
  create.method = boost::beast::http::verb::post;
  create.target = "/api/v1/namespaces/default/configmaps";
  create.body = R"({"metadata":{"name":"source","labels":{"copy":"yes"}},"data":{"k":"one"}})";
  REQUIRE(server.handle(create).status == 201);

  const auto copy_value = [&]() -> std::string {
    const auto copy = server.object("/api/v1/namespaces/default/configmaps/source-copy");
    return copy ? std::string(copy->at("data").at("k").as_string()) : std::string();
  };
  CHECK(eventually([&] { return copy_value() == "one"; }));
  const auto copy = server.object("/api/v1/namespaces/default/configmaps/source-copy");
  REQUIRE(copy);
  CHECK(copy->at("metadata").at("ownerReferences").at(0).at("name") == "source");
  CHECK(server.object("/apis/coordination.k8s.io/v1/namespaces/default/leases/copier"));
  // The recorder writes its Event through the same client.
  CHECK(eventually([&] {
    return cluster.count(kopp::testing::RequestMatch().verb(boost::beast::http::verb::post).on("events")) >= 1;
  }));

  kopp::testing::FakeRequest update;
  update.method = boost::beast::http::verb::patch;
  update.target = "/api/v1/namespaces/default/configmaps/source";
  update.content_type = "application/merge-patch+json";
  update.body = R"({"data":{"k":"two"}})";
  REQUIRE(server.handle(update).status == 200);
  CHECK(eventually([&] { return copy_value() == "two"; }));

  // Deleting the source collects its copy (background propagation).
  kopp::testing::FakeRequest erase;
  erase.method = boost::beast::http::verb::delete_;
  erase.target = "/api/v1/namespaces/default/configmaps/source";
  REQUIRE(server.handle(erase).status == 200);
  CHECK_FALSE(server.object("/api/v1/namespaces/default/configmaps/source-copy"));

  manager.request_stop();
  runner.join();
  CHECK(exit_code == 0);
  CHECK(copier->reconciles.load() >= 2);
}
