// kopp::testing::eventually, wait_for and wait_for_condition on the fake cluster, and
// ManagerThread's start, readiness and stop.
#include <kopp/api/core/v1.hpp>
#include <kopp/client.hpp>
#include <kopp/testing/eventually.hpp>
#include <kopp/testing/fake_cluster.hpp>
#include <kopp/testing/manager_thread.hpp>
#include <kopp/testing/run.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace gadget_kind {
/// A kind with a status that holds conditions, served by the fake once its CRD exists.
struct GadgetStatus {
  std::vector<kopp::Condition> conditions;
};
BOOST_DESCRIBE_STRUCT(GadgetStatus, (), (conditions))
struct Gadget {
  std::string apiVersion, kind;
  kopp::ObjectMeta metadata;
  std::optional<GadgetStatus> status;
};
BOOST_DESCRIBE_STRUCT(Gadget, (), (apiVersion, kind, metadata, status))
KOPP_RESOURCE(Gadget, "example.com", "v1", "Gadget", "gadgets", namespaced)
}  // namespace gadget_kind

namespace {

using boost::asio::awaitable;
using gadget_kind::Gadget;
using kopp::api::core::v1::ConfigMap;
using kopp::testing::FakeCluster;
using namespace std::chrono_literals;

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("eventually polls until the condition holds, or answers false after the timeout", "[testing]") {
  int calls = 0;
  const bool held = kopp::testing::run([&]() -> awaitable<bool> {
    auto third_time = [&] { return ++calls == 3; };
    co_return co_await kopp::testing::eventually(third_time, 5s, 1ms);
  });
  CHECK(held);
  CHECK(calls == 3);

  const auto started = std::chrono::steady_clock::now();
  const bool never = kopp::testing::run([&]() -> awaitable<bool> {
    auto no = [] { return false; };
    co_return co_await kopp::testing::eventually(no, 30ms, 5ms);
  });
  CHECK_FALSE(never);
  CHECK(std::chrono::steady_clock::now() - started >= 30ms);
}

TEST_CASE("wait_for returns the object once the predicate holds; its timeout names what was awaited", "[testing]") {
  FakeCluster cluster;
  const std::string value = kopp::testing::run([&]() -> awaitable<std::string> {
    auto client = cluster.client(co_await boost::asio::this_coro::executor);
    kopp::Api<ConfigMap> config_maps(*client, "default");
    ConfigMap settings;
    settings.metadata.name = "settings";
    settings.data["mode"] = "slow";
    co_await config_maps.create(settings);
    // A writer elsewhere changes it a moment later.
    boost::asio::co_spawn(
        co_await boost::asio::this_coro::executor,
        [&]() -> awaitable<void> {
          boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, 20ms);
          co_await timer.async_wait(boost::asio::use_awaitable);
          settings.data["mode"] = "fast";
          co_await config_maps.replace(settings);
        },
        boost::asio::detached);
    auto fast = [](const ConfigMap& c) { return c.data.count("mode") && c.data.at("mode") == "fast"; };
    const ConfigMap seen = co_await kopp::testing::wait_for(config_maps, "settings", fast, "mode fast");
    co_return seen.data.at("mode");
  });
  CHECK(value == "fast");

  const std::string missing = error_of([&] {
    kopp::testing::run([&]() -> awaitable<void> {
      auto client = cluster.client(co_await boost::asio::this_coro::executor);
      kopp::Api<ConfigMap> config_maps(*client, "default");
      auto any = [](const ConfigMap&) { return true; };
      co_await kopp::testing::wait_for(config_maps, "absent", any, "anything", 30ms);
    });
  });
  CHECK(missing == "ConfigMap default/absent: does not exist, waited for anything within 30 ms");

  const std::string unmet = error_of([&] {
    kopp::testing::run([&]() -> awaitable<void> {
      auto client = cluster.client(co_await boost::asio::this_coro::executor);
      kopp::Api<ConfigMap> config_maps(*client, "default");
      auto never = [](const ConfigMap&) { return false; };
      co_await kopp::testing::wait_for(config_maps, "settings", never, "mode turbo", 30ms);
    });
  });
  CHECK(unmet == "ConfigMap default/settings: did not reach mode turbo within 30 ms");
}

TEST_CASE("wait_for_condition waits for a status condition's value", "[testing]") {
  FakeCluster cluster;
  kopp::testing::FakeRequest crd;
  crd.method = boost::beast::http::verb::post;
  crd.target = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
  crd.content_type = "application/json";
  crd.body = R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
    "metadata":{"name":"gadgets.example.com"},
    "spec":{"group":"example.com","scope":"Namespaced","names":{"plural":"gadgets","kind":"Gadget"},
     "versions":[{"name":"v1","served":true,"storage":true,"subresources":{"status":{}},
       "schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}]}})";
  REQUIRE(cluster.server().handle(crd).status == 201);
  const std::string reason = kopp::testing::run([&]() -> awaitable<std::string> {
    auto client = cluster.client(co_await boost::asio::this_coro::executor);
    kopp::Api<Gadget> gadgets(*client, "default");
    Gadget g;
    g.metadata.name = "g";
    co_await gadgets.create(g);
    boost::asio::co_spawn(
        co_await boost::asio::this_coro::executor,
        [&]() -> awaitable<void> {
          boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, 20ms);
          co_await timer.async_wait(boost::asio::use_awaitable);
          boost::json::object ready{{"type", "Ready"},
                                    {"status", "True"},
                                    {"reason", "Done"},
                                    {"message", ""},
                                    {"lastTransitionTime", "2026-01-01T00:00:00Z"}};
          boost::json::object body;
          body["status"] = boost::json::object{{"conditions", boost::json::array{ready}}};
          const auto patch = kopp::Patch::merge(body);
          co_await gadgets.patch_status("g", patch);
        },
        boost::asio::detached);
    const Gadget ready = co_await kopp::testing::wait_for_condition(gadgets, "g", "Ready");
    co_return kopp::find_status_condition(ready.status->conditions, "Ready")->reason;
  });
  CHECK(reason == "Done");
}

TEST_CASE("ManagerThread runs a manager until stop() and gives its exit code", "[testing]") {
  FakeCluster cluster;
  kopp::ManagerOptions options;
  options.transport = cluster.transport_factory();
  options.handle_signals = false;
  kopp::Manager manager(FakeCluster::config(), options);
  kopp::testing::ManagerThread running(manager);
  CHECK(running.wait_ready());
  CHECK(running.stop() == 0);
  CHECK(running.stop() == 0);  // again: the same answer
  CHECK_FALSE(manager.ready());
}
