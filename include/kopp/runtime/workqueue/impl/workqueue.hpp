#pragma once
// Definitions for kopp/runtime/workqueue/workqueue.hpp.

#include <boost/asio/append.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace kopp::detail {

inline double seconds_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

// controller-runtime's workqueue metrics for one queue. Lives inside WorkQueueState and is
// only touched under its mutex, except the atomics of the metric children.
template <class T>
struct WorkQueueMetrics {
  metrics::Gauge& depth;
  metrics::Counter& adds;
  metrics::Histogram& queue_duration;
  metrics::Histogram& work_duration;
  metrics::Counter& retries;
  std::unordered_map<T, Clock::time_point> added_at;
  std::unordered_map<T, Clock::time_point> started_at;
  // Last: unregistered first on destruction, before the maps the callbacks read go away.
  metrics::CallbackRegistration unfinished;
  metrics::CallbackRegistration longest_running;
};

inline metrics::Labels workqueue_labels(const std::string& name) {
  // controller-runtime labels its workqueue metrics with the controller name twice.
  return {{"name", name}, {"controller", name}};
}

template <class T>
class WorkQueueState {
 public:
  // A suspended get(), type-erased (Boost 1.81's any_completion_handler cannot be posted: its
  // executor cannot be required to be non-blocking).
  class Waiter {
   public:
    template <class Handler>
    explicit Waiter(Handler handler) : impl_(std::make_unique<Impl<Handler>>(std::move(handler))) {}
    // Posted, never run inline: the worker resumes on its own executor, not inside the caller
    // of add() or done(), and not under the queue's mutex.
    void complete(std::optional<T> item) && { impl_->complete(std::move(item)); }

   private:
    struct Base {
      virtual ~Base() = default;
      virtual void complete(std::optional<T> item) = 0;
    };
    template <class Handler>
    struct Impl final : Base {
      explicit Impl(Handler h)
          : handler(std::move(h)),
            // Tracked: the io_context does not run out of work while a worker waits.
            executor(boost::asio::prefer(boost::asio::get_associated_executor(handler),
                                         boost::asio::execution::outstanding_work.tracked)) {}
      void complete(std::optional<T> item) override {
        boost::asio::post(executor, boost::asio::append(std::move(handler), std::move(item)));
      }
      Handler handler;
      boost::asio::any_io_executor executor;
    };
    std::unique_ptr<Base> impl_;
  };
  // A waiting worker and what it gets, completed after the mutex is released.
  struct Handoff {
    Waiter waiter;
    std::optional<T> item;
  };
  using Handoffs = std::vector<Handoff>;

  WorkQueueState(std::optional<boost::asio::any_io_executor> executor, WorkQueueOptions options,
                 std::shared_ptr<RateLimiter<T>> limiter);
  WorkQueueState(const WorkQueueState&) = delete;
  WorkQueueState& operator=(const WorkQueueState&) = delete;

  void add(const T& item) {
    Handoffs handoffs;
    {
      std::lock_guard lock(mutex_);
      add_locked(item, handoffs);
    }
    complete(handoffs);
  }

  void add_after(const T& item, Clock::duration delay, std::weak_ptr<WorkQueueState> self);
  std::optional<T> try_get();
  void wait(Waiter waiter);
  void done(const T& item);
  void shut_down(bool discard_queued);
  std::size_t poll_delayed();
  void on_timer(std::weak_ptr<WorkQueueState> self);

  std::size_t len() const {
    std::lock_guard lock(mutex_);
    return queue_.size();
  }
  bool shutting_down() const {
    std::lock_guard lock(mutex_);
    return shutting_down_;
  }

  const std::string& name() const noexcept { return name_; }
  RateLimiter<T>& limiter() const noexcept { return *limiter_; }

 private:
  struct Delayed {
    Clock::time_point ready;
    std::uint64_t sequence;  // FIFO among keys due at the same instant
    T item;
  };
  // For std::push_heap/pop_heap: a min-heap on (ready, sequence).
  static bool later(const Delayed& a, const Delayed& b) {
    return a.ready != b.ready ? a.ready > b.ready : a.sequence > b.sequence;
  }

  void add_locked(const T& item, Handoffs& handoffs);
  std::optional<T> take_locked(Clock::time_point now);
  void serve_waiters_locked(Handoffs& handoffs);
  std::size_t promote_due_locked(Handoffs& handoffs);
  void arm_timer_locked(Clock::time_point ready, std::weak_ptr<WorkQueueState> self);
  double unfinished_seconds() const;
  double longest_running_seconds() const;

  static void complete(Handoffs& handoffs) {
    for (auto& handoff : handoffs) std::move(handoff.waiter).complete(std::move(handoff.item));
  }

