#pragma once
// The controller workqueue, with client-go's semantics (util/workqueue): a FIFO of keys
// that deduplicates, never hands one key to two workers at once, delays keys, and rate
// limits retries.
//
// Guarantees
// - Dedup: a key added several times before a worker takes it is handed out once.
// - No concurrent processing: a key added while a worker holds it (between get() and
//   done()) is not handed to anyone else; done() queues it again, so the change that
//   arrived meanwhile is still seen.
// - FIFO by first add: a key keeps its place however many adds follow it, so a flood of new
//   keys never starves one that is already waiting.
// - Shutdown drains: after shut_down(), get() still hands out the keys already queued, then
//   returns std::nullopt. add()/add_after() are ignored from then on; delayed keys are
//   dropped. shut_down_now() drops the queued keys too: get() returns std::nullopt at once
//   (a controller that lost its leadership must not start another reconcile).
//
// Waiting: get() suspends the calling coroutine without blocking a thread and resumes it
// on its own executor, so workers may run on an io_context served by several threads.
// Waiting workers are served in the order they started waiting.
//
// Time: delays and metrics read time from an injectable kopp::Clock. Delayed keys become
// ready when an Asio timer on the queue's executor fires, or whenever poll_delayed(),
// try_get() or get() runs: tests with a ManualClock advance it and call poll_delayed().
//
// Caveats
// - Destroy the queue before its executor's io_context, and after the workers have
//   stopped using it; the destructor shuts the queue down, waking waiting workers.
// - A get() that is waiting cannot be cancelled other than by shut_down().
// - Queue names label metrics and must be unique within one registry.

#include <kopp/runtime/workqueue/clock.hpp>
#include <kopp/runtime/telemetry/metrics.hpp>
#include <kopp/runtime/workqueue/rate_limiter.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

namespace kopp {

class WorkQueueOptions {
 public:
  // Declared so that this is not an aggregate: GCC 12 destroys brace-initialised aggregate
  // temporaries twice inside co_await expressions.
  WorkQueueOptions() = default;

  /// Labels the queue's metrics ({name="...", controller="..."}). Empty: no metrics at all.
  std::string name;
  /// Where the metrics are registered; nullptr means metrics::Registry::global().
  metrics::Registry* registry = nullptr;
  /// nullptr means kopp::default_clock().
  std::shared_ptr<Clock> clock;
};

namespace detail {
template <class T>
class WorkQueueState;
}

/// T must be copyable, equality comparable and hashable with std::hash<T>.
template <class T>
class WorkQueue {
 public:
  using item_type = T;

  /// A queue whose delayed keys become ready only through poll_delayed()/try_get()/get()
  /// (no timer): for sans-io use and tests.
  explicit WorkQueue(WorkQueueOptions options = {}, std::shared_ptr<RateLimiter<T>> limiter = nullptr);
  /// A queue whose delayed keys are woken by a timer on `executor`. `limiter` defaults to
  /// default_controller_rate_limiter<T>(options.clock).
  explicit WorkQueue(boost::asio::any_io_executor executor, WorkQueueOptions options = {},
                     std::shared_ptr<RateLimiter<T>> limiter = nullptr);
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  /// Queues `item` unless it is already waiting; ignored after shut_down().
  void add(const T& item);
  /// Queues `item` once `delay` has passed (at once if delay <= 0). A key already waiting
  /// for a later time is moved earlier; one waiting for an earlier time stays.
  void add_after(const T& item, Clock::duration delay);
  /// add_after(item, limiter.when(item)): the retry path after a failed reconcile.
  void add_rate_limited(const T& item);
  /// Resets the limiter's failure count for `item` (call after a successful reconcile).
  void forget(const T& item);
  int num_requeues(const T& item) const;

  /// The next key, marked as processing; std::nullopt once shut down and drained.
  boost::asio::awaitable<std::optional<T>> get();
  /// The next key if one is ready now, marked as processing; never waits.
  std::optional<T> try_get();
  /// Marks `item` as no longer processing; queues it again if it was added meanwhile.
  void done(const T& item);

  /// Keys ready to be handed out (not those processing or delayed).
  std::size_t len() const;
  void shut_down();
  /// shut_down(), and the keys waiting are dropped: every get() returns std::nullopt now.
  /// Keys being processed stay processing until done() (which does not queue them again).
  void shut_down_now();
  bool shutting_down() const;

  /// Moves delayed keys whose time has come into the queue; returns how many.
  std::size_t poll_delayed();

  const std::string& name() const noexcept;

 private:
  std::shared_ptr<detail::WorkQueueState<T>> state_;
};

}  // namespace kopp

#include <kopp/runtime/workqueue/impl/workqueue.hpp>
