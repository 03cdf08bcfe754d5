#pragma once
// Watcher<K>: keeps a view of one kind (in one namespace, or all, with optional label and
// field selectors) by listing then watching, and reports it as a stream of
// WatcherEvents (init / init_apply / init_done / apply / delete_), like kube-rs' watcher.
// The protocol lives in WatcherFsm (kopp/runtime/cache/watcher_fsm.hpp, sans-io); this header is
// its driver: it performs the requests, sleeps the backoff and decodes the objects.
//
//   kopp::Watcher<ConfigMap> watcher(kopp::ListWatchSource::of<ConfigMap>(client, "default"));
//   co_await watcher.run([](kopp::WatcherEvent<ConfigMap> e) { ... });   // until stop()
//
// Most programs use an Informer (kopp/runtime/cache/informer.hpp), which keeps a Store from these
// events and calls handlers.
//
// Guarantees: see WatcherFsm — resume from the last resourceVersion (bookmarks included)
// after a dropped or timed-out watch, a full restart after 410 Gone, backoff with jitter
// on every failure, never a busy loop. Objects are decoded once and shared
// (std::shared_ptr<const K>). Objects nested up to kopp::json_max_depth (10,000) levels
// are read like any other. A watch that delivers nothing, not even a bookmark, for
// config.watch_idle_timeout (3 minutes; the server sends bookmarks about once a minute) is
// presumed dead (a half-open connection), closed, and resumed from its resourceVersion.
// Errors: run() does not fail on request errors: they are retried, and reported to
// WatcherHooks::on_error. An exception thrown by the sink propagates out of run().
// An object that cannot be decoded into K (a poison object: wrong types, a failing
// transform) does not stop the watcher: it is skipped and reported to
// WatcherHooks::on_decode_error (counted in decode_errors()); the rest of the list or
// watch goes on and the resourceVersion moves past it. A DELETED event whose object does not
// decode still deletes: it is delivered as a K holding only the decoded metadata.
// Caveats: a skipped object is absent from a restart, and a skipped MODIFIED event leaves
// the previous state of that object in place, until a later event or list of it decodes.
// run() and stop() must be called on the same executor (an Informer does this
// for you; Informer::stop() is thread-safe). A request in flight when stop() is called
// (a LIST page) finishes first; an open watch is closed at once.

#include <kopp/core/detail/config.hpp>
#include <kopp/client/api_resource.hpp>
#include <kopp/client/client.hpp>
#include <kopp/client/dynamic_api.hpp>
#include <kopp/client/watch_stream.hpp>
#include <kopp/core/json.hpp>
#include <kopp/core/resource.hpp>
#include <kopp/core/partial_object_metadata.hpp>
#include <kopp/runtime/cache/store.hpp>
#include <kopp/runtime/cache/watcher_fsm.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/object.hpp>

#include <atomic>
#include <functional>
#include <chrono>
#include <optional>
#include <string>

namespace kopp {

/// Where a watcher lists and watches: two functions returning the server's JSON, so that
/// one watcher serves typed objects, metadata-only objects and tests alike.
struct ListWatchSource {
  ListWatchSource() = default;

  /// One LIST page: the server's List object (metadata.resourceVersion, metadata.continue,
  /// items).
  std::function<boost::asio::awaitable<boost::json::object>(ListParams)> list_page;
  /// A WATCH with these parameters.
  std::function<boost::asio::awaitable<RawWatchStream>(ListParams)> watch;
  /// For messages: "configmaps in default".
  std::string description;

  /// Whole objects of `resource` in namespace `ns` ("" = all namespaces, or cluster-scoped).
  static ListWatchSource objects(Client& client, ApiResource resource, std::string ns);
  /// The same objects as PartialObjectMetadata (Accept: as=PartialObjectMetadata[List]).
  static ListWatchSource metadata(Client& client, ApiResource resource, std::string ns);

  template <Resource K>
  static ListWatchSource of(Client& client, std::string ns) {
    return objects(client, ApiResource::of<K>(), std::move(ns));
  }
  template <Resource K>
  static ListWatchSource metadata_of(Client& client, std::string ns) {
    return metadata(client, ApiResource::of<K>(), std::move(ns));
  }
};

/// How a watcher turns the server's JSON into cached objects.
template <class K>
struct WatcherHooks {
  WatcherHooks() = default;

