#pragma once

#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace kopp {

inline InformerFactory::InformerFactory(Client& client, InformerFactoryOptions options)
    : InformerFactory(client, client.get_executor(), std::move(options)) {}

inline InformerFactory::InformerFactory(Client& client, boost::asio::any_io_executor executor,
                                        InformerFactoryOptions options)
    : client_(&client), executor_(std::move(executor)), options_(std::move(options)) {}

inline InformerFactory::~InformerFactory() { stop(); }

template <class Object>
std::shared_ptr<Informer<Object>> InformerFactory::get_or_make(key_type key, ListWatchSource source,
                                                               std::string label_selector, std::string field_selector) {
  std::lock_guard lock(mutex_);
  if (auto it = informers_.find(key); it != informers_.end())
    return std::static_pointer_cast<Informer<Object>>(it->second);
  InformerOptions<Object> options;
  options.watcher = options_.watcher;
  options.watcher.label_selector = std::move(label_selector);
  options.watcher.field_selector = std::move(field_selector);
  options.drop_managed_fields = options_.drop_managed_fields;
  options.resync_period = options_.resync_period;
  options.on_error = options_.on_error;
  auto informer = Informer<Object>::create(std::move(source), std::move(options));
  informers_.emplace(std::move(key), informer);
  if (started_) informer->start(executor_);
  return informer;
}

template <Resource K>
std::shared_ptr<Informer<K>> InformerFactory::get(std::string ns, std::string label_selector,
                                                  std::string field_selector) {
  if constexpr (!is_namespaced<K>()) ns.clear();
  key_type key{std::type_index(typeid(K)), false, gvr_of<K>().to_string(), ns, label_selector, field_selector};
  return get_or_make<K>(std::move(key), ListWatchSource::of<K>(*client_, ns), std::move(label_selector),
                        std::move(field_selector));
}

template <Resource K>
std::shared_ptr<Informer<PartialObjectMetadata>> InformerFactory::get_metadata(std::string ns,
                                                                               std::string label_selector,
                                                                               std::string field_selector) {
  if constexpr (!is_namespaced<K>()) ns.clear();
  // Keyed by resource, not by K: every C++ type of one resource shares its metadata informer.
  key_type key{std::type_index(typeid(PartialObjectMetadata)),
               true,
               gvr_of<K>().to_string(),
               ns,
               label_selector,
               field_selector};
  return get_or_make<PartialObjectMetadata>(std::move(key), ListWatchSource::metadata_of<K>(*client_, ns),
                                            std::move(label_selector), std::move(field_selector));
}

inline void InformerFactory::start() {
  std::lock_guard lock(mutex_);
  started_ = true;
  for (auto& [key, informer] : informers_) informer->start(executor_);
}

inline void InformerFactory::stop() {
  std::lock_guard lock(mutex_);
  for (auto& [key, informer] : informers_) informer->stop();
}

inline std::vector<std::shared_ptr<InformerBase>> InformerFactory::informers() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<InformerBase>> out;
  for (const auto& [key, informer] : informers_) out.push_back(informer);
  return out;
}

inline boost::asio::awaitable<bool> InformerFactory::wait_for_sync(std::chrono::steady_clock::duration timeout) {
  using clock = std::chrono::steady_clock;
  const bool forever = timeout > std::chrono::hours(24 * 365);
  const auto start = clock::now();
  for (const auto& informer : informers()) {
    auto left = clock::duration::max();
    if (!forever) {
      const auto waited = clock::now() - start;
      if (waited >= timeout) co_return informer->has_synced();
      left = timeout - waited;
    }
    const bool synced = co_await informer->wait_for_sync(left);
    if (!synced) co_return false;
  }
  co_return true;
}

}  // namespace kopp
