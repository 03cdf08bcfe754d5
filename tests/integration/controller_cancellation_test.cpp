// A controller's lifecycle guarantees against the real kube-apiserver, without a Manager:
// no reconcile before the caches synced, reconcile timeouts that cancel the reconcile (also
// while it waits on the API server), and a stop() that cancels reconciles in flight and
// drops queued keys.
#include "support/fault_proxy.hpp"
#include "support/integration.hpp"

#include <kopp/runtime/controller/controller.hpp>

#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <mutex>
#include <set>

using namespace kopp_test;
using boost::asio::awaitable;
using namespace std::chrono_literals;

namespace {

bool is_cancellation(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const boost::system::system_error& error) {
    return error.code() == boost::asio::error::operation_aborted;
  } catch (...) {
    return false;
  }
}

/// Records every call; objects named "slow-*" wait `slow_for` on a timer the first time.
class RecordingReconciler : public kopp::Reconciler<ConfigMap> {
 public:
  std::chrono::milliseconds slow_for{60'000};
  std::mutex mutex;
  std::vector<std::string> reconciled;
  std::vector<std::string> deleted_keys;
  std::atomic<int> cancelled{0};
  std::atomic<int> started{0};

  awaitable<kopp::Action> reconcile(std::shared_ptr<const ConfigMap> object, kopp::Context&) override {
    ++started;
    const std::string name = object->metadata.name;
    bool first = false;
    {
      std::lock_guard lock(mutex);
      first = std::count(reconciled.begin(), reconciled.end(), name) == 0;
      reconciled.push_back(name);
    }
    if (name.starts_with("slow") && first) {
      try {
        co_await sleep_for(slow_for);
      } catch (...) {
        if (is_cancellation(std::current_exception())) ++cancelled;
        throw;
      }
    }
    co_return kopp::Action::done();
  }
  awaitable<kopp::Action> deleted(const kopp::ObjectKey& key, kopp::Context&) override {
    std::lock_guard lock(mutex);
    deleted_keys.push_back(key.to_string());
    co_return kopp::Action::done();
  }
  int count(const std::string& name) {
    std::lock_guard lock(mutex);
    return static_cast<int>(std::count(reconciled.begin(), reconciled.end(), name));
  }
};

awaitable<void> create_configmap(kopp::Client& client, const std::string& ns, const std::string& name) {
  ConfigMap cm;
  cm.metadata.name = name;
  cm.metadata.labels["test"] = "cancel";
  co_await kopp::Api<ConfigMap>(client, ns).create(cm);
}

}  // namespace

TEST_CASE("controller: started before its informers synced, it reconciles nothing until they have", "[integration]") {
  TestNamespace ns("kopp-ctrl-gate");
  run<void>([&]() -> awaitable<void> {
    auto executor = co_await boost::asio::this_coro::executor;
    kopp::Client client(executor, admin_config());
    co_await create_configmap(client, ns.name(), "existing");
    kopp::InformerFactory informers(client);
    kopp::metrics::Registry registry;
    auto reconciler = std::make_shared<RecordingReconciler>();
    auto controller = kopp::ControllerBuilder<ConfigMap>(client, informers, "gate")
                          .in_namespace(ns.name())
                          .label_selector("test=cancel")  // not the namespace's kube-root-ca.crt
                          .registry(registry)
                          .build(reconciler);
    // A key arrives (as from a secondary watch) and the workers start before any informer.
    controller->enqueue(kopp::ObjectKey(ns.name(), "existing"));
    controller->start(executor);
    co_await sleep_for(500ms);
    {
      std::lock_guard lock(reconciler->mutex);
      CHECK(reconciler->deleted_keys.empty());  // the object exists: deleted() would be a lie
      CHECK(reconciler->reconciled.empty());
    }
    informers.start();
    const auto reconciled_existing = [&] { return reconciler->count("existing") >= 1; };
    const bool reconciled = co_await async_eventually(reconciled_existing);
    CHECK(reconciled);
    {
      std::lock_guard lock(reconciler->mutex);
      CHECK(reconciler->deleted_keys.empty());
    }
    controller->stop();
    const bool stopped = co_await controller->wait_stopped(5s);
    CHECK(stopped);
    informers.stop();
  });
}

TEST_CASE("controller: a reconcile past reconcile_timeout is cancelled and retried; the worker goes on",
          "[integration]") {
  TestNamespace ns("kopp-ctrl-timeout");
  run<void>([&]() -> awaitable<void> {
    auto executor = co_await boost::asio::this_coro::executor;
    kopp::Client client(executor, admin_config());
    kopp::InformerFactory informers(client);
    kopp::metrics::Registry registry;
    auto reconciler = std::make_shared<RecordingReconciler>();
    auto controller = kopp::ControllerBuilder<ConfigMap>(client, informers, "timeout")
                          .in_namespace(ns.name())
                          .label_selector("test=cancel")  // not the namespace's kube-root-ca.crt
                          .registry(registry)
                          .reconcile_timeout(300ms)
                          .build(reconciler);
    informers.start();
    const bool synced = co_await informers.wait_for_sync(30s);
    REQUIRE(synced);
    controller->start(executor);

    const auto started = std::chrono::steady_clock::now();
    co_await create_configmap(client, ns.name(), "slow-one");
    const auto retried = [&] { return reconciler->count("slow-one") >= 2; };
    const bool second = co_await async_eventually(retried);
    CHECK(second);
    const auto took = std::chrono::steady_clock::now() - started;
    CHECK(took < 5s);  // not the 60 s the first attempt would have slept
    CHECK(reconciler->cancelled.load() == 1);
    const std::string metrics = registry.render();
    CHECK(metrics.find("controller_runtime_reconcile_errors_total{controller=\"timeout\"} 1") != std::string::npos);
    CHECK(metrics.find("controller_runtime_reconcile_total{controller=\"timeout\",result=\"success\"} 1") !=
          std::string::npos);

    // The same worker still reconciles other objects normally.
    co_await create_configmap(client, ns.name(), "fast");
    const auto fast_done = [&] { return reconciler->count("fast") >= 1; };
    const bool fast = co_await async_eventually(fast_done);
    CHECK(fast);
    controller->stop();
    const bool stopped = co_await controller->wait_stopped(5s);
    CHECK(stopped);
    informers.stop();
  });
}

