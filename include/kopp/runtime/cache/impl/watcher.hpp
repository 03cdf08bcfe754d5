#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <exception>
#include <utility>
#include <vector>

namespace kopp {

namespace detail {

inline std::size_t json_size_estimate(const boost::json::value& root) {
  // Iterative, with the pending values on the heap: objects nest up to json_max_depth
  // levels, and this runs in coroutines on ordinary thread stacks.
  std::size_t n = 0;
  std::vector<const boost::json::value*> pending{&root};
  while (!pending.empty()) {
    const boost::json::value& v = *pending.back();
    pending.pop_back();
    switch (v.kind()) {
      case boost::json::kind::null:
        n += 4;
        break;
      case boost::json::kind::bool_:
        n += v.get_bool() ? 4 : 5;
        break;
      case boost::json::kind::int64:
      case boost::json::kind::uint64:
      case boost::json::kind::double_:
        n += 8;
        break;
      case boost::json::kind::string:
        n += v.get_string().size() + 2;
        break;
      case boost::json::kind::array:
        n += 2 + v.get_array().size();  // brackets and separators
        for (const auto& e : v.get_array()) pending.push_back(&e);
        break;
      case boost::json::kind::object:
        n += 2;
        for (const auto& kv : v.get_object()) {
          n += kv.key().size() + 4;  // quotes, colon, separator
          pending.push_back(&kv.value());
        }
        break;
    }
  }
  return n;
}

/// "namespace/name@resourceVersion" of a server object, for messages.
inline std::string json_object_label(const boost::json::object& object);

inline const boost::json::object* json_metadata(const boost::json::object& object) noexcept {
  if (auto* meta = object.if_contains("metadata"); meta && meta->is_object()) return &meta->get_object();
  return nullptr;
}

inline std::string_view json_string_at(const boost::json::object* object, std::string_view key) noexcept {
  if (!object) return {};
  if (auto* v = object->if_contains(key); v && v->is_string()) return v->get_string();
  return {};
}

inline std::string json_object_label(const boost::json::object& object) {
  const auto* meta = json_metadata(object);
  const auto ns = json_string_at(meta, "namespace");
  const auto name = json_string_at(meta, "name");
  std::string label;
  if (!ns.empty()) label.append(ns).append(1, '/');
  label.append(name.empty() ? std::string_view("(unnamed)") : name);
  if (const auto rv = json_string_at(meta, "resourceVersion"); !rv.empty()) label.append(1, '@').append(rv);
  return label;
}

}  // namespace detail

template <CachedObject K>
Watcher<K>::Watcher(ListWatchSource source, WatcherConfig config, WatcherHooks<K> hooks)
    : source_(std::move(source)), hooks_(std::move(hooks)), fsm_(std::move(config)) {
  if (!source_.list_page || !source_.watch)
    throw std::invalid_argument("Watcher: the ListWatchSource needs list_page and watch");
}

template <CachedObject K>
typename WatcherFsm<K>::Item Watcher<K>::decode(boost::json::object object) const {
  if (hooks_.drop_managed_fields)
    if (auto* meta = object.if_contains("metadata"); meta && meta->is_object())
      meta->get_object().erase("managedFields");
  typename WatcherFsm<K>::Item item;
  boost::json::value value(std::move(object));
  item.bytes = detail::json_size_estimate(value);
  auto decoded = std::make_shared<K>();
  decode_watch_object(value, *decoded, source_.description);
  if (hooks_.transform) hooks_.transform(*decoded);
  item.object = std::move(decoded);
  return item;
}

template <CachedObject K>
std::optional<typename WatcherFsm<K>::Item> Watcher<K>::reuse(const boost::json::object& object) const {
  if (!hooks_.reuse) return std::nullopt;
  const auto* meta = detail::json_metadata(object);
  const auto resource_version = detail::json_string_at(meta, "resourceVersion");
  const auto name = detail::json_string_at(meta, "name");
  if (resource_version.empty() || name.empty()) return std::nullopt;
  const auto ns = detail::json_string_at(meta, "namespace");
  std::string key;
  key.reserve(ns.size() + 1 + name.size());
  if (!ns.empty()) key.append(ns).append(1, '/');
  key.append(name);
  return hooks_.reuse(key, resource_version, detail::json_string_at(meta, "uid"));
}

template <CachedObject K>
void Watcher<K>::skipped(std::string message) {
  ++decode_errors_;
  if (hooks_.on_decode_error)
    hooks_.on_decode_error(message);
  else if (hooks_.on_error)
    hooks_.on_error(message);
}

template <CachedObject K>
void Watcher<K>::drop_stream() noexcept {
  ++watch_generation_;
  if (idle_timer_) idle_timer_->cancel();
  if (stream_) stream_->close();
  stream_.reset();
}

template <CachedObject K>
void Watcher<K>::arm_idle_watchdog(std::chrono::steady_clock::time_point deadline) {
  idle_timer_->expires_at(deadline);
  idle_timer_->async_wait([this, generation = watch_generation_](const boost::system::error_code& ec) {
    // Aborted: disarmed, re-armed or destroyed with the watcher (so `this` is not used).
    if (ec || generation != watch_generation_ || !stream_ || stopped_) return;
    const auto idle = fsm_.config().watch_idle_timeout;
    const auto deadline = last_activity_ + idle;
    if (std::chrono::steady_clock::now() < deadline) {
      arm_idle_watchdog(deadline);  // events came meanwhile: wait for the rest of the period
      return;
    }
    // A half-open connection delivers nothing and reports nothing: close it, which ends
    // the pending read; read_event() reports the failure and the watch resumes.
    idle_expired_ = true;
    stream_->close();
  });
}

template <CachedObject K>
std::optional<std::chrono::steady_clock::time_point> Watcher<K>::failing_since() const noexcept {
  const auto ticks = failing_since_.load();
  if (ticks == 0) return std::nullopt;
  return std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(ticks));
}

