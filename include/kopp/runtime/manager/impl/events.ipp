#pragma once

#include <kopp/runtime/manager/events.hpp>

#include <kopp/client/api.hpp>
#include <kopp/client/error.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/object.hpp>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <utility>

namespace kopp {

KOPP_DECL std::string_view to_string(EventType type) noexcept {
  return type == EventType::warning ? "Warning" : "Normal";
}

KOPP_DECL std::string truncate_utf8(std::string text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t cut = max_bytes;
  // Back up over continuation bytes (10xxxxxx) so the cut lands before a lead byte.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  text.resize(cut);
  return text;
}

KOPP_DECL std::string event_name(std::string_view regarding_name, std::uint64_t unique) {
  constexpr std::size_t max_name = 253;
  constexpr std::size_t suffix = 17;  // '.' + 16 hex digits
  // A DNS subdomain: labels of [a-z0-9-] that start and end alphanumeric.
  std::string base;
  std::string label;
  auto flush_label = [&] {
    while (!label.empty() && label.back() == '-') label.pop_back();
    if (!label.empty()) {
      if (!base.empty()) base += '.';
      base += label;
    }
    label.clear();
  };
  for (char c : regarding_name) {
    const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    if (lower == '.') {
      flush_label();
    } else if ((lower >= 'a' && lower <= 'z') || (lower >= '0' && lower <= '9')) {
      label += lower;
    } else if (!label.empty()) {
      label += '-';
    }
  }
  flush_label();
  if (base.size() > max_name - suffix) {
    base.resize(max_name - suffix);
    while (!base.empty() && (base.back() == '-' || base.back() == '.')) base.pop_back();
  }
  if (base.empty()) base = "event";
  static const char hex[] = "0123456789abcdef";
  std::string out = std::move(base);
  out += '.';
  for (int shift = 60; shift >= 0; shift -= 4) out += hex[(unique >> shift) & 0xf];
  return out;
}

// --- EventAggregator -------------------------------------------------------------------

KOPP_DECL EventAggregator::EventAggregator() : EventAggregator(Options()) {}

KOPP_DECL EventAggregator::EventAggregator(Options options) : options_(options) {
  if (options_.max_series == 0) options_.max_series = 1;
}

KOPP_DECL bool EventAggregator::writable(const Series& s, steady_time now, bool force) const noexcept {
  return !s.creating && !s.writing && !s.event_name.empty() && s.count > s.written &&
         (force || now - s.last_write >= options_.flush_interval);
}

KOPP_DECL EventAggregator::Decision EventAggregator::update_decision(Series& s, steady_time now) {
  s.writing = true;
  s.last_write = now;
  Decision d;
  d.what = action::update;
  d.series_id = s.id;
  d.count = s.count;
  d.last_observed = s.last_observed;
  d.event_namespace = s.event_namespace;
  d.event_name = s.event_name;
  return d;
}

KOPP_DECL EventAggregator::Decision EventAggregator::record(const std::string& key, steady_time now,
                                                            std::chrono::system_clock::time_point wall) {
  auto it = series_.find(key);
  if (it != series_.end() && now - it->second.last_seen >= options_.window) {
    // The series ended; a write still in flight for it finds nothing and is ignored.
    erase(it->second.id);
    it = series_.end();
  }
  if (it == series_.end()) {
    while (series_.size() >= options_.max_series) evict_one();
    Series s;
    s.id = next_id_++;
    s.creating = true;
    s.last_seen = now;
    s.last_write = now;
    s.last_observed = MicroTime(wall);
    it = series_.emplace(key, std::move(s)).first;
    by_id_.emplace(it->second.id, it);
    Decision d;
    d.what = action::create;
    d.series_id = it->second.id;
    d.count = 1;
    d.last_observed = it->second.last_observed;
    return d;
  }
  Series& s = it->second;
  if (s.count < std::numeric_limits<std::int32_t>::max()) ++s.count;
  s.last_seen = now;
  s.last_observed = MicroTime(wall);
  if (writable(s, now, false)) return update_decision(s, now);
  Decision d;
  d.series_id = s.id;
  d.count = s.count;
  d.last_observed = s.last_observed;
  return d;
}

KOPP_DECL EventAggregator::Series* EventAggregator::find(std::uint64_t id) {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &it->second->second;
}

KOPP_DECL void EventAggregator::erase(std::uint64_t id) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  series_.erase(it->second);
  by_id_.erase(it);
}

