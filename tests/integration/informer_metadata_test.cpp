// A metadata-only informer: names and labels of ConfigMaps, never their data.
#include "support/informer_support.hpp"

#include <kopp/runtime/cache/informer_factory.hpp>

using namespace kopp_test;
using boost::asio::awaitable;

TEST_CASE("a metadata-only informer of ConfigMaps sees names and labels but no data", "[integration][informer]") {
  TestNamespace ns("kopp-informer-meta");
  run<void>([&]() -> awaitable<void> {
    kopp::Client client(co_await boost::asio::this_coro::executor, admin_config());
    ConfigMap cm;
    cm.metadata.name = "settings";
    cm.metadata.labels["app"] = "web";
    cm.data["secret-ish"] = std::string(4000, 'x');
    co_await kopp::Api<ConfigMap>(client, ns.name()).create(cm);
  });
  BackgroundIo io;
  kopp::InformerFactory factory(io.client());
  auto metadata = factory.get_metadata<ConfigMap>(ns.name());
  auto full = factory.get<ConfigMap>(ns.name());
  CHECK(factory.get_metadata<ConfigMap>(ns.name()) == metadata);
  HandlerLog<kopp::PartialObjectMetadata> log;
  metadata->add_handler(log.handlers());
  factory.start();
  const bool synced =
      run<bool>([&]() -> awaitable<bool> { co_return co_await factory.wait_for_sync(std::chrono::seconds(30)); });
  REQUIRE(synced);

  auto cached = metadata->store().get(ns.name(), "settings");
  REQUIRE(cached);
  CHECK(cached->kind == "PartialObjectMetadata");
  CHECK(cached->apiVersion == "meta.k8s.io/v1");
  CHECK(cached->metadata.labels.at("app") == "web");
  CHECK_FALSE(cached->metadata.uid.empty());
  CHECK_FALSE(cached->unknown_fields.contains("data"));
  // The metadata cache is much smaller than the cache of whole objects.
  CHECK(metadata->approximate_bytes() + 3000 < full->approximate_bytes());

  // Watch events arrive in metadata form too.
  run<void>([&]() -> awaitable<void> {
    kopp::Client client(co_await boost::asio::this_coro::executor, admin_config());
    kopp::Api<ConfigMap> configmaps(client, ns.name());
    auto cm = co_await configmaps.get("settings");
    cm.metadata.labels["app"] = "api";
    co_await configmaps.replace(cm);
    co_await configmaps.delete_("settings");
  });
  REQUIRE(eventually([&] { return log.calls_for("settings").size() == 3; }));
  CHECK(log.calls_for("settings") == std::vector<std::string>{"add", "update", "delete"});
  CHECK(metadata->store().get(ns.name(), "settings") == nullptr);
  factory.stop();
}
