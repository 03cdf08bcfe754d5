#pragma once

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

template <Resource K>
api::core::v1::ObjectReference make_object_reference(const K& object) {
  api::core::v1::ObjectReference ref;
  ref.apiVersion = api_version<K>();
  ref.kind = std::string(resource_traits<K>::kind);
  ref.namespace_ = object.metadata.namespace_;
  ref.name = object.metadata.name;
  ref.uid = object.metadata.uid;
  ref.resourceVersion = object.metadata.resourceVersion;
  return ref;
}

// --- EventRecorder ---------------------------------------------------------------------

// Shared by the recorder and its detached writes. `mutex` guards the aggregator and the
// counters; the flush timer lives on `strand`.
struct EventRecorder::state {
  using event_type = api::events::v1::Event;

  state(Client& c, EventRecorderOptions o)
      : client(c),
        options(std::move(o)),
        strand(boost::asio::make_strand(c.get_executor())),
        aggregator(aggregator_options(options)),
        flush_timer(strand),
        log(options.logger.with({{"logger", "events"}, {"controller", options.reporting_controller}})) {}

  static EventAggregator::Options aggregator_options(const EventRecorderOptions& o) {
    EventAggregator::Options a;
    a.window = o.aggregation_window;
    a.flush_interval = o.series_flush_interval;
    a.max_series = o.max_series;
    return a;
  }

  Client& client;
  EventRecorderOptions options;
  boost::asio::strand<boost::asio::any_io_executor> strand;
  std::mutex mutex;
  EventAggregator aggregator;
  std::uint64_t last_unique = 0;
  bool closed = false;
  bool flush_armed = false;
  std::size_t in_flight = 0;
  boost::asio::steady_timer flush_timer;
  std::atomic<std::uint64_t> dropped{0};
  Logger log;

  // A unique, increasing suffix for event names: the wall clock in nanoseconds, as
  // client-go uses, bumped when two events share a nanosecond.
  std::uint64_t unique_suffix() {
    const auto ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    last_unique = std::max(last_unique + 1, static_cast<std::uint64_t>(ns));
    return last_unique;
  }
};

namespace detail {

using ev_state = EventRecorder::state;

/// What one record() call turned into: the decision and, for a create, the Event.
struct ev_work {
  ev_work() = default;  // not an aggregate: it is passed into co_await expressions (GCC 12)
  EventAggregator::Decision decision;
  api::events::v1::Event event;
};

}  // namespace detail

template <Resource K>
boost::asio::awaitable<void> EventRecorder::publish(const K& regarding, EventType type, std::string reason,
                                                    std::string action, std::string note) {
  // Not a coroutine itself: the reference is built now, so `regarding` need not outlive
  // the returned awaitable.
  return publish(make_object_reference(regarding), type, std::move(reason), std::move(action), std::move(note));
}

template <Resource K>
void EventRecorder::post(const K& regarding, EventType type, std::string reason, std::string action,
                         std::string note) noexcept {
  try {
    post(make_object_reference(regarding), type, std::move(reason), std::move(action), std::move(note));
  } catch (...) {
    ++state_->dropped;
  }
}

}  // namespace kopp
