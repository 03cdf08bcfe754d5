// An informer whose watch resumes from a resourceVersion that etcd compacted away: the 410
// path relists, and what was deleted meanwhile is seen as a delete. Compacts etcd:
// register it EXCLUSIVE (RUN_SERIAL).
#include "support/informer_support.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

using namespace kopp_test;
using boost::asio::awaitable;

namespace {

/// Holds the informer's watch requests while closed, so that the watch lags behind.
struct Gate {
  std::atomic<bool> closed{false};
  std::atomic<bool> waiting{false};
};

awaitable<kopp::RawWatchStream> gated_watch(kopp::ListWatchSource inner, std::shared_ptr<Gate> gate,
                                            kopp::ListParams params) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  while (gate->closed) {
    gate->waiting = true;
    timer.expires_after(std::chrono::milliseconds(20));
    co_await timer.async_wait(boost::asio::use_awaitable);
  }
  gate->waiting = false;
  co_return co_await inner.watch(std::move(params));
}

/// Whether a watch from `rv` is answered with 410 Gone.
bool watch_is_gone(const std::string& ns, const std::string& rv) {
  return run<bool>([&]() -> awaitable<bool> {
    kopp::Client client(co_await boost::asio::this_coro::executor, admin_config());
    bool gone = false;
    try {
      auto watch = co_await kopp::Api<ConfigMap>(client, ns).watch(kopp::ListParams().at_version(rv).timeout(1));
      while (auto event = co_await watch.next())
        if (event->type == kopp::WatchEventType::error && event->error && event->error->code == 410) gone = true;
    } catch (const kopp::api_error& e) {
      gone = kopp::is_gone(e);
    }
    co_return gone;
  });
}

}  // namespace

TEST_CASE("after etcd compaction the informer relists and sees deletions made while it lagged",
          "[integration][informer][faults]") {
  TestNamespace ns("kopp-informer-compact");
  run<void>([&]() -> awaitable<void> {
    kopp::Client client(co_await boost::asio::this_coro::executor, admin_config());
    kopp::Api<ConfigMap> configmaps(client, ns.name());
    for (const char* name : {"stays", "updated", "deleted"}) {
      ConfigMap cm;
      cm.metadata.name = name;
      co_await configmaps.create(cm);
    }
  });

  BackgroundIo io;
  auto gate = std::make_shared<Gate>();
  auto source = kopp::ListWatchSource::of<ConfigMap>(io.client(), ns.name());
  auto inner = source;
  source.watch = [inner, gate](kopp::ListParams params) { return gated_watch(inner, gate, std::move(params)); };
  kopp::InformerOptions<ConfigMap> options;
  // Short watches, so that the gate soon holds the next one.
  options.watcher.watch_timeout(std::chrono::seconds(2), std::chrono::seconds(2));
  options.watcher.backoff =
      kopp::BackoffPolicy{std::chrono::milliseconds(100), std::chrono::milliseconds(1000), 2.0, 0.5};
  std::vector<std::string> errors;
  std::mutex errors_mutex;
  options.on_error = [&](std::string_view m) {
    std::lock_guard lock(errors_mutex);
    errors.emplace_back(m);
  };
  HandlerLog<ConfigMap> log;
  auto informer = kopp::Informer<ConfigMap>::create(source, options);
  StopOnExit<ConfigMap> stop{informer};
  informer->add_handler(log.handlers());
  informer->start(io.executor());
  REQUIRE(eventually([&] { return informer->has_synced(); }, std::chrono::seconds(30)));
  REQUIRE(informer->restarts() == 1);
  const auto lagging_from = informer->store().get(ns.name(), "deleted")->metadata.resourceVersion;
  const auto stays_before = informer->store().get(ns.name(), "stays");
  const auto updated_before = informer->store().get(ns.name(), "updated");

  gate->closed = true;
  REQUIRE(eventually([&] { return gate->waiting.load(); }, std::chrono::seconds(30)));

  run<void>([&]() -> awaitable<void> {
    kopp::Client client(co_await boost::asio::this_coro::executor, admin_config());
    kopp::Api<ConfigMap> configmaps(client, ns.name());
    ConfigMap cm;
    cm.metadata.name = "created";
    co_await configmaps.create(cm);
    for (int i = 0; i < 3; ++i)
      co_await configmaps.patch(
          "updated", kopp::Patch::merge(boost::json::parse(R"({"data":{"v":")" + std::to_string(i) + R"("}})")));
    co_await configmaps.delete_("deleted");
  });
  controlplane("compact");
  // kube-apiserver's watch cache learns of the compaction within ~15 s.
  REQUIRE(eventually([&] { return watch_is_gone(ns.name(), lagging_from); }, std::chrono::seconds(90)));
  CHECK(informer->store().get(ns.name(), "deleted") != nullptr);  // still lagging

  gate->closed = false;
  const bool converged =
      eventually([&] { return cache_state(*informer) == listed_configmaps(ns.name()); }, std::chrono::seconds(60));
  INFO("cache: " << Catch::Detail::stringify(cache_state(*informer)));
  INFO("list:  " << Catch::Detail::stringify(listed_configmaps(ns.name())));
  REQUIRE(converged);
  CHECK(informer->restarts() >= 2);  // the 410 made it relist
  {
    std::lock_guard lock(errors_mutex);
    bool saw_gone = false;
    for (const auto& e : errors) saw_gone = saw_gone || e.find("410") != std::string::npos;
    CHECK(saw_gone);
  }
  // Deleted while disconnected: there was no DELETED event, the relist's diff delivered it.
  CHECK(log.calls_for("deleted") == std::vector<std::string>{"add", "delete"});
  CHECK(log.calls_for("created") == std::vector<std::string>{"add"});
  CHECK(log.calls_for("updated") == std::vector<std::string>{"add", "update"});
  // The relist decoded only what changed: the unchanged object is the same shared object.
  CHECK(informer->store().get(ns.name(), "stays") == stays_before);
  CHECK(informer->store().get(ns.name(), "updated") != updated_before);
}