TEST_CASE("controller: reconcile_timeout cancels a request hanging on the API server", "[integration]") {
  TestNamespace ns("kopp-ctrl-hang");
  const kopp::Config admin = admin_config();
  FaultProxy proxy(admin);
  run<void>([&]() -> awaitable<void> {
    auto executor = co_await boost::asio::this_coro::executor;
    kopp::Client client(executor, admin);
    kopp::Client through_proxy(executor, proxy.route(admin));
    co_await create_configmap(client, ns.name(), "target");
    kopp::InformerFactory informers(client);
    kopp::metrics::Registry registry;

    struct HangingReconciler {
      kopp::Client* api_client;
      std::atomic<int>* cancelled;
      std::atomic<int>* calls;
      awaitable<kopp::Action> reconcile(std::shared_ptr<const ConfigMap> object, kopp::Context&) {
        ++*calls;
        kopp::Api<ConfigMap> api(*api_client, object->metadata.namespace_);
        try {
          auto fresh = co_await api.get(object->metadata.name);
          (void)fresh;
        } catch (...) {
          if (is_cancellation(std::current_exception())) ++*cancelled;
          throw;
        }
        co_return kopp::Action::done();
      }
    };
    std::atomic<int> cancelled{0};
    std::atomic<int> calls{0};
    HangingReconciler hanging{&through_proxy, &cancelled, &calls};
    auto controller = kopp::ControllerBuilder<ConfigMap>(client, informers, "hang")
                          .in_namespace(ns.name())
                          .label_selector("test=cancel")  // not the namespace's kube-root-ca.crt
                          .registry(registry)
                          .reconcile_timeout(500ms)
                          .build(hanging);
    informers.start();
    const bool synced = co_await informers.wait_for_sync(30s);
    REQUIRE(synced);
    proxy.stall();
    const auto stalled_at = std::chrono::steady_clock::now();
    controller->start(executor);
    const auto was_cancelled = [&] { return cancelled.load() >= 1; };
    const bool observed = co_await async_eventually(was_cancelled, 10s);
    CHECK(observed);
    CHECK(std::chrono::steady_clock::now() - stalled_at < 3s);
    controller->stop();
    const bool stopped = co_await controller->wait_stopped(5s);
    CHECK(stopped);
    proxy.resume();
    informers.stop();
  });
}

TEST_CASE("controller: stop() cancels the reconcile in flight and drops queued keys", "[integration]") {
  TestNamespace ns("kopp-ctrl-stop");
  run<void>([&]() -> awaitable<void> {
    auto executor = co_await boost::asio::this_coro::executor;
    kopp::Client client(executor, admin_config());
    kopp::InformerFactory informers(client);
    kopp::metrics::Registry registry;
    auto reconciler = std::make_shared<RecordingReconciler>();
    auto controller = kopp::ControllerBuilder<ConfigMap>(client, informers, "stop")
                          .in_namespace(ns.name())
                          .label_selector("test=cancel")  // not the namespace's kube-root-ca.crt
                          .registry(registry)
                          .build(reconciler);  // one worker
    informers.start();
    const bool synced = co_await informers.wait_for_sync(30s);
    REQUIRE(synced);
    controller->start(executor);
    co_await create_configmap(client, ns.name(), "slow-blocker");
    const auto blocking = [&] { return reconciler->started.load() >= 1; };
    const bool began = co_await async_eventually(blocking);
    REQUIRE(began);
    controller->enqueue(kopp::ObjectKey(ns.name(), "queued-a"));
    controller->enqueue(kopp::ObjectKey(ns.name(), "queued-b"));
    CHECK(controller->queue_length() == 2);

    const auto stop_at = std::chrono::steady_clock::now();
    controller->stop();
    const bool stopped = co_await controller->wait_stopped(5s);
    CHECK(stopped);
    CHECK(std::chrono::steady_clock::now() - stop_at < 2s);
    CHECK(reconciler->cancelled.load() == 1);
    co_await sleep_for(200ms);
    {
      std::lock_guard lock(reconciler->mutex);
      CHECK(reconciler->deleted_keys.empty());  // queued-a/b were dropped, never reconciled
      CHECK(reconciler->reconciled == std::vector<std::string>{"slow-blocker"});
    }
    informers.stop();
  });
}