KOPP_DECL void EventAggregator::evict_one() {
  auto oldest = series_.begin();
  for (auto it = series_.begin(); it != series_.end(); ++it)
    if (it->second.last_seen < oldest->second.last_seen) oldest = it;
  if (oldest != series_.end()) erase(oldest->second.id);
}

KOPP_DECL void EventAggregator::created(std::uint64_t series_id, std::string ns, std::string name, std::int32_t count) {
  Series* s = find(series_id);
  if (!s) return;
  s->creating = false;
  s->event_namespace = std::move(ns);
  s->event_name = std::move(name);
  s->written = std::max(s->written, count);
}

KOPP_DECL void EventAggregator::create_failed(std::uint64_t series_id) { erase(series_id); }

KOPP_DECL void EventAggregator::updated(std::uint64_t series_id, std::int32_t count) {
  Series* s = find(series_id);
  if (!s) return;
  s->writing = false;
  s->written = std::max(s->written, count);
}

KOPP_DECL void EventAggregator::update_failed(std::uint64_t series_id, bool event_gone) {
  if (event_gone) {
    erase(series_id);
    return;
  }
  if (Series* s = find(series_id)) s->writing = false;  // retried once the interval passed
}

KOPP_DECL std::vector<EventAggregator::Decision> EventAggregator::due(steady_time now, bool force) {
  std::vector<Decision> out;
  for (auto& [key, s] : series_)
    if (writable(s, now, force)) out.push_back(update_decision(s, now));
  return out;
}

KOPP_DECL std::optional<EventAggregator::steady_time> EventAggregator::next_due() const {
  std::optional<steady_time> next;
  for (const auto& [key, s] : series_) {
    if (s.creating || s.writing || s.event_name.empty() || s.count <= s.written) continue;
    const steady_time at = s.last_write + options_.flush_interval;
    if (!next || at < *next) next = at;
  }
  return next;
}

KOPP_DECL bool EventAggregator::pending() const {
  for (const auto& [key, s] : series_)
    if (s.creating || s.writing || s.count > s.written) return true;
  return false;
}

