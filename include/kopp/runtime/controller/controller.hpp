#pragma once
// Controller<K>: watches K (and what K owns or depends on), queues the keys of objects that
// need attention, and runs a Reconciler<K> on them with a bounded number of concurrent
// workers (controller-runtime's controller + builder, kube-rs' Controller).
//
//   auto controller = kopp::ControllerBuilder<Memcached>(client, informers, "memcached")
//                         .with_predicate(kopp::predicates::generation_changed<Memcached>())
//                         .owns<Deployment>()
//                         .watches<Pod>(pods_to_memcached)
//                         .max_concurrent_reconciles(2)
//                         .build(std::make_shared<MemcachedReconciler>());
//   informers.start(); co_await informers.wait_for_sync();
//   controller->start(executor);
//
// Guarantees:
//   - A key is reconciled by one worker at a time; a change that arrives during a reconcile
//     makes the key run again after it (the workqueue's dirty/processing semantics).
//   - Success (Action::done) forgets the key's backoff; Action::requeue_after(d) runs it
//     again after d; an exception requeues it with per-item exponential backoff (5 ms
//     doubling to 1000 s) under an overall 10/s token bucket; kopp::terminal_error is not
//     retried until the object changes. Nothing a reconciler throws escapes a worker.
//   - owns<Child>() enqueues the controller owner (ownerReferences controller=true, same
//     kind) of every changed child, old and new owner on updates.
//   - No reconcile starts before the informers the controller reads have synced, whoever
//     started it (a Manager, or a program calling start() itself): until then keys wait in
//     the queue, and deleted() never runs for an object the cache has not seen yet.
//   - stop() takes effect at once: no reconcile starts after it, the keys waiting are
//     dropped (they are level-based: whoever runs next lists everything again), and the
//     reconciles in flight are cancelled (see Cancellation).
//   - With a leadership check (Manager with leader election), a reconcile starts only
//     while the check says the Lease is held and renewed within its renew deadline; when it
//     fails the controller stops itself as stop() does.
// Cancellation: a reconcile runs in its worker's coroutine, which is cancelled (Asio
// terminal cancellation) on stop() and when reconcile_timeout passes. The awaited
// operation is cancelled where it supports cancellation (timers, sockets, the Client's
// requests) and every later co_await in the reconcile throws boost::system::system_error
// (operation_aborted), so a reconcile ends at its next suspension point. Code that blocks
// a thread cannot be cancelled: keep reconciles asynchronous. A timed-out reconcile counts
// as an error and is retried with backoff.
// Errors: ControllerBuilder::build() throws std::invalid_argument listing every misuse the
// builder recorded (no reconciler, zero workers, a second owns<> of the same kind, ...).
// Metrics (controller-runtime's names): controller_runtime_reconcile_total{controller,result},
// controller_runtime_reconcile_errors_total, controller_runtime_terminal_reconcile_errors_total,
// controller_runtime_reconcile_time_seconds, controller_runtime_active_workers,
// controller_runtime_max_concurrent_reconciles, and the workqueue_* family for its queue.

#include <kopp/client/client.hpp>
#include <kopp/core/owner_reference.hpp>
#include <kopp/runtime/cache/informer.hpp>
#include <kopp/runtime/telemetry/log.hpp>
#include <kopp/runtime/telemetry/metrics.hpp>
#include <kopp/runtime/controller/cache_view.hpp>
#include <kopp/runtime/controller/permissions.hpp>
#include <kopp/runtime/controller/predicate.hpp>
#include <kopp/runtime/controller/queue_decision.hpp>
#include <kopp/runtime/controller/reconciler.hpp>
#include <kopp/runtime/detail/async_latch.hpp>
#include <kopp/runtime/cache/informer_factory.hpp>
#include <kopp/runtime/workqueue/workqueue.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <mutex>
#include <string>
#include <type_traits>
#include <vector>