template <CachedObject K>
std::string Watcher<K>::last_error() const {
  std::lock_guard lock(last_error_mutex_);
  return last_error_;
}

template <CachedObject K>
void Watcher<K>::note_failure(const boost::system::error_code& ec, const std::string& message) {
  {
    std::lock_guard lock(last_error_mutex_);
    last_error_ = message;
  }
  if (ec == make_error_code(errc::gone)) return;
  std::chrono::steady_clock::rep expected = 0;
  const auto now =
      std::max<std::chrono::steady_clock::rep>(1, std::chrono::steady_clock::now().time_since_epoch().count());
  failing_since_.compare_exchange_strong(expected, now);
}

template <CachedObject K>
void Watcher<K>::fail(const boost::system::error_code& ec, std::string message) {
  note_failure(ec, message);
  ++failures_;
  if (hooks_.on_error) hooks_.on_error(message);
  fsm_.failed(ec, std::move(message));
}

template <CachedObject K>
boost::asio::awaitable<void> Watcher<K>::run(sink_type sink) {
  while (!stopped_) {
    const WatcherAction action = fsm_.action();
    switch (action.kind) {
      case WatcherAction::type::list_page:
        co_await list_page(action.params);
        break;
      case WatcherAction::type::open_watch:
        co_await open_watch(action.params);
        break;
      case WatcherAction::type::read_event:
        co_await read_event();
        break;
      case WatcherAction::type::sleep:
        co_await sleep(action.delay);
        break;
    }
    while (auto event = fsm_.pop_event()) {
      if (event->type == WatcherEventType::init) ++restarts_;
      sink(std::move(*event));
    }
  }
  drop_stream();
  // Hold no I/O object once run() is over: the watcher (an informer) may outlive the
  // io_context it ran on.
  idle_timer_.reset();
}

template <CachedObject K>
void Watcher<K>::stop() {
  stopped_ = true;
  // Close only: a read may be pending on the stream, and it must end before the stream
  // is destroyed (run() drops it when it returns).
  ++watch_generation_;
  if (idle_timer_) idle_timer_->cancel();
  if (stream_) stream_->close();
  if (timer_) timer_->cancel();
}

template <CachedObject K>
boost::asio::awaitable<void> Watcher<K>::list_page(const ListParams& params) {
  boost::system::error_code ec;
  std::string message;
  try {
    auto page = co_await source_.list_page(params);
    const auto* meta = detail::json_metadata(page);
    std::vector<typename WatcherFsm<K>::Item> items;
    if (auto* list = page.if_contains("items"); list && list->is_array()) {
      items.reserve(list->get_array().size());
      for (auto& item : list->get_array()) {
        if (!item.is_object()) {
          skipped("LIST " + source_.description + ": an item is not an object; skipped");
          continue;
        }
        if (auto kept = reuse(item.get_object())) {
          items.push_back(std::move(*kept));
          continue;
        }
        // One object that does not decode must not keep the whole kind from syncing.
        std::string label = detail::json_object_label(item.get_object());
        try {
          items.push_back(decode(std::move(item.get_object())));
        } catch (const std::exception& e) {
          skipped("LIST " + source_.description + ": " + label + " does not decode; skipped: " + e.what());
        }
      }
    }
    note_success();
    fsm_.list_page_received(std::move(items), detail::json_string_at(meta, "resourceVersion"),
                            detail::json_string_at(meta, "continue"));
    co_return;
  } catch (const boost::system::system_error& e) {
    ec = e.code();
    message = std::string("LIST ") + source_.description + ": " + e.what();
  } catch (const std::exception& e) {
    ec = make_error_code(errc::malformed_response);
    message = std::string("LIST ") + source_.description + ": " + e.what();
  }
  fail(ec, std::move(message));
}

