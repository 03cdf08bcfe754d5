#pragma once
// Watcher<K>: keeps a view of one kind (in one namespace, or all, with optional label and
// field selectors) by listing then watching, and reports it as a stream of
// WatcherEvents (init / init_apply / init_done / apply / delete_), like kube-rs' watcher.
// The protocol lives in WatcherFsm (kopp/runtime/watcher_fsm.hpp, sans-io); this header is
// its driver: it performs the requests, sleeps the backoff and decodes the objects.
//
//   kopp::Watcher<ConfigMap> watcher(kopp::ListWatchSource::of<ConfigMap>(client, "default"));
//   co_await watcher.run([](kopp::WatcherEvent<ConfigMap> e) { ... });   // until stop()
//
// Most programs use an Informer (kopp/runtime/informer.hpp), which keeps a Store from these
// events and calls handlers.
//
// Guarantees: see WatcherFsm — resume from the last resourceVersion (bookmarks included)
// after a dropped or timed-out watch, a full restart after 410 Gone, backoff with jitter
// on every failure, never a busy loop. Objects are decoded once and shared
// (std::shared_ptr<const K>).
// Errors: run() does not fail on request errors: they are retried, and reported to
// WatcherHooks::on_error. An exception thrown by the sink propagates out of run().
// Caveats: run() and stop() must be called on the same executor (an Informer does this
// for you; Informer::stop() is thread-safe). A request in flight when stop() is called
// (a LIST page) finishes first; an open watch is closed at once.

#include <kopp/client/api_resource.hpp>
#include <kopp/client/client.hpp>
#include <kopp/client/dynamic_api.hpp>
#include <kopp/client/watch_stream.hpp>
#include <kopp/core/json.hpp>
#include <kopp/core/resource.hpp>
#include <kopp/runtime/partial_object_metadata.hpp>
#include <kopp/runtime/store.hpp>
#include <kopp/runtime/watcher_fsm.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/object.hpp>

#include <atomic>
#include <functional>
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
  /// Asked for each item of a list page before it is decoded: the object already decoded
  /// for this key, resourceVersion and uid, if any. An Informer answers from its store, so
  /// a relist (after 410 Gone or a restart) decodes only the objects that changed and
  /// shares the rest, instead of holding two decoded copies of the whole cache.
  std::function<std::optional<typename WatcherFsm<K>::Item>(
      std::string_view key, std::string_view resource_version, std::string_view uid)>
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

  /// Decodes one object of the server's JSON (after dropping managedFields if asked and
  /// applying the transform); throws api_error(errc::malformed_response).
  typename WatcherFsm<K>::Item decode(boost::json::object object) const;

 private:
  boost::asio::awaitable<void> list_page(const ListParams& params);
  boost::asio::awaitable<void> open_watch(const ListParams& params);
  boost::asio::awaitable<void> read_event();
  boost::asio::awaitable<void> sleep(std::chrono::milliseconds delay);
  void fail(const boost::system::error_code& ec, std::string message);
  /// hooks_.reuse for one list item, or nullopt.
  std::optional<typename WatcherFsm<K>::Item> reuse(const boost::json::object& object) const;

  ListWatchSource source_;
  WatcherHooks<K> hooks_;
  WatcherFsm<K> fsm_;
  std::optional<RawWatchStream> stream_;
  std::optional<boost::asio::steady_timer> timer_;
  bool stopped_ = false;
  std::atomic<std::uint64_t> restarts_{0};
  std::atomic<std::uint64_t> failures_{0};
};

namespace detail {
/// The size of `v` as compact JSON text, estimated by a walk (no serialisation).
std::size_t json_size_estimate(const boost::json::value& v) noexcept;
}  // namespace detail

}  // namespace kopp

#include <kopp/runtime/impl/watcher.hpp>
