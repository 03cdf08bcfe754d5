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
//
// Guarantees:
//   - Never a busy loop: every failure sleeps (exponential backoff with jitter, from
//     config.backoff), and a watch that ends cleanly without any event sooner than
//     config.min_watch_duration counts as a failure.
//   - The backoff is reset only when a watch proves healthy (it delivers an event or a
//     bookmark), so a server that accepts the list but fails every watch, or a relist loop
//     of 410s, still backs off more and more.
//   - Events are emitted in the server's order; init_apply events come only between init
//     and init_done.
// Errors: failures are inputs, never thrown; last_error() keeps the latest message.
// Caveats: a list page that fails (other than 410) is retried with the same continue
// token; if that token expired (410) the list starts again from the first page and init is
// emitted again (the consumer discards the partial restart).

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
  std::shared_ptr<const K> object;     ///< for init_apply, apply and delete_
  std::size_t approximate_bytes = 0;   ///< the object's JSON size as received
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

  WatcherConfig& labels(std::string s) { label_selector = std::move(s); return *this; }
  WatcherConfig& fields(std::string s) { field_selector = std::move(s); return *this; }
  WatcherConfig& page(std::uint32_t n) { page_size = n; return *this; }
  WatcherConfig& streaming_list(bool on = true) {
    initial_list = on ? InitialList::streaming : InitialList::paginated;
    return *this;
  }
  WatcherConfig& watch_timeout(std::chrono::seconds min, std::chrono::seconds max) {
    min_watch_timeout = min;
    max_watch_timeout = max;
    return *this;
  }
  WatcherConfig& backoff_policy(BackoffPolicy p) { backoff = p; return *this; }
};

/// What the driver must do next.
struct WatcherAction {
  enum class type { list_page, open_watch, read_event, sleep };
  type kind = type::list_page;
  ListParams params;                     ///< list_page, open_watch
  std::chrono::milliseconds delay{0};    ///< sleep
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
  void list_page_received(std::vector<Item> items, std::string_view resource_version,
                          std::string_view continue_token);
  void watch_opened(clock::time_point now);
  /// One watch event. `resource_version` is the event object's metadata.resourceVersion
  /// as the server sent it; `error` is set for ERROR events; `initial_events_end` tells
  /// whether a BOOKMARK carries the k8s.io/initial-events-end annotation.
  void event_received(WatchEventType type, Item item, std::string_view resource_version,
                      const std::optional<Status>& error, bool initial_events_end, clock::time_point now);
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
  /// How many restarts (init events) were emitted.
  std::uint64_t restarts() const noexcept { return restarts_; }

 private:
  enum class state { list, open_watch, read, sleep };

  void emit(WatcherEventType type, Item item = {});
  void enter_open_watch();
  void restart();
  void failure(bool gone, bool refused, std::string message);

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
  std::uint64_t restarts_ = 0;
  std::string last_error_;
  std::deque<WatcherEvent<K>> events_;
};

}  // namespace kopp

#include <kopp/runtime/impl/watcher_fsm.hpp>