namespace kopp {

template <Resource K>
class ControllerBuilder;

/// What a Manager needs of a controller, whatever its kind.
class ControllerBase {
 public:
  virtual ~ControllerBase() = default;
  /// Spawns the workers on `executor` (each on its own strand). Informers must be started;
  /// workers wait until the informers this controller reads have synced.
  virtual void start(boost::asio::any_io_executor executor) = 0;
  /// Stops at once: no new reconcile starts, queued keys are dropped, the reconciles in
  /// flight are cancelled. Thread-safe; wait_stopped() tells when the workers exited.
  virtual void stop() = 0;
  /// Called (on a worker, any thread) right before each reconcile: false means this
  /// process must not reconcile any more (its leadership lapsed), and the controller stops
  /// itself. Set before start().
  virtual void set_leadership_check(std::function<bool()> holds_leadership) = 0;
  /// True when every worker has exited; false when `timeout` passed first.
  virtual boost::asio::awaitable<bool> wait_stopped(std::chrono::steady_clock::duration timeout) = 0;
  virtual const std::string& name() const noexcept = 0;
  /// The RBAC permissions the controller's declaration implies (permissions.hpp); none for
  /// a controller that does not say.
  virtual const Permissions& permissions() const noexcept {
    static const Permissions none;
    return none;
  }
};

template <Resource K>
class Controller : public ControllerBase, public std::enable_shared_from_this<Controller<K>> {
 public:
  using object_ptr = std::shared_ptr<const K>;

  void start(boost::asio::any_io_executor executor) override;
  void stop() override;
  boost::asio::awaitable<bool> wait_stopped(std::chrono::steady_clock::duration timeout) override;
  void set_leadership_check(std::function<bool()> holds_leadership) override {
    leadership_check_ = std::move(holds_leadership);
  }

  const std::string& name() const noexcept override { return name_; }
  const Permissions& permissions() const noexcept override { return permissions_; }
  /// Enqueues a key by hand (tests, external triggers).
  void enqueue(const ObjectKey& key) { queue_->add(key); }
  std::size_t queue_length() const { return queue_->len(); }
  int active_workers() const noexcept { return active_.load(); }
  /// Reconciles finished since start (success, requeue or error).
  std::uint64_t reconciles() const noexcept { return reconciles_.load(); }

 private:
  friend class ControllerBuilder<K>;
  struct Metrics {
    metrics::CounterFamily* total;
    metrics::Counter* errors;
    metrics::Counter* terminal_errors;
    metrics::Histogram* time;
    metrics::Gauge* active;
  };

  // One per worker coroutine. The signal is emitted only on the worker's strand (Asio's
  // cancellation signals are not thread-safe); `generation` tells a deadline timer that
  // fires late which reconcile it was armed for.
  struct WorkerSlot {
    explicit WorkerSlot(boost::asio::any_io_executor executor) : strand(boost::asio::make_strand(executor)) {}
    boost::asio::strand<boost::asio::any_io_executor> strand;
    boost::asio::cancellation_signal cancel;
    std::uint64_t generation = 0;
    bool timed_out = false;
  };

  Controller(Client& client, std::string name, std::shared_ptr<Reconciler<K>> reconciler,
             std::shared_ptr<Informer<K>> primary, std::vector<std::shared_ptr<InformerBase>> sources, int workers,
             std::chrono::milliseconds reconcile_timeout, EventRecorder* recorder, metrics::Registry& registry,
             Logger logger);

  boost::asio::awaitable<void> worker(WorkerSlot& slot);
  boost::asio::awaitable<bool> wait_for_sources();
  boost::asio::awaitable<void> process(ObjectKey key, WorkerSlot& slot);
  void record_result(std::string_view result);