  mutable std::mutex mutex_;
  std::string name_;
  std::shared_ptr<Clock> clock_;
  std::shared_ptr<RateLimiter<T>> limiter_;
  bool shutting_down_ = false;

  std::deque<T> queue_;               // ready keys, in order of (first) add
  std::unordered_set<T> dirty_;       // keys to be processed: queued, or re-added while processing
  std::unordered_set<T> processing_;  // keys between get() and done()
  std::deque<Waiter> waiters_;        // non-empty only while queue_ is empty

  std::vector<Delayed> delayed_;                            // heap; entries may be stale
  std::unordered_map<T, Clock::time_point> delayed_until_;  // the live entry of each key
  std::uint64_t next_sequence_ = 0;
  std::optional<boost::asio::steady_timer> timer_;
  std::optional<Clock::time_point> timer_armed_for_;

  // Last: destroyed first, so no scrape callback runs against a half-destroyed queue.
  std::unique_ptr<WorkQueueMetrics<T>> metrics_;
};

template <class T>
WorkQueueState<T>::WorkQueueState(std::optional<boost::asio::any_io_executor> executor, WorkQueueOptions options,
                                  std::shared_ptr<RateLimiter<T>> limiter)
    : name_(std::move(options.name)),
      clock_(options.clock ? std::move(options.clock) : default_clock()),
      limiter_(limiter ? std::move(limiter) : default_controller_rate_limiter<T>(clock_)) {
  if (executor) timer_.emplace(*executor);
  if (name_.empty()) return;

  auto& registry = options.registry != nullptr ? *options.registry : metrics::Registry::global();
  const std::vector<std::string> label_names{"name", "controller"};
  const auto labels = workqueue_labels(name_);
  auto& depth = registry.gauge("workqueue_depth", "Current depth of the workqueue", label_names).with(labels);
  auto& adds = registry.counter("workqueue_adds_total", "Total number of adds handled by the workqueue", label_names)
                   .with(labels);
  auto& queue_duration = registry
                             .histogram("workqueue_queue_duration_seconds",
                                        "How long in seconds an item stays in the workqueue before being requested",
                                        label_names, metrics::workqueue_duration_buckets())
                             .with(labels);
  auto& work_duration = registry
                            .histogram("workqueue_work_duration_seconds",
                                       "How long in seconds processing an item from the workqueue takes", label_names,
                                       metrics::workqueue_duration_buckets())
                            .with(labels);
  auto& retries =
      registry.counter("workqueue_retries_total", "Total number of retries handled by the workqueue", label_names)
          .with(labels);
  metrics_.reset(new WorkQueueMetrics<T>{depth, adds, queue_duration, work_duration, retries, {}, {}, {}, {}});
  metrics_->unfinished =
      registry
          .gauge_callback("workqueue_unfinished_work_seconds",
                          "Seconds of work in progress not yet observed by work_duration; large values "
                          "indicate stuck workers, and the rate at which it grows how many are stuck",
                          label_names)
          .set(labels, [this] { return unfinished_seconds(); });
  metrics_->longest_running =
      registry
          .gauge_callback("workqueue_longest_running_processor_seconds",
                          "How many seconds the longest running worker of the workqueue has been processing",
                          label_names)
          .set(labels, [this] { return longest_running_seconds(); });
}

template <class T>
void WorkQueueState<T>::add_locked(const T& item, Handoffs& handoffs) {
  if (shutting_down_) return;
  if (!dirty_.insert(item).second) return;  // already waiting to be processed
  if (metrics_) {
    metrics_->adds.inc();
    metrics_->depth.inc();
    metrics_->added_at.try_emplace(item, clock_->now());
  }
  // A key being processed is queued again by done(), never handed to a second worker.
  if (processing_.contains(item)) return;
  queue_.push_back(item);
  serve_waiters_locked(handoffs);
}

template <class T>
std::optional<T> WorkQueueState<T>::take_locked(Clock::time_point now) {
  if (queue_.empty()) return std::nullopt;
  std::optional<T> item(std::move(queue_.front()));
  queue_.pop_front();
  processing_.insert(*item);
  dirty_.erase(*item);
  if (metrics_) {
    metrics_->depth.dec();
    if (auto it = metrics_->added_at.find(*item); it != metrics_->added_at.end()) {
      metrics_->queue_duration.observe(seconds_between(it->second, now));
      metrics_->added_at.erase(it);
    }
    metrics_->started_at.insert_or_assign(*item, now);
  }
  return item;
}

template <class T>
void WorkQueueState<T>::serve_waiters_locked(Handoffs& handoffs) {
  if (waiters_.empty() || queue_.empty()) return;
  const auto now = metrics_ ? clock_->now() : Clock::time_point{};
  while (!waiters_.empty() && !queue_.empty()) {
    handoffs.push_back(Handoff{std::move(waiters_.front()), take_locked(now)});
    waiters_.pop_front();
  }
}

