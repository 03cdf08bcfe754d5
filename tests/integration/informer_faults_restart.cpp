// An informer across a restart of kube-apiserver. Disturbs the control plane: register it
// EXCLUSIVE (RUN_SERIAL).
#include "support/informer_support.hpp"

using namespace kopp_test;
using boost::asio::awaitable;

TEST_CASE("after an API server restart the cache converges to a fresh LIST", "[integration][informer][faults]") {
  TestNamespace ns("kopp-informer-restart");
  run<void>([&]() -> awaitable<void> {
    kopp::Client client(co_await boost::asio::this_coro::executor, admin_config());
    kopp::Api<ConfigMap> configmaps(client, ns.name());
    for (const char* name : {"stays", "updated", "deleted"}) {
      ConfigMap cm;
      cm.metadata.name = name;
      cm.data["v"] = "0";
      co_await configmaps.create(cm);
    }
  });

  BackgroundIo io;
  HandlerLog<ConfigMap> log;
  std::atomic<int> errors{0};
  kopp::InformerOptions<ConfigMap> options;
  options.on_error = [&](std::string_view) { ++errors; };
  auto informer =
      kopp::Informer<ConfigMap>::create(kopp::ListWatchSource::of<ConfigMap>(io.client(), ns.name()), options);
  StopOnExit<ConfigMap> stop{informer};
  informer->add_handler(log.handlers());
  informer->start(io.executor());
  REQUIRE(eventually([&] { return informer->has_synced(); }, std::chrono::seconds(30)));

  controlplane("restart-apiserver");

  // Changes right after the restart, while the informer is still reconnecting.
  with_client_retrying([&](kopp::Client& client) -> awaitable<void> {
    kopp::Api<ConfigMap> configmaps(client, ns.name());
    if (!co_await configmaps.get_opt("created")) {
      ConfigMap cm;
      cm.metadata.name = "created";
      co_await configmaps.create(cm);
    }
  });
  with_client_retrying([&](kopp::Client& client) -> awaitable<void> {
    kopp::Api<ConfigMap> configmaps(client, ns.name());
    co_await configmaps.patch("updated", kopp::Patch::merge(boost::json::parse(R"({"data":{"v":"1"}})")));
  });
  with_client_retrying([&](kopp::Client& client) -> awaitable<void> {
    kopp::Api<ConfigMap> configmaps(client, ns.name());
    if (co_await configmaps.get_opt("deleted")) co_await configmaps.delete_("deleted");
  });

  const bool converged =
      eventually([&] { return cache_state(*informer) == listed_configmaps(ns.name()); }, std::chrono::seconds(120));
  INFO("cache: " << Catch::Detail::stringify(cache_state(*informer)));
  INFO("list:  " << Catch::Detail::stringify(listed_configmaps(ns.name())));
  REQUIRE(converged);
  CHECK(errors > 0);  // the watch did break
  CHECK(log.calls_for("created") == std::vector<std::string>{"add"});
  CHECK(log.calls_for("deleted") == std::vector<std::string>{"add", "delete"});
  CHECK(log.calls_for("updated") == std::vector<std::string>{"add", "update"});
  CHECK(informer->store().get(ns.name(), "updated")->data.at("v") == "1");
}
