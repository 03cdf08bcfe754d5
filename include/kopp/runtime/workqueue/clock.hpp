#pragma once
// An injectable monotonic clock. The workqueue, its rate limiters and its metrics read time
// through `Clock` so tests can move time by hand instead of sleeping.

#include <atomic>
#include <chrono>
#include <memory>

namespace kopp {

class Clock {
 public:
  // The steady clock's types, so a Clock's time points mix with Asio's steady_timer and with
  // kopp::TokenBucket.
  using duration = std::chrono::steady_clock::duration;
  using time_point = std::chrono::steady_clock::time_point;

  virtual ~Clock() = default;
  virtual time_point now() const noexcept = 0;
};

/// The real clock: std::chrono::steady_clock.
class SteadyClock final : public Clock {
 public:
  time_point now() const noexcept override { return std::chrono::steady_clock::now(); }
};

/// A clock that moves only when told to; thread-safe.
class ManualClock final : public Clock {
 public:
  /// Starts an hour after the epoch: code that subtracts a delay from "now" stays positive.
  explicit ManualClock(time_point start = time_point{} + std::chrono::hours(1)) noexcept
      : ticks_(start.time_since_epoch().count()) {}

  time_point now() const noexcept override { return time_point(duration(ticks_.load(std::memory_order_acquire))); }
  void advance(duration d) noexcept { ticks_.fetch_add(d.count(), std::memory_order_acq_rel); }
  void set(time_point t) noexcept { ticks_.store(t.time_since_epoch().count(), std::memory_order_release); }

 private:
  std::atomic<duration::rep> ticks_;
};

/// The process-wide SteadyClock, shared so that owners need not care who outlives whom.
inline std::shared_ptr<Clock> default_clock() {
  static const std::shared_ptr<Clock> clock = std::make_shared<SteadyClock>();
  return clock;
}

}  // namespace kopp
