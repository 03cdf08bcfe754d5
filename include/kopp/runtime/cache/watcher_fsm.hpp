#pragma once
// WatcherFsm<K>: the list-then-watch protocol of kopp::Watcher as a sans-io state machine
// (kube-rs' watcher, client-go's reflector). It does no I/O and reads no clock: it says
// what to do next (list a page, open a watch, read an event, sleep), the driver does it
// and reports the outcome, and the machine emits WatcherEvents. Unit tests drive it with
// no sockets and their own clock.
//
//   WatcherFsm<K> fsm(config);
//   for (;;) {
//     auto action = fsm.action();   // list_page / open_watch / read_event / sleep
//     ... perform it, then call list_page_received / watch_opened / event_received /
//         watch_ended / failed / slept ...
//     while (auto e = fsm.pop_event()) deliver(*e);
//   }
//
// Protocol:
//   - A (re)start lists at a consistent snapshot: LIST with `limit` = page_size and no
//     resourceVersion (a quorum read of the latest state), later pages with `continue`
//     (same snapshot). Output: init (with the first page), init_apply per object,
//     init_done after the last page. Then WATCH from the list's resourceVersion with
//     allowWatchBookmarks and a timeoutSeconds drawn from [min, max]_watch_timeout.
//   - Streaming list (InitialList::streaming): the restart is a WATCH with
//     sendInitialEvents=true; its ADDED events are init_apply until the BOOKMARK annotated
//     `k8s.io/initial-events-end`, which is init_done. A server that refuses the
//     parameter (400/422) makes the machine fall back to paginated lists for good.
//   - Added/modified -> apply, deleted -> delete_; bookmarks only move the
//     resourceVersion. A watch that ends (server timeout) or breaks resumes from the last
//     resourceVersion seen, bookmarks included, so nothing is listed again.
//   - 410 Gone (an ERROR event with code 410, or a request failing with errc::gone) means
//     that resourceVersion is compacted away: the machine restarts with a full list. The
//     consumer must treat a restart as REPLACING its whole state (objects deleted while
//     disconnected appear in no event at all; they are simply absent from the restart).
//     The relist after a 410 starts at once, whatever failures came before it (the 410
//     shows the server answers again); only a second 410 in a row sleeps the backoff.
//   - A 410 on a later page of a paginated list (its continue token expired) falls back to
//     ONE unpaginated list of everything, at once, as client-go's pager does; the list
//     after that paginates again.
//   - An event without metadata.resourceVersion keeps the last version seen: resuming from
//     "" would start at "now" and miss what happened in between.
//   - A watch that fails config.relist_after_failures times in a row (3) at the same
//     resourceVersion, other than with 410, is given up: the machine relists (after the
//     backoff) instead of resuming forever from a version whose watch always fails (e.g.
//     an event the client cannot read).
//
// Guarantees:
//   - Never a busy loop: every failure sleeps (exponential backoff with jitter, from
//     config.backoff) except as said below for 410, and a watch that ends cleanly without
//     any event sooner than config.min_watch_duration counts as a failure.
//   - The backoff is reset only when a watch proves healthy (it delivers an event or a
//     bookmark) or by the first 410 after other failures, so a server that accepts the
//     list but fails every watch, or a relist loop of 410s, still backs off more and more.
//     The one failure not followed by a sleep is such a first 410 (or an expired continue
//     token): it is followed by exactly one list request, whose failure sleeps.
//   - Events are emitted in the server's order; init_apply events come only between init
//     and init_done.
// Errors: failures are inputs, never thrown; last_error() keeps the latest message.
// Caveats: a list page that fails (other than 410) is retried with the same continue
// token; if that token expired (410) init is emitted again and one unpaginated list follows
// (the consumer discards the partial restart).

#include <kopp/client/backoff.hpp>
#include <kopp/client/error.hpp>
#include <kopp/client/params.hpp>
#include <kopp/client/watch_decoder.hpp>
#include <kopp/core/status.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace kopp {

enum class WatcherEventType {
  init,        ///< a restart begins: the state that follows replaces everything before it
  init_apply,  ///< an object of the restart
  init_done,   ///< the restart is complete
  apply,       ///< an object was added or modified
  delete_,     ///< an object was deleted (its last state)
};

std::string_view to_string(WatcherEventType type) noexcept;

template <class K>
struct WatcherEvent {
  WatcherEventType type = WatcherEventType::init;
  std::shared_ptr<const K> object;    ///< for init_apply, apply and delete_
  std::size_t approximate_bytes = 0;  ///< the object's JSON size as received
};

enum class InitialList {
  paginated,  ///< LIST in pages, then WATCH
  streaming,  ///< WATCH with sendInitialEvents=true (Kubernetes >= 1.32 serves it)
};

/// How a watcher lists and watches. Not an aggregate on purpose (GCC 12, see params.hpp).
struct WatcherConfig {
  WatcherConfig() = default;