  /// Erase metadata.managedFields from the JSON before decoding (informers do by default).
  bool drop_managed_fields = false;
  /// Applied to each decoded object before it is shared (not to bookmarks).
  std::function<void(K&)> transform;
  /// Told about every failure the watcher retries (message names the request).
  std::function<void(std::string_view message)> on_error;
  /// Told about every object that could not be decoded into K and was skipped (message
  /// names the object and the problem). When empty, on_error is told instead.
  std::function<void(std::string_view message)> on_decode_error;
  /// Asked for each item of a list page before it is decoded: the object already decoded
  /// for this key, resourceVersion and uid, if any. An Informer answers from its store, so
  /// a relist (after 410 Gone or a restart) decodes only the objects that changed and
  /// shares the rest, instead of holding two decoded copies of the whole cache.
  std::function<std::optional<typename WatcherFsm<K>::Item>(std::string_view key, std::string_view resource_version,
                                                            std::string_view uid)>
      reuse;
};

template <CachedObject K>
class Watcher {
 public:
  using sink_type = std::function<void(WatcherEvent<K>)>;

  explicit Watcher(ListWatchSource source, WatcherConfig config = WatcherConfig(),
                   WatcherHooks<K> hooks = WatcherHooks<K>());

  /// Lists and watches until stop(), delivering events to `sink` in order.
  boost::asio::awaitable<void> run(sink_type sink);
  /// Ends run() soon: closes the open watch, cancels a backoff sleep. Call it on the
  /// executor that runs run().
  void stop();

  const ListWatchSource& source() const noexcept { return source_; }
  /// Restarts (init events) so far; 1 after the first list.
  std::uint64_t restarts() const noexcept { return restarts_.load(); }
  /// Failures so far (each was retried).
  std::uint64_t failures() const noexcept { return failures_.load(); }
  /// Objects skipped because they could not be decoded into K.
  std::uint64_t decode_errors() const noexcept { return decode_errors_.load(); }
  /// When the current streak of failed LIST/WATCH attempts began; nullopt while the last
  /// attempt succeeded (a list page, an opened watch or an event arrived). 410 Gone is not a
  /// failure here: it only asks for a relist. Thread-safe.
  std::optional<std::chrono::steady_clock::time_point> failing_since() const noexcept;
  /// The message of the last failure ("" before any). Thread-safe.
  std::string last_error() const;

  /// Decodes one object of the server's JSON (after dropping managedFields if asked and
  /// applying the transform); throws api_error(errc::malformed_response).
  typename WatcherFsm<K>::Item decode(boost::json::object object) const;

 private:
  boost::asio::awaitable<void> list_page(const ListParams& params);
  boost::asio::awaitable<void> open_watch(const ListParams& params);
  boost::asio::awaitable<void> read_event();
  boost::asio::awaitable<void> sleep(std::chrono::milliseconds delay);
  void fail(const boost::system::error_code& ec, std::string message);
  /// Health bookkeeping for failing_since(): a failure (410 excepted) starts a streak, any
  /// success ends it.
  void note_failure(const boost::system::error_code& ec, const std::string& message);
  void note_success() noexcept { failing_since_.store(0); }
  /// Reports an object that was skipped because it does not decode.
  void skipped(std::string message);
  /// Closes and forgets the open watch, and disarms its idle watchdog. Never while a read
  /// on the stream is pending (stop() only closes).
  void drop_stream() noexcept;
  /// Arms the idle watchdog of the open watch (config.watch_idle_timeout after the last event).
  void arm_idle_watchdog(std::chrono::steady_clock::time_point deadline);
  /// hooks_.reuse for one list item, or nullopt.
  std::optional<typename WatcherFsm<K>::Item> reuse(const boost::json::object& object) const;

  ListWatchSource source_;
  WatcherHooks<K> hooks_;
  WatcherFsm<K> fsm_;
  std::optional<RawWatchStream> stream_;
  std::optional<boost::asio::steady_timer> timer_;
  // The idle watchdog: one wait per idle period (not one per event), re-armed from the
  // time of the last event when it fires early.
  std::optional<boost::asio::steady_timer> idle_timer_;
  std::chrono::steady_clock::time_point last_activity_{};
  std::uint64_t watch_generation_ = 0;  // tells a stale watchdog wake-up from a current one
  bool idle_expired_ = false;
  bool stopped_ = false;
  std::atomic<std::uint64_t> restarts_{0};
  std::atomic<std::uint64_t> failures_{0};
  std::atomic<std::uint64_t> decode_errors_{0};
  std::atomic<std::chrono::steady_clock::rep> failing_since_{0};  // 0: not failing
  mutable std::mutex last_error_mutex_;
  std::string last_error_;
};

namespace detail {
/// The size of `v` as compact JSON text, estimated by a walk (no serialisation). The walk
/// is iterative: its stack use does not grow with the nesting depth.
std::size_t json_size_estimate(const boost::json::value& v);
}  // namespace detail

}  // namespace kopp

#include <kopp/runtime/cache/impl/watcher.hpp>
#if KOPP_HEADER_ONLY
#include <kopp/runtime/cache/impl/watcher.ipp>
#endif
