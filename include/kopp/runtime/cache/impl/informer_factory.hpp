#pragma once

#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace kopp {

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

}  // namespace kopp
