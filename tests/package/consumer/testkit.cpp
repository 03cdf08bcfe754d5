// The test kit from an installed kopp: what an operator's own tests do with it. Objects are
// written on the in-memory cluster through the real client, a fault is injected, a wait
// reads the result back, and the record of requests is inspected.
#include <kopp/api/core/v1.hpp>
#include <kopp/client.hpp>
#include <kopp/testing/eventually.hpp>
#include <kopp/testing/fake_cluster.hpp>
#include <kopp/testing/run.hpp>

#include <iostream>
#include <string>

using ConfigMap = kopp::api::core::v1::ConfigMap;

int main() {
  kopp::testing::FakeCluster cluster;
  // The first PUT of a ConfigMap conflicts, as when another writer got there first.
  cluster.inject(kopp::testing::RequestMatch().verb(boost::beast::http::verb::put).on("configmaps"),
                 kopp::testing::Fault::status(409));
  const std::string result = kopp::testing::run([&]() -> boost::asio::awaitable<std::string> {
    auto client = cluster.client(co_await boost::asio::this_coro::executor);
    kopp::Api<ConfigMap> config_maps(*client, "default");
    ConfigMap settings;
    settings.metadata.name = "settings";
    settings.data["mode"] = "slow";
    ConfigMap created = co_await config_maps.create(settings);
    std::string replace = "accepted";
    try {
      created.data["mode"] = "fast";
      co_await config_maps.replace(created);
    } catch (const kopp::api_error& e) {
      replace = kopp::is_conflict(e) ? "conflict" : e.what();
    }
    auto has_mode = [](const ConfigMap& c) { return c.data.count("mode") == 1; };
    const ConfigMap seen = co_await kopp::testing::wait_for(config_maps, "settings", has_mode, "a mode");
    co_return "test kit: " + seen.metadata.name + " mode " + seen.data.at("mode") + ", uid " +
        (seen.metadata.uid.empty() ? "missing" : "set") + ", replace " + replace + ", requests " +
        std::to_string(cluster.requests().size());
  });
  std::cout << result << "\n";
  return 0;
}
