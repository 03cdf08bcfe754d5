#pragma once
// Kubernetes Events (events.k8s.io/v1) about the objects a controller manages, as
// `kubectl events` and `kubectl describe` show them; after client-go's tools/events.
//
//   kopp::EventRecorderOptions options;
//   options.reporting_controller = "example.com/memcached-operator";
//   kopp::EventRecorder recorder(client, options);
//   recorder.post(memcached, kopp::EventType::normal, "Scaled", "Scale", "scaled to 3");
//   co_await recorder.publish(memcached, kopp::EventType::warning, "Failed", "Provision", why);
//
// Aggregation: an event identical to an earlier one (same regarding object, type,
// reason, action and note) within the aggregation window (6 min) is not a new object:
// the first occurrence creates an Event, repeats are counted in memory and written to
// its `series` (count = all occurrences, lastObservedTime) with a merge patch, at most
// once per series_flush_interval (30 s) per series. The logic is EventAggregator below,
// sans-io and unit-tested with a fake clock.
//
// Guarantees:
//   - post() never throws and never waits for the network: it decides in memory and
//     hands the write to a detached coroutine. At most max_in_flight such writes run at
//     once; beyond that events are dropped (counted in dropped()), so an API server
//     outage cannot pile up memory or requests.
//   - publish() waits for its write (if one is due) and throws api_error when it fails.
//   - Notes are cut to 1 KiB on a UTF-8 boundary, reasons and actions to 128 bytes, as
//     the API requires; the event is named `<regarding name>.<16 hex digits>` in the
//     regarding object's namespace ("default" for cluster-scoped objects).
//   - Counted repeats are written by a background timer when due, and by flush() /
//     close() at once.
// Errors:
//   - The constructor throws std::invalid_argument without a reporting_controller.
//   - publish() and flush() throw kopp::api_error (forbidden: the RBAC rules need create
//     and patch on events.k8s.io events).
// Caveats:
//   - Counts between flushes are lost when the process dies; call close() on shutdown.
//   - When the Event was deleted meanwhile (the API server's event TTL, 1 h by default),
//     the series is forgotten and the next occurrence creates a new Event.
//   - The Client must outlive the writes: co_await close() before destroying it.

#include <kopp/core/detail/config.hpp>
#include <kopp/api/core/v1.hpp>
#include <kopp/api/events/v1.hpp>
#include <kopp/client/client.hpp>
#include <kopp/core/resource.hpp>
#include <kopp/core/time.hpp>
#include <kopp/runtime/telemetry/log.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kopp {

enum class EventType { normal, warning };

/// "Normal" / "Warning".
[[nodiscard]] std::string_view to_string(EventType type) noexcept;

/// A reference to `object` for Event.regarding: apiVersion, kind, namespace, name, uid
/// and resourceVersion.
template <Resource K>
[[nodiscard]] api::core::v1::ObjectReference make_object_reference(const K& object);

/// `text` cut to at most `max_bytes`, never inside a UTF-8 sequence.
[[nodiscard]] std::string truncate_utf8(std::string text, std::size_t max_bytes);

/// `<regarding name>.<16 hex digits of unique>`, the regarding name made a valid DNS
/// subdomain (lower case; other characters become '-') and shortened to fit 253 bytes.
[[nodiscard]] std::string event_name(std::string_view regarding_name, std::uint64_t unique);

/// The sans-io core of the recorder: which occurrence creates an Event, which updates
/// its series, and which is only counted. Keys are opaque strings (the recorder joins
/// regarding, type, reason, action and note). Not thread-safe.
class EventAggregator {
 public:
  using steady_time = std::chrono::steady_clock::time_point;

  struct Options {
    Options() = default;
    /// Repeats within this time of the previous occurrence join its series.
    std::chrono::milliseconds window{std::chrono::minutes(6)};
    /// At most one series write per series per this interval.
    std::chrono::milliseconds flush_interval{std::chrono::seconds(30)};
    /// Series remembered at once; the least recently seen is forgotten first.
    std::size_t max_series = 4096;
  };

  enum class action {
    none,    ///< counted in memory
    create,  ///< create a new Event (with `series` when count > 1)
    update,  ///< patch the series of Event `event_namespace/event_name`
  };
  struct Decision {
    action what = action::none;
    std::uint64_t series_id = 0;
    std::int32_t count = 1;  ///< occurrences so far (series.count when > 1)
    MicroTime last_observed;
    std::string event_namespace;
    std::string event_name;
  };

  EventAggregator();
  explicit EventAggregator(Options options);

