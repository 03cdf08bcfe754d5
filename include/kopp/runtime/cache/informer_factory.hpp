#pragma once
// InformerFactory: one informer (one LIST + WATCH, one cache) per (C++ type, resource,
// namespace, label selector, field selector) in a process, shared by every controller and
// handler that asks for it (client-go's SharedInformerFactory).
//
//   kopp::InformerFactory informers(client);
//   auto pods = informers.get<Pod>("default");                  // the same pointer ...
//   auto again = informers.get<Pod>("default");                 // ... every time
//   pods->add_handler(kopp::EventHandlers<Pod>().on_add(...));
//   informers.start();                                           // starts all, and later ones
//   co_await informers.wait_for_sync(std::chrono::seconds(30));
//
// Guarantees: get() is thread-safe and returns the same informer for the same key; an
// informer obtained after start() is started at once. Informers run on strands of the
// factory's executor (the client's by default). stop() stops all of them.
// Errors: wait_for_sync() returns false when the timeout passed first.
// Caveats: informers of a factory share the factory's InformerOptions defaults
// (managedFields dropped, no transform, no resync); an informer that needs a transform or
// other options is made with Informer<K>::create() and is not shared. A different
// selector is a different watch: prefer one broad informer and filter in the store.

#include <kopp/core/detail/config.hpp>
#include <kopp/client/client.hpp>
#include <kopp/runtime/cache/informer.hpp>
#include <kopp/core/partial_object_metadata.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <typeindex>
#include <vector>

namespace kopp {

/// Defaults applied to every informer a factory makes.
struct InformerFactoryOptions {
  InformerFactoryOptions() = default;

  WatcherConfig watcher;  ///< its selectors are replaced by get()'s
  bool drop_managed_fields = true;
  std::chrono::milliseconds resync_period{0};
  std::function<void(std::string_view message)> on_error;
};

class InformerFactory {
 public:
  explicit InformerFactory(Client& client, InformerFactoryOptions options = InformerFactoryOptions());
  InformerFactory(Client& client, boost::asio::any_io_executor executor,
                  InformerFactoryOptions options = InformerFactoryOptions());
  /// Stops every informer.
  ~InformerFactory();
  InformerFactory(const InformerFactory&) = delete;
  InformerFactory& operator=(const InformerFactory&) = delete;

  /// The shared informer of K in `ns` ("" = all namespaces; ignored for cluster-scoped K).
  template <Resource K>
  std::shared_ptr<Informer<K>> get(std::string ns = {}, std::string label_selector = {},
                                   std::string field_selector = {});
  /// The shared metadata-only informer of K's resource.
  template <Resource K>
  std::shared_ptr<Informer<PartialObjectMetadata>> get_metadata(std::string ns = {}, std::string label_selector = {},
                                                                std::string field_selector = {});

  /// Starts every informer, and every one obtained later. Idempotent.
  void start();
  void stop();
  /// True once every informer obtained so far has synced; false after `timeout`.
  boost::asio::awaitable<bool> wait_for_sync(
      std::chrono::steady_clock::duration timeout = std::chrono::steady_clock::duration::max());
  /// Every informer (for metrics: size(), approximate_bytes(), description()).
  std::vector<std::shared_ptr<InformerBase>> informers() const;

 private:
  // (type, metadata only, group/version/plural, namespace, labels, fields)
  using key_type = std::tuple<std::type_index, bool, std::string, std::string, std::string, std::string>;

  template <class Object>
  std::shared_ptr<Informer<Object>> get_or_make(key_type key, ListWatchSource source, std::string label_selector,
                                                std::string field_selector);

  Client* client_;
  boost::asio::any_io_executor executor_;
  InformerFactoryOptions options_;
  mutable std::mutex mutex_;
  std::map<key_type, std::shared_ptr<InformerBase>> informers_;
  bool started_ = false;
};

}  // namespace kopp

#include <kopp/runtime/cache/impl/informer_factory.hpp>
#if KOPP_HEADER_ONLY
#include <kopp/runtime/cache/impl/informer_factory.ipp>
#endif