  Client* client_;
  std::string name_;
  Permissions permissions_;  // what the builder declared, for the generated role
  std::shared_ptr<Reconciler<K>> reconciler_;
  std::shared_ptr<Informer<K>> primary_;
  std::vector<std::shared_ptr<InformerBase>> sources_;  // every informer whose events feed the queue
  CacheView cache_view_;                                // what reconciles read: sources_
  int workers_;
  std::chrono::milliseconds reconcile_timeout_;
  std::function<bool()> leadership_check_;
  std::mutex slots_mutex_;  // start() and stop() may run on different threads
  std::vector<std::unique_ptr<WorkerSlot>> slots_;
  std::atomic<bool> stopping_{false};
  EventRecorder* recorder_;
  Logger log_;
  Metrics metrics_;
  std::shared_ptr<WorkQueue<ObjectKey>> queue_;
  std::atomic<int> running_{0};
  detail::AsyncLatch workers_exited_;  // set when the last started worker ended
  std::atomic<int> active_{0};
  std::atomic<std::uint64_t> reconciles_{0};
  std::atomic<bool> started_{false};
};

/// Which objects of a secondary kind (owns<>, watches<>, watches_metadata<>) a controller
/// caches. By default those in the controller's namespace (every namespace when it has
/// none): narrow it so that owns<ConfigMap>() does not cache every ConfigMap of the cluster.
struct SecondaryScope {
  SecondaryScope() = default;             // not an aggregate: see "Params objects" in docs/architecture.md
  std::optional<std::string> namespace_;  ///< unset: the controller's namespace
  std::string label_selector;             ///< "" = every object
  SecondaryScope& in_namespace(std::string ns) {
    namespace_ = std::move(ns);
    return *this;
  }
  SecondaryScope& labels(std::string selector) {
    label_selector = std::move(selector);
    return *this;
  }
};

template <Resource K>
class ControllerBuilder {
 public:
  ControllerBuilder(Client& client, InformerFactory& informers, std::string name);

  /// Watch K only in this namespace ("" = all namespaces, the default).
  [[nodiscard]] ControllerBuilder& in_namespace(std::string ns);
  /// Watch only K objects matching this label selector.
  [[nodiscard]] ControllerBuilder& label_selector(std::string selector);
  /// Filters events of K; several predicates must all pass.
  [[nodiscard]] ControllerBuilder& with_predicate(Predicate<K> predicate);
  /// Reconcile the controller owner (of kind K) of every changed Child. The Child informer
  /// gets the index kopp::controller_uid_index (children by their controller's uid).
  template <Resource Child>
  [[nodiscard]] ControllerBuilder& owns(Predicate<Child> predicate = Predicate<Child>());
  /// owns<Child>() of the Child objects in `scope` only.
  template <Resource Child>
  [[nodiscard]] ControllerBuilder& owns(SecondaryScope scope, Predicate<Child> predicate = Predicate<Child>());
  /// Reconcile the keys `map` returns for every changed Other.
  template <Resource Other>
  [[nodiscard]] ControllerBuilder& watches(
      std::function<std::vector<ObjectKey>(const std::shared_ptr<const Other>&)> map,
      Predicate<Other> predicate = Predicate<Other>());
  /// watches<Other>(map) of the Other objects in `scope` only.
  template <Resource Other>
  [[nodiscard]] ControllerBuilder& watches(
      std::function<std::vector<ObjectKey>(const std::shared_ptr<const Other>&)> map, SecondaryScope scope,
      Predicate<Other> predicate = Predicate<Other>());
  /// Like watches<Other>, from a metadata-only informer (PartialObjectMetadata): for
  /// secondary kinds whose bodies the controller does not need (Pods, Secrets).
  template <Resource Other>
  [[nodiscard]] ControllerBuilder& watches_metadata(
      std::function<std::vector<ObjectKey>(const std::shared_ptr<const PartialObjectMetadata>&)> map,
      SecondaryScope scope = SecondaryScope());
  /// Declares a call the reconciler makes beyond what the declaration implies (reading a
  /// Secret, creating a Job it does not own): `verbs` on K, or on its `subresource`. It
  /// goes into permissions() and so into the generated ClusterRole (permissions.hpp).
  template <Resource Kind>
  [[nodiscard]] ControllerBuilder& permits(const std::vector<std::string>& verbs, std::string_view subresource = {});
  /// The same for a resource without a C++ type (group "" is the core group).
  [[nodiscard]] ControllerBuilder& permits(std::string_view group, std::string_view resource,
                                           const std::vector<std::string>& verbs);
  [[nodiscard]] ControllerBuilder& max_concurrent_reconciles(int n);
  /// Cancels a reconcile that runs longer than `timeout` (see Cancellation) and retries it
  /// with backoff, as controller-runtime's ReconciliationTimeout. Default: no limit.
  [[nodiscard]] ControllerBuilder& reconcile_timeout(std::chrono::milliseconds timeout);
  [[nodiscard]] ControllerBuilder& recorder(EventRecorder& recorder);
  [[nodiscard]] ControllerBuilder& registry(metrics::Registry& registry);
  [[nodiscard]] ControllerBuilder& logger(Logger logger);
  /// Adds index `name` (values from `fn`) to the informer of K this controller reads: the
  /// primary kind or one it owns<>/watches<>; reconciles query it with
  /// ctx.cache().by_index<K>(name, value). A kind the controller did not declare is a misuse.
  template <CachedObject Kind>
  [[nodiscard]] ControllerBuilder& index(std::string name, std::function<std::vector<std::string>(const Kind&)> fn);
  /// Called by build() with the new controller: Manager::controller<K>() sets it to
  /// Manager::add, so a controller built from the Manager's builder is registered without
  /// a manager.add() around it.
  [[nodiscard]] ControllerBuilder& on_built(std::function<void(std::shared_ptr<ControllerBase>)> registration);

