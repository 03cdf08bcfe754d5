// A controller against the real kube-apiserver: it owns ConfigMaps, reverts manual edits
// of its children, recreates deleted ones, retries failures and runs a finalizer.
#include "support/integration.hpp"

#include <kopp/runtime/controller/controller.hpp>
#include <kopp/runtime/controller/finalizer.hpp>
#include <kopp/runtime/controller/object_helpers.hpp>

#include <boost/asio/steady_timer.hpp>

using namespace kopp_test;
using boost::asio::awaitable;
using namespace std::chrono_literals;

namespace {

/// Keeps a child ConfigMap "<parent>-child" whose data equals the parent's.
class MirrorReconciler : public kopp::Reconciler<ConfigMap> {
 public:
  std::atomic<int> reconciles{0};
  std::atomic<int> cleanups{0};

  awaitable<kopp::Action> reconcile(std::shared_ptr<const ConfigMap> parent, kopp::Context& ctx) override {
    ++reconciles;
    kopp::Api<ConfigMap> api(ctx.client(), parent->metadata.namespace_);
    co_return co_await kopp::finalize(
        api, "kopp.test/mirror-cleanup", parent,
        [&](std::shared_ptr<const ConfigMap> p) -> awaitable<kopp::Action> {
          co_await kopp::create_or_update(api, p->metadata.name + "-child", [&](ConfigMap& child) {
            child.data = p->data;
            kopp::set_controller_reference(*p, child);
          });
          co_return kopp::Action::done();
        },
        [&](std::shared_ptr<const ConfigMap>) -> awaitable<kopp::Action> {
          ++cleanups;
          co_return kopp::Action::done();
        });
  }
};

/// Fails the first `failures` reconciles, then succeeds; terminal for objects named "hopeless".
class FlakyReconciler : public kopp::Reconciler<ConfigMap> {
 public:
  explicit FlakyReconciler(int failures) : failures_(failures) {}
  std::atomic<int> calls{0};
  std::atomic<int> hopeless_calls{0};
  awaitable<kopp::Action> reconcile(std::shared_ptr<const ConfigMap> object, kopp::Context&) override {
    if (object->metadata.name == "hopeless") {
      ++hopeless_calls;
      throw kopp::terminal_error("this spec can never work");
    }
    if (++calls <= failures_) throw std::runtime_error("transient failure");
    co_return kopp::Action::done();
  }

 private:
  int failures_;
};

}  // namespace