template <CachedObject K>
boost::asio::awaitable<void> Watcher<K>::open_watch(const ListParams& params) {
  boost::system::error_code ec;
  std::string message;
  try {
    auto stream = co_await source_.watch(params);
    stream_.emplace(std::move(stream));
    if (stopped_) co_return;  // stop() came while the watch was being opened
    const auto now = std::chrono::steady_clock::now();
    ++watch_generation_;
    idle_expired_ = false;
    last_activity_ = now;
    if (const auto idle = fsm_.config().watch_idle_timeout; idle.count() > 0) {
      if (!idle_timer_) idle_timer_.emplace(co_await boost::asio::this_coro::executor);
      arm_idle_watchdog(now + idle);
    }
    note_success();
    fsm_.watch_opened(now);
    co_return;
  } catch (const boost::system::system_error& e) {
    ec = e.code();
    message = std::string("WATCH ") + source_.description + ": " + e.what();
  } catch (const std::exception& e) {
    ec = make_error_code(errc::malformed_response);
    message = std::string("WATCH ") + source_.description + ": " + e.what();
  }
  fail(ec, std::move(message));
}

template <CachedObject K>
boost::asio::awaitable<void> Watcher<K>::read_event() {
  boost::system::error_code ec;
  std::string message;
  try {
    auto raw = co_await stream_->next();
    if (stopped_) co_return;
    const auto now = std::chrono::steady_clock::now();
    last_activity_ = now;
    if (!raw) {
      if (!idle_expired_) {
        drop_stream();
        fsm_.watch_ended(now);
        co_return;
      }
      // The idle watchdog closed it: a failure, so the watch resumes after the backoff.
      throw api_error(make_error_code(errc::timeout), "nothing received for " +
                                                          std::to_string(fsm_.config().watch_idle_timeout.count()) +
                                                          " ms, not even a bookmark: the connection is presumed dead");
    }
    std::optional<Status> status;
    typename WatcherFsm<K>::Item item;
    const auto* meta = detail::json_metadata(raw->object);
    const std::string resource_version(detail::json_string_at(meta, "resourceVersion"));
    bool initial_events_end = false;
    switch (raw->type) {
      case WatchEventType::error:
        status = decode_watch_status(boost::json::value(std::move(raw->object)), "ERROR event");
        break;
      case WatchEventType::bookmark:
        if (meta)
          if (auto* annotations = meta->if_contains("annotations"); annotations && annotations->is_object())
            initial_events_end =
                detail::json_string_at(&annotations->get_object(), "k8s.io/initial-events-end") == "true";
        break;
      default: {
        // A DELETED object that does not decode must still leave the cache: keep its
        // metadata (small) to deliver a metadata-only K.
        std::optional<boost::json::value> deleted_metadata;
        if (raw->type == WatchEventType::deleted && meta) deleted_metadata.emplace(*meta);
        std::string label = detail::json_object_label(raw->object);
        try {
          item = decode(std::move(raw->object));
        } catch (const std::exception& e) {
          std::string problem = "WATCH " + source_.description + ": " + std::string(to_string(raw->type)) + " " +
                                label + " does not decode";
          bool delivered = false;
          if (deleted_metadata) {
            try {
              auto stub = std::make_shared<K>();
              from_json(*deleted_metadata, stub->metadata);
              item.object = std::move(stub);
              delivered = true;
            } catch (const std::exception&) {
            }
          }
          skipped(problem + (delivered ? "; deleted by its metadata: " : "; skipped: ") + e.what());
          if (!delivered) {
            // The watch is healthy and goes on past the object; no poison loop.
            fsm_.event_skipped(resource_version, now);
            co_return;
          }
        }
        break;
      }
    }
    if (raw->type == WatchEventType::error) {
      // The server ends a watch after an ERROR event; the machine decides what follows.
      drop_stream();
      ++failures_;
      std::string problem = "WATCH " + source_.description + ": ERROR event " + std::to_string(status->code) + " " +
                            status->reason + ": " + status->message;
      note_failure(status->code == 410 ? make_error_code(errc::gone) : make_error_code(errc::unexpected_status),
                   problem);
      if (hooks_.on_error) hooks_.on_error(problem);
    } else {
      note_success();
    }
    fsm_.event_received(raw->type, std::move(item), resource_version, status, initial_events_end, now);
    co_return;
  } catch (const boost::system::system_error& e) {
    ec = e.code();
    message = std::string("WATCH ") + source_.description + ": " + e.what();
  } catch (const std::exception& e) {
    ec = make_error_code(errc::malformed_response);
    message = std::string("WATCH ") + source_.description + ": " + e.what();
  }
  drop_stream();
  if (stopped_) co_return;
  fail(ec, std::move(message));
}

template <CachedObject K>
boost::asio::awaitable<void> Watcher<K>::sleep(std::chrono::milliseconds delay) {
  timer_.emplace(co_await boost::asio::this_coro::executor);
  timer_->expires_after(delay);
  co_await timer_->async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  timer_.reset();
  if (!stopped_) fsm_.slept();
}

}  // namespace kopp
