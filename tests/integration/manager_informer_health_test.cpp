// A Manager whose informer cannot list or watch any more (its CRD was deleted) against the
// real kube-apiserver: the failures are logged (rate-limited), kopp_informer_healthy drops
// to 0, /readyz fails once the grace period passed, and all of it recovers when the CRD is
// back.
#include "support/http_get.hpp"
#include "support/integration.hpp"

#include <kopp/client/discovery.hpp>
#include <kopp/client/dynamic_api.hpp>
#include <kopp/runtime/manager/manager.hpp>

#include <boost/describe.hpp>

#include <cstdio>
#include <thread>

using namespace kopp_test;
using boost::asio::awaitable;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace health {

struct Beacon {
  std::string apiVersion;
  std::string kind;
  kopp::ObjectMeta metadata;
  kopp::UnknownFields unknown_fields;
};
BOOST_DESCRIBE_STRUCT(Beacon, (), (apiVersion, kind, metadata, unknown_fields))
KOPP_RESOURCE(Beacon, "health.kopp.example", "v1", "Beacon", "beacons", namespaced)

}  // namespace health

namespace {

constexpr const char* crd_name = "beacons.health.kopp.example";

json::object beacon_crd() {
  return json::parse(R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
    "metadata":{"name":"beacons.health.kopp.example"},"spec":{"group":"health.kopp.example","scope":"Namespaced",
    "names":{"kind":"Beacon","plural":"beacons","singular":"beacon","listKind":"BeaconList"},
    "versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object",
    "x-kubernetes-preserve-unknown-fields":true}}}]}})")
      .as_object();
}

/// Whether the API server serves beacons right now (a fresh discovery, no cache).
awaitable<bool> beacons_served(kopp::Client& client) {
  kopp::Discovery discovery(client);
  try {
    const auto resources = co_await discovery.resources("health.kopp.example/v1");
    co_return std::any_of(resources.begin(), resources.end(), [](const auto& r) { return r.plural == "beacons"; });
  } catch (const kopp::api_error&) {
    co_return false;
  }
}

void install_crd() {
  run<void>([]() -> awaitable<void> {
    kopp::Client client(co_await boost::asio::this_coro::executor, admin_config());
    kopp::DynamicApi crds(client, crd_resource());
    if (!co_await crds.get_opt(crd_name)) {
      json::object crd = beacon_crd();
      co_await crds.create(std::move(crd));
    }
    const auto served = [&]() { return beacons_served(client); };
    const bool ok = co_await async_eventually(served, 60s, 200ms);
    REQUIRE(ok);
  });
}

void delete_crd() {
  run<void>([]() -> awaitable<void> {
    kopp::Client client(co_await boost::asio::this_coro::executor, admin_config());
    kopp::DynamicApi crds(client, crd_resource());
    if (co_await crds.get_opt(crd_name)) co_await crds.delete_(crd_name);
    const auto gone = [&]() -> awaitable<bool> { co_return !co_await crds.get_opt(crd_name); };
    const bool ok = co_await async_eventually(gone, 60s, 200ms);
    REQUIRE(ok);
  });
}

std::string read_all(std::FILE* file) {
  std::fflush(file);
  std::rewind(file);
  std::string out;
  char buffer[4096];
  while (const std::size_t n = std::fread(buffer, 1, sizeof buffer, file)) out.append(buffer, n);
  std::fseek(file, 0, SEEK_END);
  return out;
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("manager: an informer that keeps failing is logged, unhealthy, and fails /readyz after the grace period",
          "[integration]") {
  TestNamespace ns("kopp-mgr-health");
  install_crd();
  std::FILE* log_file = std::tmpfile();
  REQUIRE(log_file != nullptr);
  kopp::LogSink sink(log_file);
  kopp::ManagerOptions options;
  options.namespace_ = ns.name();
  options.health_probe_bind_address = "127.0.0.1:0";
  options.metrics_bind_address = "127.0.0.1:0";
  options.handle_signals = false;
  options.informer_failure_grace = 2s;
  options.informer_error_log_period = 1s;
  options.logger = kopp::Logger(sink);
  kopp::Manager manager(admin_config(), options);
  struct Idle {
    awaitable<kopp::Action> reconcile(std::shared_ptr<const health::Beacon>, kopp::Context&) {
      co_return kopp::Action::done();
    }
  };
  manager.controller<health::Beacon>("health").build(Idle{});
  int exit_code = -1;
  std::thread runner([&] { exit_code = manager.run(); });
  REQUIRE(eventually(
      [&] { return manager.health_port() != 0 && http_get(manager.health_port(), "/readyz").first == 200; }, 60s));
  const std::string healthy_metric = "kopp_informer_healthy{informer=\"beacons in " + ns.name() + "\"} ";
  CHECK(http_get(manager.metrics_port(), "/metrics").second.find(healthy_metric + "1") != std::string::npos);

  const auto deleted_at = std::chrono::steady_clock::now();
  delete_crd();
  // Unhealthy at once; not ready only after the grace period.
  CHECK(eventually(
      [&] {
        return http_get(manager.metrics_port(), "/metrics").second.find(healthy_metric + "0") != std::string::npos;
      },
      60s));
  std::pair<unsigned, std::string> readyz;
  CHECK(eventually([&] { return (readyz = http_get(manager.health_port(), "/readyz")).first == 503; }, 60s));
  CHECK(std::chrono::steady_clock::now() - deleted_at > 2s);
  CHECK(readyz.second.find("beacons in " + ns.name()) != std::string::npos);
  CHECK(readyz.second.find("failing") != std::string::npos);
  CHECK_FALSE(manager.ready());

  const std::string logged = read_all(log_file);
  const std::size_t lines = count_of(logged, "informer request failed");
  CHECK(lines >= 1);
  const auto failing_for = std::chrono::duration<double>(std::chrono::steady_clock::now() - deleted_at).count();
  CHECK(static_cast<double>(lines) <= failing_for / 1.0 + 2);  // at most one per log period (1 s)

  install_crd();
  CHECK(eventually([&] { return http_get(manager.health_port(), "/readyz").first == 200; }, 90s));
  CHECK(http_get(manager.metrics_port(), "/metrics").second.find(healthy_metric + "1") != std::string::npos);

  manager.request_stop();
  runner.join();
  CHECK(exit_code == 0);
  delete_crd();
  std::fclose(log_file);
}