  std::string label_selector;
  std::string field_selector;
  std::uint32_t page_size = 500;  ///< 0: the whole list in one response
  InitialList initial_list = InitialList::paginated;
  /// Each watch asks the server to end it after a random time in [min, max], so that the
  /// watches of many clients do not all reconnect at the same moment.
  std::chrono::seconds min_watch_timeout{290};
  std::chrono::seconds max_watch_timeout{300};
  BackoffPolicy backoff{std::chrono::milliseconds(200), std::chrono::milliseconds(30'000), 2.0, 0.5};
  /// A watch that ends cleanly sooner than this without any event is a failure.
  std::chrono::milliseconds min_watch_duration{1000};
  /// Watch failures in a row at the same resourceVersion (410 aside) after which the
  /// machine relists instead of resuming from that version again. 0: never.
  unsigned relist_after_failures = 3;
  /// A watch that delivers nothing (no event, no bookmark) for this long is presumed dead
  /// (a half-open connection) and resumed from its resourceVersion. The server sends a
  /// bookmark about once a minute to watches that allow them, as kopp's do. 0: no limit
  /// (the transport's stream_idle_timeout still applies). Used by Watcher, the driver.
  std::chrono::milliseconds watch_idle_timeout{std::chrono::minutes(3)};

  WatcherConfig& labels(std::string s) {
    label_selector = std::move(s);
    return *this;
  }
  WatcherConfig& fields(std::string s) {
    field_selector = std::move(s);
    return *this;
  }
  WatcherConfig& page(std::uint32_t n) {
    page_size = n;
    return *this;
  }
  WatcherConfig& streaming_list(bool on = true) {
    initial_list = on ? InitialList::streaming : InitialList::paginated;
    return *this;
  }
  WatcherConfig& watch_timeout(std::chrono::seconds min, std::chrono::seconds max) {
    min_watch_timeout = min;
    max_watch_timeout = max;
    return *this;
  }
  WatcherConfig& backoff_policy(BackoffPolicy p) {
    backoff = p;
    return *this;
  }
  WatcherConfig& idle_timeout(std::chrono::milliseconds t) {
    watch_idle_timeout = t;
    return *this;
  }
};

/// What the driver must do next.
struct WatcherAction {
  enum class type { list_page, open_watch, read_event, sleep };
  type kind = type::list_page;
  ListParams params;                   ///< list_page, open_watch
  std::chrono::milliseconds delay{0};  ///< sleep
};

template <class K>
class WatcherFsm {
 public:
  using clock = std::chrono::steady_clock;
  using object_ptr = std::shared_ptr<const K>;

  /// An object from the server with its size estimate.
  struct Item {
    object_ptr object;
    std::size_t bytes = 0;
  };

  explicit WatcherFsm(WatcherConfig config = WatcherConfig(), std::uint64_t seed = detail::jitter_seed());

  /// The current action; stays the same until one of the inputs below is reported.
  WatcherAction action() const;

  // Outcomes of the actions.
  /// A LIST page arrived: its items, metadata.resourceVersion and metadata.continue.
  void list_page_received(std::vector<Item> items, std::string_view resource_version, std::string_view continue_token);
  void watch_opened(clock::time_point now);
  /// One watch event. `resource_version` is the event object's metadata.resourceVersion
  /// as the server sent it; `error` is set for ERROR events; `initial_events_end` tells
  /// whether a BOOKMARK carries the k8s.io/initial-events-end annotation.
  void event_received(WatchEventType type, Item item, std::string_view resource_version,
                      const std::optional<Status>& error, bool initial_events_end, clock::time_point now);
  /// An event the driver could not use (its object does not decode into K) and skipped:
  /// the watch is healthy and moves past it to `resource_version`.
  void event_skipped(std::string_view resource_version, clock::time_point now);
  /// The server ended the watch cleanly.
  void watch_ended(clock::time_point now);
  /// The list or watch request failed (or the connection broke).
  void failed(const boost::system::error_code& ec, std::string message);
  /// The sleep of a `sleep` action is over.
  void slept();

  /// Events produced by the inputs so far, oldest first.
  std::optional<WatcherEvent<K>> pop_event();
  bool has_events() const noexcept { return !events_.empty(); }

  /// The resourceVersion a watch resumes from ("" while (re)listing).
  const std::string& resource_version() const noexcept { return resource_version_; }
  /// Whether the latest restart completed (init_done was emitted after the last init).
  bool initial_state_complete() const noexcept { return initial_done_; }
  bool streaming() const noexcept { return streaming_; }
  unsigned consecutive_failures() const noexcept { return failures_; }
  const std::string& last_error() const noexcept { return last_error_; }
  const WatcherConfig& config() const noexcept { return config_; }
  /// How many restarts (init events) were emitted.
  std::uint64_t restarts() const noexcept { return restarts_; }

 private:
  enum class state { list, open_watch, read, sleep };

  void emit(WatcherEventType type, Item item = {});
  void enter_open_watch();
  void restart();
  /// `at_version`: whether the failure counts towards relist_after_failures (errors do; a
  /// watch that merely ended early does not).
  void failure(bool gone, bool refused, std::string message, bool at_version = true);
  void healthy(std::string_view resource_version);
  void go_to(state next);

  WatcherConfig config_;
  ExponentialBackoff backoff_;
  std::mt19937_64 rng_;
  state state_ = state::list;
  state after_sleep_ = state::list;
  bool streaming_ = false;
  bool initial_done_ = false;
  bool init_emitted_ = false;  // init of the current restart already emitted
  std::string resource_version_;
  std::string continue_token_;
  std::uint32_t watch_timeout_seconds_ = 0;
  std::chrono::milliseconds delay_{0};
  clock::time_point watch_started_{};
  std::uint64_t events_in_watch_ = 0;
  unsigned failures_ = 0;
  unsigned gone_in_a_row_ = 0;        // 410s with no other failure or healthy event between
  bool unpaginated_ = false;          // the next list is one request (expired continue token)
  std::string failed_version_;        // the resourceVersion of the latest watch failures ...
  unsigned failures_at_version_ = 0;  // ... and how many in a row
  std::uint64_t restarts_ = 0;
  std::string last_error_;
  std::deque<WatcherEvent<K>> events_;
};

}  // namespace kopp

#include <kopp/runtime/cache/impl/watcher_fsm.hpp>
