// Informers against the real kube-apiserver: creates, updates and deletes reach the cache
// and the handlers in order; shared informers are shared.
#include "support/informer_support.hpp"

#include <kopp/runtime/cache/informer_factory.hpp>

using namespace kopp_test;
using boost::asio::awaitable;

TEST_CASE("an informer sees creates, updates and deletes; its cache equals a fresh LIST", "[integration][informer]") {
  TestNamespace ns("kopp-informer");
  // Something to list first, so the initial list is not empty (and spans pages).
  run<void>([&]() -> awaitable<void> {
    kopp::Client client(co_await boost::asio::this_coro::executor, admin_config());
    kopp::Api<ConfigMap> configmaps(client, ns.name());
    for (int i = 0; i < 5; ++i) {
      ConfigMap cm;
      cm.metadata.name = "initial-" + std::to_string(i);
      cm.metadata.labels["app"] = i % 2 ? "odd" : "even";
      co_await configmaps.create(cm);
    }
  });

  BackgroundIo io;
  HandlerLog<ConfigMap> log;
  kopp::InformerOptions<ConfigMap> options;
  options.watcher.page_size = 2;  // three pages
  auto informer =
      kopp::Informer<ConfigMap>::create(kopp::ListWatchSource::of<ConfigMap>(io.client(), ns.name()), options);
  StopOnExit<ConfigMap> stop{informer};
  informer->add_handler(log.handlers());
  informer->start(io.executor());
  REQUIRE(eventually([&] { return informer->has_synced(); }, std::chrono::seconds(30)));
  CHECK(informer->store().list(kopp::LabelSelector::parse("app")).size() == 5);
  CHECK(informer->store().list(kopp::LabelSelector::parse("app=even")).size() == 3);
  CHECK(informer->approximate_bytes() > 5 * 100);

  run<void>([&]() -> awaitable<void> {
    kopp::Client client(co_await boost::asio::this_coro::executor, admin_config());
    kopp::Api<ConfigMap> configmaps(client, ns.name());
    ConfigMap cm;
    cm.metadata.name = "changing";
    cm.data["v"] = "1";
    auto created = co_await configmaps.create(cm);
    created.data["v"] = "2";
    co_await configmaps.replace(created);
    co_await configmaps.delete_("initial-0");
    ConfigMap other;
    other.metadata.name = "created-later";
    co_await configmaps.create(other);
  });

  REQUIRE(eventually([&] { return cache_state(*informer) == listed_configmaps(ns.name()); }));
  CHECK(log.calls_for("changing") == std::vector<std::string>{"add", "update"});
  CHECK(log.calls_for("initial-0") == std::vector<std::string>{"add", "delete"});
  CHECK(log.calls_for("created-later") == std::vector<std::string>{"add"});
  auto changing = informer->store().get(ns.name(), "changing");
  REQUIRE(changing);
  CHECK(changing->data.at("v") == "2");
  CHECK(changing->metadata.managedFields.empty());  // dropped by default
  CHECK(informer->restarts() == 1);
}

TEST_CASE("a streaming-list informer syncs and follows changes", "[integration][informer]") {
  TestNamespace ns("kopp-informer-stream");
  run<void>([&]() -> awaitable<void> {
    kopp::Client client(co_await boost::asio::this_coro::executor, admin_config());
    ConfigMap cm;
    cm.metadata.name = "before";
    co_await kopp::Api<ConfigMap>(client, ns.name()).create(cm);
  });
  BackgroundIo io;
  kopp::InformerOptions<ConfigMap> options;
  options.watcher.streaming_list();
  std::vector<std::string> errors;
  std::mutex errors_mutex;
  options.on_error = [&](std::string_view m) {
    std::lock_guard lock(errors_mutex);
    errors.emplace_back(m);
  };
  auto informer =
      kopp::Informer<ConfigMap>::create(kopp::ListWatchSource::of<ConfigMap>(io.client(), ns.name()), options);
  StopOnExit<ConfigMap> stop{informer};
  informer->start(io.executor());
  REQUIRE(eventually([&] { return informer->has_synced(); }, std::chrono::seconds(30)));
  CHECK(cache_state(*informer) == listed_configmaps(ns.name()));
  run<void>([&]() -> awaitable<void> {
    kopp::Client client(co_await boost::asio::this_coro::executor, admin_config());
    ConfigMap cm;
    cm.metadata.name = "after";
    co_await kopp::Api<ConfigMap>(client, ns.name()).create(cm);
  });
  REQUIRE(eventually([&] { return cache_state(*informer) == listed_configmaps(ns.name()); }));
  std::lock_guard lock(errors_mutex);
  CHECK(errors.empty());  // served as a streaming list, no fallback
}

TEST_CASE("InformerFactory shares one informer per kind, namespace and selector", "[integration][informer]") {
  TestNamespace ns("kopp-shared");
  BackgroundIo io;
  kopp::InformerFactory factory(io.client());
  auto a = factory.get<ConfigMap>(ns.name());
  auto b = factory.get<ConfigMap>(ns.name());
  auto selected = factory.get<ConfigMap>(ns.name(), "app=web");
  auto all_namespaces = factory.get<ConfigMap>();
  CHECK(a == b);
  CHECK(a != selected);
  CHECK(a != all_namespaces);
  CHECK(factory.get<Namespace>("ignored") == factory.get<Namespace>());  // cluster-scoped
  CHECK(factory.informers().size() == 4);

  run<void>([&]() -> awaitable<void> {
    kopp::Client client(co_await boost::asio::this_coro::executor, admin_config());
    ConfigMap web;
    web.metadata.name = "web";
    web.metadata.labels["app"] = "web";
    co_await kopp::Api<ConfigMap>(client, ns.name()).create(web);
    ConfigMap db;
    db.metadata.name = "db";
    co_await kopp::Api<ConfigMap>(client, ns.name()).create(db);
  });
  factory.start();
  const bool synced =
      run<bool>([&]() -> awaitable<bool> { co_return co_await factory.wait_for_sync(std::chrono::seconds(30)); });
  REQUIRE(synced);
  REQUIRE(eventually([&] { return a->size() == 2 + 1; }));  // + kube-root-ca.crt
  CHECK(selected->size() == 1);
  CHECK(selected->store().get(ns.name(), "web"));
  CHECK(all_namespaces->store().get(ns.name(), "db"));
  CHECK(factory.get<Namespace>()->store().get(ns.name()));

  // An informer obtained after start() is started at once.
  auto late = factory.get<ServiceAccount>(ns.name());
  REQUIRE(eventually([&] { return late->has_synced(); }, std::chrono::seconds(30)));
  factory.stop();
  REQUIRE(eventually([&] { return a->stopped() && late->stopped(); }, std::chrono::seconds(30)));
}