KOPP_DECL bool EventAggregator::writing() const {
  for (const auto& [key, s] : series_)
    if (s.creating || s.writing) return true;
  return false;
}
namespace detail {

KOPP_DECL std::string ev_key(const api::core::v1::ObjectReference& r, std::string_view type, std::string_view reason,
                             std::string_view action, std::string_view note) {
  std::string key;
  for (std::string_view part :
       {std::string_view(r.apiVersion), std::string_view(r.kind), std::string_view(r.namespace_),
        std::string_view(r.name), std::string_view(r.uid), std::string_view(r.fieldPath), type, reason, action, note}) {
    key.append(part);
    key += '\x1f';
  }
  return key;
}

KOPP_DECL ev_work ev_record(ev_state& st, api::core::v1::ObjectReference regarding, EventType type, std::string reason,
                            std::string action, std::string note) {
  reason = truncate_utf8(std::move(reason), 128);
  action = truncate_utf8(std::move(action), 128);
  note = truncate_utf8(std::move(note), 1024);
  const std::string key = ev_key(regarding, to_string(type), reason, action, note);
  ev_work work;
  const auto now = std::chrono::steady_clock::now();
  const auto wall = std::chrono::system_clock::now();
  std::lock_guard lock(st.mutex);
  if (st.closed) return work;
  work.decision = st.aggregator.record(key, now, wall);
  if (work.decision.what == EventAggregator::action::create) {
    api::events::v1::Event& e = work.event;
    e.metadata.namespace_ = regarding.namespace_.empty() ? "default" : regarding.namespace_;
    e.metadata.name = event_name(regarding.name, st.unique_suffix());
    e.eventTime = MicroTime(wall);
    e.reportingController = st.options.reporting_controller;
    e.reportingInstance = st.options.reporting_instance;
    e.action = std::move(action);
    e.reason = std::move(reason);
    e.note = std::move(note);
    e.type = std::string(to_string(type));
    e.regarding = std::move(regarding);
  }
  return work;
}

KOPP_DECL boost::json::value ev_series_patch(const EventAggregator::Decision& d) {
  boost::json::object series;
  series["count"] = d.count;
  series["lastObservedTime"] = d.last_observed.to_string();
  boost::json::object body;
  body["series"] = std::move(series);
  return body;
}

/// Performs one write; updates the aggregator; rethrows the failure.
KOPP_DECL boost::asio::awaitable<void> ev_write(std::shared_ptr<ev_state> st, ev_work work) {
  using event_type = api::events::v1::Event;
  const EventAggregator::Decision& d = work.decision;
  if (d.what == EventAggregator::action::create) {
    Api<event_type> api(st->client, work.event.metadata.namespace_);
    const PostParams params(st->options.field_manager);
    try {
      event_type created = co_await api.create(work.event, params);
      std::lock_guard lock(st->mutex);
      st->aggregator.created(d.series_id, created.metadata.namespace_, created.metadata.name, d.count);
    } catch (const std::exception& e) {
      {
        std::lock_guard lock(st->mutex);
        st->aggregator.create_failed(d.series_id);
      }
      st->log.warn("creating an event failed",
                   {{"event", work.event.metadata.namespace_ + "/" + work.event.metadata.name},
                    {"reason", work.event.reason},
                    {"error", e.what()}});
      throw;
    }
  } else if (d.what == EventAggregator::action::update) {
    Api<event_type> api(st->client, d.event_namespace);
    const Patch patch = Patch::merge(ev_series_patch(d));
    const PatchParams params(st->options.field_manager);
    try {
      co_await api.patch(d.event_name, patch, params);
      std::lock_guard lock(st->mutex);
      st->aggregator.updated(d.series_id, d.count);
    } catch (const api_error& e) {
      {
        std::lock_guard lock(st->mutex);
        st->aggregator.update_failed(d.series_id, is_not_found(e));
      }
      st->log.warn("updating an event series failed",
                   {{"event", d.event_namespace + "/" + d.event_name}, {"count", d.count}, {"error", e.what()}});
      throw;
    } catch (...) {
      std::lock_guard lock(st->mutex);
      st->aggregator.update_failed(d.series_id, false);
      throw;
    }
  }
}

KOPP_DECL boost::asio::awaitable<void> ev_flush_loop(std::shared_ptr<ev_state> st);

/// Starts the background flush when counted repeats wait and it is not running.
KOPP_DECL void ev_arm_flush(const std::shared_ptr<ev_state>& st) {
  {
    std::lock_guard lock(st->mutex);
    if (st->closed || st->flush_armed || !st->aggregator.next_due()) return;
    st->flush_armed = true;
  }
  boost::asio::co_spawn(st->strand, ev_flush_loop(st), boost::asio::detached);
}

KOPP_DECL boost::asio::awaitable<void> ev_background_write(std::shared_ptr<ev_state> st, ev_work work) {
  try {
    co_await ev_write(st, std::move(work));
  } catch (...) {
    // Logged by ev_write; post() promised never to throw.
  }
  {
    std::lock_guard lock(st->mutex);
    --st->in_flight;
  }
  ev_arm_flush(st);
}

KOPP_DECL boost::asio::awaitable<void> ev_flush_loop(std::shared_ptr<ev_state> st) {
  while (true) {
    std::optional<std::chrono::steady_clock::time_point> next;
    {
      std::lock_guard lock(st->mutex);
      next = st->closed ? std::nullopt : st->aggregator.next_due();
      if (!next) {
        st->flush_armed = false;
        co_return;
      }
    }
    st->flush_timer.expires_at(*next);
    auto [ec] = co_await st->flush_timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    (void)ec;
    std::vector<EventAggregator::Decision> due;
    {
      std::lock_guard lock(st->mutex);
      if (st->closed) {
        st->flush_armed = false;
        co_return;
      }
      due = st->aggregator.due(std::chrono::steady_clock::now(), false);
    }
    for (auto& d : due) {
      ev_work work;
      work.decision = std::move(d);
      try {
        co_await ev_write(st, std::move(work));
      } catch (...) {
        // Logged; retried after the flush interval.
      }
    }
  }
}
}  // namespace detail