template <class T>
std::size_t WorkQueueState<T>::promote_due_locked(Handoffs& handoffs) {
  if (delayed_.empty()) return 0;
  const auto now = clock_->now();
  std::size_t promoted = 0;
  while (!delayed_.empty() && delayed_.front().ready <= now) {
    std::pop_heap(delayed_.begin(), delayed_.end(), later);
    Delayed entry = std::move(delayed_.back());
    delayed_.pop_back();
    // Stale: the key was moved to an earlier time and that entry was already promoted.
    const auto live = delayed_until_.find(entry.item);
    if (live == delayed_until_.end() || live->second != entry.ready) continue;
    delayed_until_.erase(live);
    add_locked(entry.item, handoffs);
    ++promoted;
  }
  return promoted;
}

template <class T>
void WorkQueueState<T>::arm_timer_locked(Clock::time_point ready, std::weak_ptr<WorkQueueState> self) {
  if (!timer_ || (timer_armed_for_ && *timer_armed_for_ <= ready)) return;
  timer_armed_for_ = ready;
  // Relative to the injected clock: with a ManualClock the timer fires in real time and
  // finds nothing due, which is harmless; tests call poll_delayed() instead.
  timer_->expires_after(std::max(ready - clock_->now(), Clock::duration::zero()));
  timer_->async_wait([self = std::move(self)](const boost::system::error_code& ec) {
    // Aborted: re-armed for an earlier key (that wait has its own handler) or shut down.
    if (ec == boost::asio::error::operation_aborted) return;
    if (auto state = self.lock()) state->on_timer(self);
  });
}

template <class T>
void WorkQueueState<T>::on_timer(std::weak_ptr<WorkQueueState> self) {
  Handoffs handoffs;
  {
    std::lock_guard lock(mutex_);
    if (shutting_down_) return;
    timer_armed_for_.reset();
    promote_due_locked(handoffs);
    if (!delayed_.empty()) arm_timer_locked(delayed_.front().ready, std::move(self));
  }
  complete(handoffs);
}

template <class T>
void WorkQueueState<T>::add_after(const T& item, Clock::duration delay, std::weak_ptr<WorkQueueState> self) {
  Handoffs handoffs;
  {
    std::lock_guard lock(mutex_);
    if (shutting_down_) return;
    if (metrics_) metrics_->retries.inc();  // as in client-go: every delayed add counts as a retry
    if (delay <= Clock::duration::zero()) {
      add_locked(item, handoffs);
    } else {
      const auto ready = clock_->now() + delay;
      const auto [it, inserted] = delayed_until_.try_emplace(item, ready);
      if (!inserted) {
        if (ready >= it->second) return;  // already due earlier
        it->second = ready;               // the old heap entry goes stale
      }
      delayed_.push_back(Delayed{ready, next_sequence_++, item});
      std::push_heap(delayed_.begin(), delayed_.end(), later);
      arm_timer_locked(ready, std::move(self));
    }
  }
  complete(handoffs);
}

template <class T>
std::optional<T> WorkQueueState<T>::try_get() {
  Handoffs handoffs;
  std::optional<T> item;
  {
    std::lock_guard lock(mutex_);
    promote_due_locked(handoffs);
    if (!queue_.empty()) item = take_locked(metrics_ ? clock_->now() : Clock::time_point{});
  }
  complete(handoffs);
  return item;
}

template <class T>
void WorkQueueState<T>::wait(Waiter waiter) {
  Handoffs handoffs;
  {
    std::lock_guard lock(mutex_);
    promote_due_locked(handoffs);
    if (!queue_.empty()) {
      handoffs.push_back(Handoff{std::move(waiter), take_locked(metrics_ ? clock_->now() : Clock::time_point{})});
    } else if (shutting_down_) {
      handoffs.push_back(Handoff{std::move(waiter), std::nullopt});
    } else {
      waiters_.push_back(std::move(waiter));
    }
  }
  complete(handoffs);
}

template <class T>
void WorkQueueState<T>::done(const T& item) {
  Handoffs handoffs;
  {
    std::lock_guard lock(mutex_);
    // A done() for a key that is not processing must not queue a duplicate of it.
    if (processing_.erase(item) == 0) return;
    if (metrics_) {
      if (auto it = metrics_->started_at.find(item); it != metrics_->started_at.end()) {
        metrics_->work_duration.observe(seconds_between(it->second, clock_->now()));
        metrics_->started_at.erase(it);
      }
    }
    if (dirty_.contains(item)) {
      queue_.push_back(item);
      serve_waiters_locked(handoffs);
    }
  }
  complete(handoffs);
}

