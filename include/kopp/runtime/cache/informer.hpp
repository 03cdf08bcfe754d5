#pragma once
// Informer<K>: a Watcher that keeps a Store of K up to date and tells handlers what
// changed (client-go's SharedIndexInformer, kube-rs' reflector + watcher).
//
//   auto informer = kopp::Informer<ConfigMap>::create(
//       kopp::ListWatchSource::of<ConfigMap>(client, "default"));
//   informer->add_handler(kopp::EventHandlers<ConfigMap>()
//       .on_add([&](const auto& cm) { queue.add(kopp::object_key(cm->metadata)); })
//       .on_update([&](const auto& old, const auto& cm) { ... })
//       .on_delete([&](const auto& cm) { ... }));
//   informer->start(client.get_executor());
//   co_await informer->wait_for_sync();
//   auto cm = informer->store().get("default/settings");
//
// In a program with several controllers, get informers from an InformerFactory
// (kopp/runtime/cache/informer_factory.hpp) so that each kind is watched once.
//
// Guarantees:
//   - Handlers are called one event at a time, in the order of the watch, on the informer's
//     executor (a strand over the executor given to start()), after the store already shows
//     the change. A handler added later first gets on_add for every cached object.
//   - A restart (initial list, relist after 410 Gone, streaming list) replaces the store
//     atomically; then handlers get on_delete for every cached object that is not in the
//     new state (deleted while the watch was down), on_add for new objects and on_update for
//     objects whose resourceVersion changed. Unchanged objects get no event.
//   - has_synced() turns true after the first complete list and stays true.
//   - Resync (options.resync_period > 0) calls on_update(obj, obj) for every cached object
//     each period, as client-go does, so level-based controllers re-check everything.
//   - By default metadata.managedFields is dropped before objects are stored: it is often
//     the larger part of an object and controllers do not read it. Updating the server
//     from such an object is safe: an update (PUT) that omits managedFields keeps the
//     server's managedFields (kopp encodes the empty list as an absent field, never as
//     `[]`, which would clear them). tests/integration/informer_managed_fields_test.cpp
//     checks this against the real API server.
//   - The transform rule: a user transform (options.transform) may drop any field to save
//     memory, so an object it produced is NOT a faithful copy of the server's object and a
//     PUT (replace) or server-side apply built from it would erase the dropped fields. Such
//     objects are therefore marked: their metadata.resourceVersion becomes
//     "kopp-transformed:<rv>" (is_transformed(), server_resource_version()). The API server
//     refuses a replace or apply that carries that resourceVersion (it is not a number:
//     kube-apiserver answers 500, which the client retries before reporting), so data is
//     never lost silently; check is_transformed() rather than relying on the error. To change such an object, send a patch of
//     only what you changed: kopp::merge_patch(*cached, modified) computes it.
// Errors: request failures are retried by the watcher and reported to options.on_error; a
// handler that throws is reported there too and does not stop the informer. An object that
// cannot be decoded into K (a poison object) is skipped, reported to options.on_error and
// counted in kopp_informer_decode_errors_total{informer="<description>"}; the rest of the
// cache stays live and has_synced() is not held back by it (see Watcher: a skipped MODIFIED
// keeps the previous state of that object; a DELETED one is still removed). A watch that
// keeps failing at one resourceVersion is given up for a relist after 3 tries (WatcherFsm).
// Caveats: handlers run on the informer's strand and must be quick (enqueue a key, do not
// block or wait on the network). Handler ids are unique in the process: removing a handler
// with an id another informer gave out does nothing. A handler may add or remove handlers; a handler added
// from inside a handler gets its replay at once, on that thread. wait_for_sync() resumes
// the caller on its own executor the moment the informer syncs or stops (no polling). A
// stopped informer cannot be restarted.

#include <kopp/core/detail/config.hpp>
#include <kopp/client/client.hpp>
#include <kopp/client/params.hpp>
#include <kopp/runtime/telemetry/metrics.hpp>
#include <kopp/runtime/cache/store.hpp>
#include <kopp/runtime/cache/watcher.hpp>
#include <kopp/runtime/detail/async_latch.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kopp {

