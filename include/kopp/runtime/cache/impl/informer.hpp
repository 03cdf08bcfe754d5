#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/object.hpp>

#include <algorithm>
#include <atomic>
#include <exception>
#include <utility>

namespace kopp {

namespace detail {

/// Handler ids come from one counter for the whole process, so an id names one handler of
/// one informer: removing it from another informer cannot remove the wrong handler.
inline std::uint64_t next_informer_handler_id() noexcept {
  static std::atomic<std::uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace detail

template <CachedObject K>
WatcherHooks<K> Informer<K>::hooks_for(const InformerOptions<K>& options) {
  WatcherHooks<K> hooks;
  hooks.drop_managed_fields = options.drop_managed_fields;
  if (options.transform) {
    hooks.transform = [user = options.transform](K& object) {
      user(object);
      // The transform rule (informer.hpp): mark the object so that a replace or apply
      // built from it is refused by the server instead of erasing what was dropped.
      if (!is_transformed(object.metadata))
        object.metadata.resourceVersion = std::string(transformed_version_prefix) + object.metadata.resourceVersion;
    };
  }
  hooks.on_error = options.on_error;
  // Called from the watcher, which the informer owns: `this` outlives it.
  hooks.on_decode_error = [this](std::string_view message) {
    if (decode_errors_metric_) decode_errors_metric_->inc();
    report(message);
  };
  // Called from the watcher, which the informer owns: `this` outlives it.
  hooks.reuse = [this](std::string_view key, std::string_view resource_version,
                       std::string_view uid) -> std::optional<typename WatcherFsm<K>::Item> {
    auto entry = store_.entry(key);
    if (!entry.object) return std::nullopt;
    const ObjectMeta& meta = entry.object->metadata;
    if (server_resource_version(meta) != resource_version || meta.uid != uid) return std::nullopt;
    return typename WatcherFsm<K>::Item{std::move(entry.object), entry.bytes};
  };
  return hooks;
}

template <CachedObject K>
Informer<K>::Informer(ListWatchSource source, InformerOptions<K> options)
    : options_(std::move(options)),
      description_(source.description),
      watcher_(std::move(source), options_.watcher, hooks_for(options_)) {
  auto& registry = options_.metrics ? *options_.metrics : metrics::Registry::global();
  decode_errors_metric_ = &registry
                               .counter("kopp_informer_decode_errors_total",
                                        "Objects an informer could not decode into its type and skipped", {"informer"})
                               .with({{"informer", description_}});
}

template <CachedObject K>
std::shared_ptr<Informer<K>> Informer<K>::create(ListWatchSource source, InformerOptions<K> options) {
  return std::make_shared<Informer>(std::move(source), std::move(options));
}

template <CachedObject K>
void Informer<K>::report(std::string_view message) const {
  if (options_.on_error) options_.on_error(message);
}

template <CachedObject K>
template <class F>
void Informer<K>::each_handler(F&& f) {
  // A copy: a handler may add or remove handlers while we iterate.
  const auto handlers = handlers_;
  for (const auto& registered : handlers) {
    try {
      f(registered.handlers);
    } catch (const std::exception& e) {
      report(description_ + ": an event handler threw: " + e.what());
    } catch (...) {
      report(description_ + ": an event handler threw");
    }
  }
}

template <CachedObject K>
typename Informer<K>::handler_id Informer<K>::add_handler(EventHandlers<K> handlers) {
  std::lock_guard lock(dispatch_mutex_);
  const handler_id id = detail::next_informer_handler_id();
  handlers_.push_back(Registered{id, handlers});
  for (const auto& object : store_.list()) {
    if (!handlers.added) break;
    try {
      handlers.added(object);
    } catch (const std::exception& e) {
      report(description_ + ": an event handler threw: " + e.what());
    }
  }
  return id;
}

template <CachedObject K>
bool Informer<K>::remove_handler(handler_id id) {
  std::lock_guard lock(dispatch_mutex_);
  return std::erase_if(handlers_, [id](const Registered& r) { return r.id == id; }) > 0;
}

template <CachedObject K>
void Informer<K>::process(WatcherEvent<K> event) {
  std::lock_guard lock(dispatch_mutex_);
  switch (event.type) {
    case WatcherEventType::init:
      restart_.emplace();
      break;
    case WatcherEventType::init_apply:
      if (!restart_) restart_.emplace();
      restart_->push_back(typename Store<K>::Entry{std::move(event.object), event.approximate_bytes});
      break;
    case WatcherEventType::init_done: {
      auto result = store_.replace(restart_ ? std::move(*restart_) : std::vector<typename Store<K>::Entry>());
      restart_.reset();
      synced_ = true;
      sync_settled_.set();
      for (const auto& gone : result.deleted)
        each_handler([&](const EventHandlers<K>& h) {
          if (h.deleted) h.deleted(gone);
        });
      for (const auto& added : result.added)
        each_handler([&](const EventHandlers<K>& h) {
          if (h.added) h.added(added);
        });
      for (const auto& [old, now] : result.updated)
        each_handler([&](const EventHandlers<K>& h) {
          if (h.updated) h.updated(old, now);
        });
      break;
    }
    case WatcherEventType::apply: {
      auto old = store_.apply(event.object, event.approximate_bytes);
      if (old)
        each_handler([&](const EventHandlers<K>& h) {
          if (h.updated) h.updated(old, event.object);
        });
      else
        each_handler([&](const EventHandlers<K>& h) {
          if (h.added) h.added(event.object);
        });
      break;
    }
    case WatcherEventType::delete_: {
      const std::string key = object_key(event.object->metadata);
      if (restart_) {
        // Only a streaming list can delete during a restart.
        std::erase_if(*restart_, [&](const auto& e) { return object_key(e.object->metadata) == key; });
        break;
      }
      if (store_.remove(key))
        each_handler([&](const EventHandlers<K>& h) {
          if (h.deleted) h.deleted(event.object);
        });
      break;
    }
  }
}

template <CachedObject K>
void Informer<K>::resync() {
  std::lock_guard lock(dispatch_mutex_);
  for (const auto& object : store_.list())
    each_handler([&](const EventHandlers<K>& h) {
      if (h.updated) h.updated(object, object);
    });
}

template <CachedObject K>
void Informer<K>::start(boost::asio::any_io_executor executor) {
  std::lock_guard lock(lifecycle_mutex_);
  if (started_ || stopped_) return;
  started_ = true;
  strand_.emplace(boost::asio::make_strand(executor));
  auto self = this->shared_from_this();
  boost::asio::co_spawn(*strand_, run(self), [self](std::exception_ptr e) {
    self->stopped_ = true;
    self->sync_settled_.set();
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& error) {
      self->report(self->description_ + ": the informer stopped: " + error.what());
    } catch (...) {
      self->report(self->description_ + ": the informer stopped");
    }
  });
  if (options_.resync_period.count() > 0) boost::asio::co_spawn(*strand_, resync_loop(self), [](std::exception_ptr) {});
}

template <CachedObject K>
void Informer<K>::stop() {
  std::lock_guard lock(lifecycle_mutex_);
  if (!started_) {
    stopped_ = true;
    sync_settled_.set();
    return;
  }
  boost::asio::post(*strand_, [self = this->shared_from_this()] {
    self->stopped_ = true;
    self->sync_settled_.set();
    self->watcher_.stop();
    if (self->resync_timer_) self->resync_timer_->cancel();
  });
}

template <CachedObject K>
boost::asio::awaitable<void> Informer<K>::run(std::shared_ptr<Informer> self) {
  Informer* informer = self.get();
  co_await informer->watcher_.run([informer](WatcherEvent<K> event) {
    try {
      informer->process(std::move(event));
    } catch (const std::exception& e) {
      // An index function threw: the store is unchanged; the event is lost for this
      // informer until the next restart or update of the object.
      informer->report(informer->description_ + ": applying an event failed: " + e.what());
    }
  });
  informer->stopped_ = true;
  informer->sync_settled_.set();
}

template <CachedObject K>
boost::asio::awaitable<void> Informer<K>::resync_loop(std::shared_ptr<Informer> self) {
  self->resync_timer_.emplace(co_await boost::asio::this_coro::executor);
  while (!self->stopped_) {
    self->resync_timer_->expires_after(self->options_.resync_period);
    auto [ec] = co_await self->resync_timer_->async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    if (ec || self->stopped_) break;
    if (self->synced_) self->resync();
  }
  self->resync_timer_.reset();
}

}  // namespace kopp