template <class T>
void WorkQueueState<T>::shut_down(bool discard_queued) {
  Handoffs handoffs;
  {
    std::lock_guard lock(mutex_);
    if (discard_queued) {
      if (metrics_) {
        metrics_->depth.dec(static_cast<double>(dirty_.size()));
        metrics_->added_at.clear();
      }
      queue_.clear();
      dirty_.clear();  // so done() does not queue a key that was re-added while processing
    }
    if (shutting_down_) return;
    shutting_down_ = true;
    // Waiters exist only while nothing is queued: there is nothing left for them.
    for (auto& waiter : waiters_) handoffs.push_back(Handoff{std::move(waiter), std::nullopt});
    waiters_.clear();
    delayed_.clear();
    delayed_until_.clear();
    if (timer_) timer_->cancel();
    timer_armed_for_.reset();
  }
  complete(handoffs);
}

template <class T>
std::size_t WorkQueueState<T>::poll_delayed() {
  Handoffs handoffs;
  std::size_t promoted;
  {
    std::lock_guard lock(mutex_);
    promoted = promote_due_locked(handoffs);
  }
  complete(handoffs);
  return promoted;
}

template <class T>
double WorkQueueState<T>::unfinished_seconds() const {
  std::lock_guard lock(mutex_);
  const auto now = clock_->now();
  double total = 0;
  for (const auto& [item, started] : metrics_->started_at) total += seconds_between(started, now);
  return total;
}

template <class T>
double WorkQueueState<T>::longest_running_seconds() const {
  std::lock_guard lock(mutex_);
  const auto now = clock_->now();
  double longest = 0;
  for (const auto& [item, started] : metrics_->started_at) longest = std::max(longest, seconds_between(started, now));
  return longest;
}

}  // namespace kopp::detail

namespace kopp {

template <class T>
WorkQueue<T>::WorkQueue(WorkQueueOptions options, std::shared_ptr<RateLimiter<T>> limiter)
    : state_(std::make_shared<detail::WorkQueueState<T>>(std::nullopt, std::move(options), std::move(limiter))) {}

template <class T>
WorkQueue<T>::WorkQueue(boost::asio::any_io_executor executor, WorkQueueOptions options,
                        std::shared_ptr<RateLimiter<T>> limiter)
    : state_(std::make_shared<detail::WorkQueueState<T>>(std::move(executor), std::move(options), std::move(limiter))) {
}

template <class T>
WorkQueue<T>::~WorkQueue() {
  state_->shut_down(false);
}

template <class T>
void WorkQueue<T>::add(const T& item) {
  state_->add(item);
}

template <class T>
void WorkQueue<T>::add_after(const T& item, Clock::duration delay) {
  state_->add_after(item, delay, state_);
}

template <class T>
void WorkQueue<T>::add_rate_limited(const T& item) {
  // Checked first so that an item that will never be retried does not count a failure.
  if (state_->shutting_down()) return;
  state_->add_after(item, state_->limiter().when(item), state_);
}

template <class T>
void WorkQueue<T>::forget(const T& item) {
  state_->limiter().forget(item);
}

template <class T>
int WorkQueue<T>::num_requeues(const T& item) const {
  return state_->limiter().num_requeues(item);
}

template <class T>
boost::asio::awaitable<std::optional<T>> WorkQueue<T>::get() {
  // Fast path without a suspension: a busy queue hands items out at function-call cost.
  if (auto item = state_->try_get()) co_return item;
  // GCC 12 destroys a temporary with a non-trivial destructor inside a co_await expression
  // twice; a lambda capturing a shared_ptr there dropped the queue's last reference. So the
  // initiation is a named local capturing a raw pointer (the queue outlives this call).
  auto* const state = state_.get();
  auto initiation = [state](auto handler) {
    state->wait(typename detail::WorkQueueState<T>::Waiter(std::move(handler)));
  };
  auto item = co_await boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void(std::optional<T>)>(
      initiation, boost::asio::use_awaitable);
  co_return item;
}

template <class T>
std::optional<T> WorkQueue<T>::try_get() {
  return state_->try_get();
}

template <class T>
void WorkQueue<T>::done(const T& item) {
  state_->done(item);
}

template <class T>
std::size_t WorkQueue<T>::len() const {
  return state_->len();
}

template <class T>
void WorkQueue<T>::shut_down() {
  state_->shut_down(false);
}

template <class T>
void WorkQueue<T>::shut_down_now() {
  state_->shut_down(true);
}

template <class T>
bool WorkQueue<T>::shutting_down() const {
  return state_->shutting_down();
}

template <class T>
std::size_t WorkQueue<T>::poll_delayed() {
  return state_->poll_delayed();
}

template <class T>
const std::string& WorkQueue<T>::name() const noexcept {
  return state_->name();
}

}  // namespace kopp