TEST_CASE("a controller that owns ConfigMaps reverts edits and recreates deleted children", "[integration]") {
  TestNamespace ns("kopp-ctrl");
  run<void>([&]() -> awaitable<void> {
    auto executor = co_await boost::asio::this_coro::executor;
    kopp::Client client(executor, admin_config());
    kopp::InformerFactory informers(client);
    kopp::metrics::Registry registry;
    auto reconciler = std::make_shared<MirrorReconciler>();
    auto controller = kopp::ControllerBuilder<ConfigMap>(client, informers, "mirror")
                          .in_namespace(ns.name())
                          .label_selector("role=parent")
                          .owns<ConfigMap>()
                          .registry(registry)
                          .build(reconciler);
    informers.start();
    const bool synced = co_await informers.wait_for_sync(30s);
    REQUIRE(synced);
    controller->start(executor);

    kopp::Api<ConfigMap> api(client, ns.name());
    ConfigMap parent;
    parent.metadata.name = "parent";
    parent.metadata.labels["role"] = "parent";
    parent.data["color"] = "blue";
    co_await api.create(parent);

    auto child_has = [&](std::string color) {
      return [&api, color]() -> awaitable<bool> {
        auto child = co_await api.get_opt("parent-child");
        co_return child && child->data.count("color") && child->data.at("color") == color;
      };
    };
    // Closures are named before they enter a co_await expression (GCC 12 bug, see
    // docs/architecture.md).
    const auto child_is_blue = child_has("blue");
    const bool created = co_await async_eventually(child_is_blue);
    CHECK(created);
    auto child = co_await api.get("parent-child");
    REQUIRE(child.metadata.ownerReferences.size() == 1);
    CHECK(child.metadata.ownerReferences[0].name == "parent");
    auto with_finalizer = co_await api.get("parent");
    CHECK(kopp::has_finalizer(with_finalizer.metadata, "kopp.test/mirror-cleanup"));

    // owns<ConfigMap>() gave the children's informer kopp's index by controller uid.
    const auto children = informers.get<ConfigMap>(ns.name());
    CHECK(children->store().has_index(kopp::controller_uid_index));
    const std::string parent_uid = with_finalizer.metadata.uid;
    const auto indexed = [&]() -> awaitable<bool> {
      const auto found = children->store().by_index(kopp::controller_uid_index, parent_uid);
      co_return found.size() == 1 && found[0]->metadata.name == "parent-child";
    };
    const bool listed = co_await async_eventually(indexed);
    CHECK(listed);

    // A hand edit of the child wakes the owner, which puts the data back.
    child.data["color"] = "red";
    co_await api.replace(child);
    const bool reverted = co_await async_eventually(child_is_blue);
    CHECK(reverted);

    // A deleted child is recreated.
    co_await api.delete_("parent-child");
    const bool recreated = co_await async_eventually(child_is_blue);
    CHECK(recreated);

    // Deleting the parent runs the finalizer's cleanup, then the parent goes away.
    co_await api.delete_("parent");
    const auto parent_gone = [&]() -> awaitable<bool> {
      auto p = co_await api.get_opt("parent");
      co_return !p.has_value();
    };
    const bool gone = co_await async_eventually(parent_gone);
    CHECK(gone);
    CHECK(reconciler->cleanups.load() >= 1);

    const std::string metrics = registry.render();
    CHECK(metrics.find("controller_runtime_reconcile_total{controller=\"mirror\",result=\"success\"}") !=
          std::string::npos);
    CHECK(metrics.find("workqueue_adds_total{name=\"mirror\",controller=\"mirror\"}") != std::string::npos);

    controller->stop();
    const bool stopped = co_await controller->wait_stopped(10s);
    CHECK(stopped);
    informers.stop();
  });
}

TEST_CASE("failures are retried with backoff; terminal errors are not", "[integration]") {
  TestNamespace ns("kopp-retry");
  run<void>([&]() -> awaitable<void> {
    auto executor = co_await boost::asio::this_coro::executor;
    kopp::Client client(executor, admin_config());
    kopp::InformerFactory informers(client);
    kopp::metrics::Registry registry;
    auto reconciler = std::make_shared<FlakyReconciler>(3);
    auto controller = kopp::ControllerBuilder<ConfigMap>(client, informers, "flaky")
                          .in_namespace(ns.name())
                          .label_selector("test=flaky")
                          .registry(registry)
                          .build(reconciler);
    informers.start();
    const bool synced = co_await informers.wait_for_sync(30s);
    REQUIRE(synced);
    controller->start(executor);

    kopp::Api<ConfigMap> api(client, ns.name());
    ConfigMap flaky;
    flaky.metadata.name = "flaky";
    flaky.metadata.labels["test"] = "flaky";
    co_await api.create(flaky);
    ConfigMap hopeless;
    hopeless.metadata.name = "hopeless";
    hopeless.metadata.labels["test"] = "flaky";
    co_await api.create(hopeless);

    // 3 failures (backoff 5, 10, 20 ms) then success.
    const auto four_calls = [&]() -> awaitable<bool> { co_return reconciler->calls.load() >= 4; };
    const bool succeeded = co_await async_eventually(four_calls);
    CHECK(succeeded);
    co_await sleep_for(500ms);
    CHECK(reconciler->calls.load() == 4);           // success ends the retries
    CHECK(reconciler->hopeless_calls.load() == 1);  // terminal: never retried
    const std::string metrics = registry.render();
    CHECK(metrics.find("controller_runtime_terminal_reconcile_errors_total{controller=\"flaky\"} 1") !=
          std::string::npos);
    CHECK(metrics.find("controller_runtime_reconcile_errors_total{controller=\"flaky\"} 4") != std::string::npos);

    controller->stop();
    const bool stopped = co_await controller->wait_stopped(10s);
    CHECK(stopped);
    informers.stop();
  });
}

