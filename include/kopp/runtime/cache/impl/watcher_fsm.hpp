#pragma once

#include <algorithm>
#include <utility>

namespace kopp {

inline std::string_view to_string(WatcherEventType type) noexcept {
  switch (type) {
    case WatcherEventType::init:
      return "init";
    case WatcherEventType::init_apply:
      return "init_apply";
    case WatcherEventType::init_done:
      return "init_done";
    case WatcherEventType::apply:
      return "apply";
    case WatcherEventType::delete_:
      return "delete";
  }
  return "unknown";
}

template <class K>
WatcherFsm<K>::WatcherFsm(WatcherConfig config, std::uint64_t seed)
    : config_(std::move(config)), backoff_(config_.backoff, seed), rng_(seed ^ 0x9e3779b97f4a7c15ull) {
  if (config_.max_watch_timeout < config_.min_watch_timeout) config_.max_watch_timeout = config_.min_watch_timeout;
  streaming_ = config_.initial_list == InitialList::streaming;
  restart();
}

template <class K>
void WatcherFsm<K>::restart() {
  initial_done_ = false;
  init_emitted_ = false;
  resource_version_.clear();
  continue_token_.clear();
  failed_version_.clear();
  failures_at_version_ = 0;
  if (streaming_)
    enter_open_watch();
  else
    state_ = state::list;
}

template <class K>
void WatcherFsm<K>::go_to(state next) {
  if (next == state::open_watch)
    enter_open_watch();
  else
    state_ = next;
}

template <class K>
void WatcherFsm<K>::enter_open_watch() {
  std::uniform_int_distribution<std::int64_t> spread(config_.min_watch_timeout.count(),
                                                     config_.max_watch_timeout.count());
  watch_timeout_seconds_ = static_cast<std::uint32_t>(spread(rng_));
  state_ = state::open_watch;
}

template <class K>
WatcherAction WatcherFsm<K>::action() const {
  WatcherAction action;
  switch (state_) {
    case state::list:
      action.kind = WatcherAction::type::list_page;
      // After an expired continue token: everything in one response (client-go's pager).
      action.params.labels(config_.label_selector)
          .fields(config_.field_selector)
          .limit(unpaginated_ ? 0 : config_.page_size);
      // The first page is a quorum read of the latest state; later pages come from the
      // first page's snapshot through the continue token.
      if (!continue_token_.empty()) action.params.continue_from(continue_token_);
      break;
    case state::open_watch:
      action.kind = WatcherAction::type::open_watch;
      action.params.labels(config_.label_selector)
          .fields(config_.field_selector)
          .bookmarks(true)
          .timeout(watch_timeout_seconds_);
      if (!initial_done_)
        action.params.initial_events(true);  // streaming restart from the latest state
      else
        action.params.at_version(resource_version_);
      break;
    case state::read:
      action.kind = WatcherAction::type::read_event;
      break;
    case state::sleep:
      action.kind = WatcherAction::type::sleep;
      action.delay = delay_;
      break;
  }
  return action;
}

template <class K>
void WatcherFsm<K>::emit(WatcherEventType type, Item item) {
  if (type == WatcherEventType::init) ++restarts_;
  events_.push_back(WatcherEvent<K>{type, std::move(item.object), item.bytes});
}

template <class K>
void WatcherFsm<K>::list_page_received(std::vector<Item> items, std::string_view resource_version,
                                       std::string_view continue_token) {
  if (state_ != state::list) return;
  if (continue_token_.empty()) {
    // First page of a (re)start: a partial earlier attempt is superseded.
    emit(WatcherEventType::init);
    init_emitted_ = true;
  }
  for (auto& item : items) emit(WatcherEventType::init_apply, std::move(item));
  if (!continue_token.empty()) {
    continue_token_ = std::string(continue_token);
    return;
  }
  continue_token_.clear();
  unpaginated_ = false;  // the fallback was for this restart only
  resource_version_ = std::string(resource_version);
  initial_done_ = true;
  emit(WatcherEventType::init_done);
  enter_open_watch();
}

template <class K>
void WatcherFsm<K>::watch_opened(clock::time_point now) {
  if (state_ != state::open_watch) return;
  state_ = state::read;
  watch_started_ = now;
  events_in_watch_ = 0;
  if (!initial_done_) {
    emit(WatcherEventType::init);
    init_emitted_ = true;
  }
}

template <class K>
void WatcherFsm<K>::event_received(WatchEventType type, Item item, std::string_view resource_version,
                                   const std::optional<Status>& error, bool initial_events_end, clock::time_point) {
  if (state_ != state::read) return;
  if (type == WatchEventType::error) {
    const bool gone =
        error && (error->code == 410 || error->reason == status_reason::gone || error->reason == "Expired");
    std::string message = "watch ERROR event";
    if (error) message += ": " + std::to_string(error->code) + " " + error->reason + ": " + error->message;
    failure(gone, false, std::move(message));
    return;
  }
  healthy(resource_version);
  switch (type) {
    case WatchEventType::bookmark:
      if (!initial_done_) {
        // Bookmarks before the end of a streaming list carry no resumable state.
        if (initial_events_end) {
          resource_version_ = std::string(resource_version);
          initial_done_ = true;
          emit(WatcherEventType::init_done);
        }
      } else if (!resource_version.empty()) {
        resource_version_ = std::string(resource_version);
      }
      break;
    case WatchEventType::added:
    case WatchEventType::modified:
      // An event without a resourceVersion keeps the last one: "" would resume at "now".
      if (initial_done_) {
        if (!resource_version.empty()) resource_version_ = std::string(resource_version);
        emit(WatcherEventType::apply, std::move(item));
      } else {
        emit(WatcherEventType::init_apply, std::move(item));
      }
      break;
    case WatchEventType::deleted:
      if (initial_done_ && !resource_version.empty()) resource_version_ = std::string(resource_version);
      emit(WatcherEventType::delete_, std::move(item));
      break;
    case WatchEventType::error:
      break;  // handled above
  }
}

template <class K>
void WatcherFsm<K>::healthy(std::string_view resource_version) {
  ++events_in_watch_;
  // The watch is healthy: the next failure starts the backoff from the beginning.
  backoff_.reset();
  failures_ = 0;
  gone_in_a_row_ = 0;
  if (resource_version.empty() || resource_version != failed_version_) failures_at_version_ = 0;
}

template <class K>
void WatcherFsm<K>::event_skipped(std::string_view resource_version, clock::time_point) {
  if (state_ != state::read) return;
  healthy(resource_version);
  if (initial_done_ && !resource_version.empty()) resource_version_ = std::string(resource_version);
}

template <class K>
void WatcherFsm<K>::watch_ended(clock::time_point now) {
  if (state_ != state::read) return;
  if (!initial_done_) {
    failure(false, false, "the watch ended before the initial events were complete");
    return;
  }
  if (events_in_watch_ == 0 && now - watch_started_ < config_.min_watch_duration) {
    failure(false, false, "the watch ended at once without any event", false);
    return;
  }
  enter_open_watch();  // resume from resource_version_
}

template <class K>
void WatcherFsm<K>::failed(const boost::system::error_code& ec, std::string message) {
  if (state_ == state::sleep) return;
  const bool refused = streaming_ && !initial_done_ && state_ == state::open_watch &&
                       (ec == make_error_code(errc::bad_request) || ec == make_error_code(errc::invalid));
  failure(is_gone(ec), refused, std::move(message));
}

template <class K>
void WatcherFsm<K>::failure(bool gone, bool refused, std::string message, bool at_version) {
  last_error_ = std::move(message);
  ++failures_;
  if (gone && state_ == state::list && !continue_token_.empty()) {
    // The continue token expired during a paginated list: one unpaginated list of
    // everything, at once (client-go's pager, FullListIfExpired). The partial restart is
    // superseded by the init its first page emits.
    continue_token_.clear();
    unpaginated_ = true;
    gone_in_a_row_ = 0;
    return;  // still state::list
  }
  if (gone) {
    // The server answers again (it knows the version is gone): relist now, whatever the
    // failures before. A 410 right after a relist, though, sleeps: no relist loop.
    if (gone_in_a_row_++ == 0) {
      backoff_.reset();
      initial_done_ = false;
      resource_version_.clear();
      continue_token_.clear();
      failed_version_.clear();
      failures_at_version_ = 0;
      go_to(streaming_ ? state::open_watch : state::list);
      return;
    }
  } else {
    gone_in_a_row_ = 0;
  }
  if (at_version && !gone && !refused && state_ != state::list && initial_done_ && config_.relist_after_failures > 0) {
    // The same resourceVersion failing again and again (e.g. an event there that cannot
    // be read) would be resumed forever: give it up after a few tries and relist.
    if (resource_version_ == failed_version_) {
      ++failures_at_version_;
    } else {
      failed_version_ = resource_version_;
      failures_at_version_ = 1;
    }
    if (failures_at_version_ >= config_.relist_after_failures) {
      last_error_ += " (" + std::to_string(failures_at_version_) + " failures in a row at resourceVersion " +
                     failed_version_ + ": relisting)";
      gone = true;
      failed_version_.clear();
      failures_at_version_ = 0;
    }
  }
  if (refused) {
    // The server does not serve streaming lists: paginated lists from now on.
    streaming_ = false;
    after_sleep_ = state::list;
    initial_done_ = false;
    resource_version_.clear();
    continue_token_.clear();
  } else if (gone) {
    // A second 410 in a row, or a watch given up above: restart after the backoff.
    initial_done_ = false;
    resource_version_.clear();
    continue_token_.clear();
    after_sleep_ = streaming_ ? state::open_watch : state::list;
  } else if (state_ == state::list) {
    after_sleep_ = state::list;  // the same page again
  } else {
    // A broken or refused watch: resume from the last resourceVersion, or restart the
    // streaming list when its initial events were not complete.
    after_sleep_ = state::open_watch;
  }
  delay_ = backoff_.next();
  state_ = state::sleep;
}

template <class K>
void WatcherFsm<K>::slept() {
  if (state_ != state::sleep) return;
  go_to(after_sleep_);
}

template <class K>
std::optional<WatcherEvent<K>> WatcherFsm<K>::pop_event() {
  if (events_.empty()) return std::nullopt;
  auto event = std::move(events_.front());
  events_.pop_front();
  return event;
}

}  // namespace kopp