  /// Creates the controller and registers its handlers on the shared informers. Throws
  /// std::invalid_argument naming every misuse recorded so far.
  std::shared_ptr<Controller<K>> build(std::shared_ptr<Reconciler<K>> reconciler);
  /// The same for a type that has the reconcile member (ReconcilerOf<R, K>) without
  /// deriving from Reconciler<K>; its optional `deleted(const ObjectKey&, Context&)`
  /// member is used when present.
  template <PlainReconcilerOf<K> R>
  std::shared_ptr<Controller<K>> build(std::shared_ptr<R> reconciler);
  /// Takes a plain reconciler object by value (moved into the controller).
  template <PlainReconcilerArgument<K> R>
  std::shared_ptr<Controller<K>> build(R&& reconciler);

 private:
  /// Registers a secondary watch's handlers; gets what it needs as arguments (not through
  /// the builder, which may be gone by then or moved).
  /// Returns the informer it registered on, so the controller waits for its sync.
  using Wiring = std::function<std::shared_ptr<InformerBase>(const std::shared_ptr<WorkQueue<ObjectKey>>&,
                                                             InformerFactory&, const std::string& ns)>;
  void misuse(std::string what) { problems_.push_back(std::move(what)); }

  Client* client_;
  InformerFactory* informers_;
  std::string name_;
  std::string namespace_;
  std::string label_selector_;
  std::vector<Predicate<K>> predicates_;
  std::vector<Wiring> secondary_;
  std::vector<std::string> secondary_kinds_;  ///< "apiVersion/Kind" of each secondary_, in order
  std::vector<std::string> owned_kinds_;
  Permissions permissions_;
  int workers_ = 1;
  std::chrono::milliseconds reconcile_timeout_{0};
  EventRecorder* recorder_ = nullptr;
  metrics::Registry* registry_ = nullptr;
  std::optional<Logger> logger_;
  std::function<void(std::shared_ptr<ControllerBase>)> on_built_;
  /// Installs one index() on the declared informers; false when none is of its kind.
  std::vector<std::function<bool(const std::vector<std::shared_ptr<InformerBase>>&)>> indexes_;
  std::vector<std::string> index_kinds_;  ///< for the misuse message, in indexes_ order
  std::vector<std::string> problems_;
};

}  // namespace kopp

#include <kopp/runtime/controller/impl/controller.hpp>