/// Callbacks of an informer. Any of them may be empty.
template <class K>
struct EventHandlers {
  using object_ptr = std::shared_ptr<const K>;
  EventHandlers() = default;

  std::function<void(const object_ptr&)> added;
  std::function<void(const object_ptr& old, const object_ptr& now)> updated;
  std::function<void(const object_ptr& last_state)> deleted;

  EventHandlers& on_add(std::function<void(const object_ptr&)> f) {
    added = std::move(f);
    return *this;
  }
  EventHandlers& on_update(std::function<void(const object_ptr&, const object_ptr&)> f) {
    updated = std::move(f);
    return *this;
  }
  EventHandlers& on_delete(std::function<void(const object_ptr&)> f) {
    deleted = std::move(f);
    return *this;
  }
};

template <class K>
struct InformerOptions {
  InformerOptions() = default;

  WatcherConfig watcher;
  /// Erase metadata.managedFields before storing (see the header comment: it is safe).
  bool drop_managed_fields = true;
  /// Applied to every object before it is stored; marks the object (see the transform rule).
  std::function<void(K&)> transform;
  /// 0: no resync.
  std::chrono::milliseconds resync_period{0};
  /// Told about request failures (retried), skipped objects and handler exceptions.
  std::function<void(std::string_view message)> on_error;
  /// Where kopp_informer_decode_errors_total is counted; nullptr: metrics::Registry::global().
  metrics::Registry* metrics = nullptr;

  InformerOptions& config(WatcherConfig c) {
    watcher = std::move(c);
    return *this;
  }
  InformerOptions& keep_managed_fields() {
    drop_managed_fields = false;
    return *this;
  }
  InformerOptions& with_transform(std::function<void(K&)> f) {
    transform = std::move(f);
    return *this;
  }
  InformerOptions& resync(std::chrono::milliseconds period) {
    resync_period = period;
    return *this;
  }
  InformerOptions& errors(std::function<void(std::string_view)> f) {
    on_error = std::move(f);
    return *this;
  }
};

/// What every informer offers, whatever its K (used by InformerFactory).
class InformerBase {
 public:
  virtual ~InformerBase() = default;

  /// Starts listing and watching on a strand of `executor`. Idempotent.
  virtual void start(boost::asio::any_io_executor executor) = 0;
  /// Stops the watch (thread-safe). A stopped informer cannot be started again.
  virtual void stop() = 0;
  virtual bool has_synced() const noexcept = 0;
  virtual bool stopped() const noexcept = 0;
  /// Objects cached.
  virtual std::size_t size() const = 0;
  /// Estimated bytes cached: the sum of the objects' JSON text sizes as received (after
  /// managedFields were dropped, before a user transform), computed by a walk of the
  /// parsed JSON. Memory use is typically 1.5-2 times that for objects like a 2 KB
  /// ConfigMap, more for small objects (docs/benchmarks.md).
  virtual std::size_t approximate_bytes() const = 0;
  /// "configmaps in default".
  virtual const std::string& description() const noexcept = 0;
  /// When the current streak of failed LIST/WATCH attempts began (410 Gone excepted);
  /// nullopt while healthy. A Manager's /readyz fails for an informer failing longer than
  /// ManagerOptions::informer_failure_grace.
  virtual std::optional<std::chrono::steady_clock::time_point> failing_since() const noexcept = 0;
  /// The last failure's message ("" before any).
  virtual std::string last_error() const = 0;

  /// True once has_synced(); false when `timeout` passed first or the informer stopped.
  boost::asio::awaitable<bool> wait_for_sync(
      std::chrono::steady_clock::duration timeout = std::chrono::steady_clock::duration::max()) const;
  /// Set once the informer synced or stopped: what wait_for_sync() waits for (a Manager waits
  /// for it or its own stop, whichever comes first).
  const detail::AsyncLatch& sync_settled() const noexcept { return sync_settled_; }