KOPP_DECL EventRecorder::EventRecorder(Client& client, EventRecorderOptions options) {
  if (options.reporting_controller.empty())
    throw std::invalid_argument("kopp::EventRecorder: reporting_controller is required");
  if (options.reporting_instance.empty()) {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) == 0 && host[0] != '\0')
      options.reporting_instance = host;
    else
      options.reporting_instance = options.reporting_controller;
  }
  options.reporting_instance = truncate_utf8(std::move(options.reporting_instance), 128);
  state_ = std::make_shared<state>(client, std::move(options));
}

KOPP_DECL EventRecorder::~EventRecorder() {
  std::shared_ptr<state> st = state_;
  {
    std::lock_guard lock(st->mutex);
    st->closed = true;
  }
  boost::asio::post(st->strand, [st] { st->flush_timer.cancel(); });
}

KOPP_DECL boost::asio::awaitable<void> EventRecorder::publish(api::core::v1::ObjectReference regarding, EventType type,
                                                              std::string reason, std::string action,
                                                              std::string note) {
  std::shared_ptr<state> st = state_;
  detail::ev_work work =
      detail::ev_record(*st, std::move(regarding), type, std::move(reason), std::move(action), std::move(note));
  if (work.decision.what == EventAggregator::action::none) {
    detail::ev_arm_flush(st);
    co_return;
  }
  co_await detail::ev_write(st, std::move(work));
  detail::ev_arm_flush(st);
}

KOPP_DECL void EventRecorder::post(api::core::v1::ObjectReference regarding, EventType type, std::string reason,
                                   std::string action, std::string note) noexcept {
  try {
    std::shared_ptr<state> st = state_;
    detail::ev_work work =
        detail::ev_record(*st, std::move(regarding), type, std::move(reason), std::move(action), std::move(note));
    if (work.decision.what == EventAggregator::action::none) {
      detail::ev_arm_flush(st);
      return;
    }
    {
      std::lock_guard lock(st->mutex);
      if (st->in_flight >= st->options.max_in_flight) {
        // Too many writes waiting on the API server: drop this one rather than queue.
        if (work.decision.what == EventAggregator::action::create)
          st->aggregator.create_failed(work.decision.series_id);
        else
          st->aggregator.update_failed(work.decision.series_id, false);
        ++st->dropped;
        return;
      }
      ++st->in_flight;
    }
    boost::asio::co_spawn(st->strand, detail::ev_background_write(st, std::move(work)), boost::asio::detached);
  } catch (...) {
    // Out of memory or a broken executor: an event is not worth failing a reconcile for.
    ++state_->dropped;
  }
}

KOPP_DECL boost::asio::awaitable<void> EventRecorder::flush() {
  std::shared_ptr<state> st = state_;
  boost::asio::steady_timer pause(co_await boost::asio::this_coro::executor);
  std::exception_ptr first_error;
  while (true) {
    std::vector<EventAggregator::Decision> due;
    bool waiting;
    {
      std::lock_guard lock(st->mutex);
      due = st->aggregator.due(std::chrono::steady_clock::now(), true);
      waiting = st->in_flight > 0 || st->aggregator.writing();
    }
    for (auto& d : due) {
      detail::ev_work work;
      work.decision = std::move(d);
      try {
        co_await detail::ev_write(st, std::move(work));
      } catch (...) {
        if (!first_error) first_error = std::current_exception();
      }
    }
    if (!due.empty()) continue;
    if (!waiting) break;
    // Background writes (a create, a series update) still run; their counts are
    // written once they finished.
    pause.expires_after(std::chrono::milliseconds(5));
    co_await pause.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  }
  if (first_error) std::rethrow_exception(first_error);
}

KOPP_DECL boost::asio::awaitable<void> EventRecorder::close() {
  std::exception_ptr error;
  try {
    co_await flush();
  } catch (...) {
    error = std::current_exception();
  }
  std::shared_ptr<state> st = state_;
  {
    std::lock_guard lock(st->mutex);
    st->closed = true;
  }
  boost::asio::post(st->strand, [st] { st->flush_timer.cancel(); });
  if (error) std::rethrow_exception(error);
}

KOPP_DECL std::uint64_t EventRecorder::dropped() const noexcept { return state_->dropped.load(); }

KOPP_DECL const EventRecorderOptions& EventRecorder::options() const noexcept { return state_->options; }
}  // namespace kopp