TEST_CASE("the builder reports every misuse at build()", "[integration]") {
  run<void>([&]() -> awaitable<void> {
    kopp::Client client(co_await boost::asio::this_coro::executor, admin_config());
    kopp::InformerFactory informers(client);
    try {
      auto c = kopp::ControllerBuilder<Namespace>(client, informers, "")
                   .in_namespace("default")
                   .max_concurrent_reconciles(0)
                   .build(nullptr);
      FAIL("a misconfigured controller was built");
    } catch (const std::invalid_argument& e) {
      const std::string what = e.what();
      CHECK(what.find("needs a name") != std::string::npos);
      CHECK(what.find("cluster-scoped Namespace") != std::string::npos);
      CHECK(what.find("at least one worker") != std::string::npos);
      CHECK(what.find("without a reconciler") != std::string::npos);
    }
  });
}

namespace {

/// Satisfies kopp::ReconcilerOf without deriving from kopp::Reconciler: the builder adapts it.
struct PlainReconciler {
  std::shared_ptr<std::atomic<int>> reconciled = std::make_shared<std::atomic<int>>(0);
  std::shared_ptr<std::atomic<int>> deleted_calls = std::make_shared<std::atomic<int>>(0);

  awaitable<kopp::Action> reconcile(std::shared_ptr<const ConfigMap>, kopp::Context&) {
    ++*reconciled;
    co_return kopp::Action::done();
  }
  awaitable<kopp::Action> deleted(const kopp::ObjectKey&, kopp::Context&) {
    ++*deleted_calls;
    co_return kopp::Action::done();
  }
};
static_assert(kopp::ReconcilerOf<PlainReconciler, ConfigMap>);

}  // namespace

TEST_CASE("a plain type with a reconcile member works as a reconciler, deleted() included", "[integration]") {
  TestNamespace ns("kopp-plain");
  run<void>([&]() -> awaitable<void> {
    auto executor = co_await boost::asio::this_coro::executor;
    kopp::Client client(executor, admin_config());
    kopp::InformerFactory informers(client);
    kopp::metrics::Registry registry;
    PlainReconciler plain;
    auto reconciled = plain.reconciled;
    auto deleted_calls = plain.deleted_calls;
    auto controller = kopp::ControllerBuilder<ConfigMap>(client, informers, "plain")
                          .in_namespace(ns.name())
                          .label_selector("test=plain")
                          .registry(registry)
                          .build(std::move(plain));
    informers.start();
    const bool synced = co_await informers.wait_for_sync(30s);
    REQUIRE(synced);
    controller->start(executor);

    kopp::Api<ConfigMap> api(client, ns.name());
    ConfigMap object;
    object.metadata.name = "plain";
    object.metadata.labels["test"] = "plain";
    co_await api.create(object);
    const auto was_reconciled = [&]() -> awaitable<bool> { co_return reconciled->load() >= 1; };
    const bool seen = co_await async_eventually(was_reconciled);
    CHECK(seen);

    co_await api.delete_("plain");
    const auto was_deleted = [&]() -> awaitable<bool> { co_return deleted_calls->load() >= 1; };
    const bool gone = co_await async_eventually(was_deleted);
    CHECK(gone);

    controller->stop();
    const bool stopped = co_await controller->wait_stopped(10s);
    CHECK(stopped);
    informers.stop();
  });
}