 protected:
  detail::AsyncLatch sync_settled_;
};

template <CachedObject K>
class Informer : public InformerBase, public std::enable_shared_from_this<Informer<K>> {
 public:
  using object_ptr = std::shared_ptr<const K>;
  using handler_id = std::uint64_t;

  static std::shared_ptr<Informer> create(ListWatchSource source, InformerOptions<K> options = InformerOptions<K>());

  Store<K>& store() noexcept { return store_; }
  const Store<K>& store() const noexcept { return store_; }

  /// Registers handlers; they first get on_add for every object already cached. Thread-safe.
  /// The id is unique among all informers of the process.
  handler_id add_handler(EventHandlers<K> handlers);
  /// Removes the handlers added under `id`; returns false (and does nothing) when this
  /// informer has no such handler, e.g. for an id another informer gave out.
  bool remove_handler(handler_id id);

  void start(boost::asio::any_io_executor executor) override;
  void stop() override;
  bool has_synced() const noexcept override { return synced_.load(); }
  bool stopped() const noexcept override { return stopped_.load(); }
  std::size_t size() const override { return store_.size(); }
  std::size_t approximate_bytes() const override { return store_.approximate_bytes(); }
  const std::string& description() const noexcept override { return description_; }
  /// Restarts of the watch so far (1 after the first list; more after 410 Gone).
  std::uint64_t restarts() const noexcept { return watcher_.restarts(); }
  /// Objects skipped so far because they could not be decoded into K.
  std::uint64_t decode_errors() const noexcept { return watcher_.decode_errors(); }
  std::optional<std::chrono::steady_clock::time_point> failing_since() const noexcept override {
    return watcher_.failing_since();
  }
  std::string last_error() const override { return watcher_.last_error(); }

  /// Applies one watcher event to the store and tells the handlers. The informer's own
  /// watcher calls it; tests call it to drive an informer without a server.
  void process(WatcherEvent<K> event);
  /// Calls on_update(obj, obj) of every handler for every cached object.
  void resync();
  /// Decodes a server object as this informer's watcher does (managedFields dropped,
  /// transform applied and marked). For tests and tools.
  typename WatcherFsm<K>::Item decode(boost::json::object object) const { return watcher_.decode(std::move(object)); }

  Informer(ListWatchSource source, InformerOptions<K> options);  // use create()

 private:
  struct Registered {
    handler_id id;
    EventHandlers<K> handlers;
  };
  static boost::asio::awaitable<void> run(std::shared_ptr<Informer> self);
  static boost::asio::awaitable<void> resync_loop(std::shared_ptr<Informer> self);
  WatcherHooks<K> hooks_for(const InformerOptions<K>& options);
  void report(std::string_view message) const;
  template <class F>
  void each_handler(F&& f);

  InformerOptions<K> options_;
  std::string description_;
  Store<K> store_;
  Watcher<K> watcher_;
  // Held while the store changes and handlers run, and while a new handler gets its
  // replay, so every handler sees each change exactly once. Recursive: a handler may add
  // another handler.
  std::recursive_mutex dispatch_mutex_;
  std::vector<Registered> handlers_;
  metrics::Counter* decode_errors_metric_ = nullptr;
  std::optional<std::vector<typename Store<K>::Entry>> restart_;
  std::atomic<bool> synced_{false};
  std::atomic<bool> started_{false};
  std::atomic<bool> stopped_{false};
  std::mutex lifecycle_mutex_;  // start() and stop() from any thread
  std::optional<boost::asio::strand<boost::asio::any_io_executor>> strand_;
  std::optional<boost::asio::steady_timer> resync_timer_;
};

}  // namespace kopp

#include <kopp/runtime/cache/impl/informer.hpp>
#if KOPP_HEADER_ONLY
#include <kopp/runtime/cache/impl/informer.ipp>
#endif