  /// An occurrence of the event `key` at `now` / `wall`.
  [[nodiscard]] Decision record(const std::string& key, steady_time now, std::chrono::system_clock::time_point wall);

  /// The create decided for `series_id` succeeded as Event `ns/name`.
  void created(std::uint64_t series_id, std::string ns, std::string name, std::int32_t count);
  /// It failed: the series is forgotten, the next occurrence tries again.
  void create_failed(std::uint64_t series_id);
  /// The series update succeeded with `count`.
  void updated(std::uint64_t series_id, std::int32_t count);
  /// The series update failed; `event_gone`: the Event no longer exists (forget the
  /// series), otherwise it is retried after the flush interval.
  void update_failed(std::uint64_t series_id, bool event_gone);

  /// Series updates due at `now` (all pending ones when `force`), marked as in flight.
  [[nodiscard]] std::vector<Decision> due(steady_time now, bool force);
  /// When the next pending series update becomes due; nullopt when none is pending.
  [[nodiscard]] std::optional<steady_time> next_due() const;
  /// Whether any series has counts not yet written or a write in flight.
  [[nodiscard]] bool pending() const;
  /// Whether a create or a series update decided here has not been reported back yet.
  [[nodiscard]] bool writing() const;

  [[nodiscard]] std::size_t size() const noexcept { return series_.size(); }

 private:
  struct Series {
    std::uint64_t id = 0;
    std::string event_namespace;
    std::string event_name;  // "" until created
    bool creating = false;
    bool writing = false;
    std::int32_t count = 1;    // occurrences
    std::int32_t written = 0;  // occurrences the server knows of
    steady_time last_seen{};
    steady_time last_write{};
    MicroTime last_observed;
  };
  using map_type = std::map<std::string, Series, std::less<>>;

  bool writable(const Series& s, steady_time now, bool force) const noexcept;
  Decision update_decision(Series& s, steady_time now);
  Series* find(std::uint64_t id);
  void erase(std::uint64_t id);
  void evict_one();

  Options options_;
  map_type series_;
  std::map<std::uint64_t, map_type::iterator> by_id_;
  std::uint64_t next_id_ = 1;
};

struct EventRecorderOptions {
  EventRecorderOptions() = default;

  /// Required: the controller, a qualified name such as `example.com/memcached-operator`.
  std::string reporting_controller;
  /// Which instance (pod name); the host name when empty. At most 128 bytes.
  std::string reporting_instance;
  std::chrono::milliseconds aggregation_window{std::chrono::minutes(6)};
  std::chrono::milliseconds series_flush_interval{std::chrono::seconds(30)};
  std::size_t max_series = 4096;
  /// post() writes running at once; more are dropped.
  std::size_t max_in_flight = 64;
  std::string field_manager = "kopp-events";
  Logger logger;
};

class EventRecorder {
 public:
  /// Throws std::invalid_argument without options.reporting_controller.
  EventRecorder(Client& client, EventRecorderOptions options);
  /// Stops the background flush; call close() first to write counted repeats.
  ~EventRecorder();
  EventRecorder(const EventRecorder&) = delete;
  EventRecorder& operator=(const EventRecorder&) = delete;

  /// Records an event and waits for the write it causes (none when only counted).
  /// Throws api_error when that write fails.
  boost::asio::awaitable<void> publish(api::core::v1::ObjectReference regarding, EventType type, std::string reason,
                                       std::string action, std::string note);
  template <Resource K>
  boost::asio::awaitable<void> publish(const K& regarding, EventType type, std::string reason, std::string action,
                                       std::string note);

  /// Fire and forget: records the event; a write happens in the background. Never
  /// throws, never blocks on I/O; failures are logged.
  void post(api::core::v1::ObjectReference regarding, EventType type, std::string reason, std::string action,
            std::string note) noexcept;
  template <Resource K>
  void post(const K& regarding, EventType type, std::string reason, std::string action, std::string note) noexcept;

  /// Waits for writes in flight, then writes every counted repeat now. Failures are
  /// logged; the first is rethrown after all were tried.
  boost::asio::awaitable<void> flush();
  /// flush(), then refuse new events (post() drops, publish() does nothing).
  boost::asio::awaitable<void> close();

  /// Events post() dropped because max_in_flight writes were running (or after close()).
  [[nodiscard]] std::uint64_t dropped() const noexcept;
  [[nodiscard]] const EventRecorderOptions& options() const noexcept;

  struct state;

 private:
  std::shared_ptr<state> state_;
};

}  // namespace kopp

#include <kopp/runtime/manager/impl/events.hpp>
#if KOPP_HEADER_ONLY
#include <kopp/runtime/manager/impl/events.ipp>
#endif
