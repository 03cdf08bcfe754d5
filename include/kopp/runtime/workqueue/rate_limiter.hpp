#pragma once
// Rate limiters for workqueue retries (client-go's util/workqueue rate limiters). A limiter
// answers "how long must this item wait before it is processed again?" and counts the
// item's failures until forget(). Sans-io: time comes from an injectable kopp::Clock.
//
// The default, default_controller_rate_limiter(), is controller-runtime's: per-item
// exponential backoff (5 ms doubling up to 1000 s) combined, by taking the longer delay,
// with an overall token bucket (10 qps, burst 100) that bounds the retry rate of the whole
// queue when many items fail at once. The bucket only paces rate-limited re-adds; plain
// add() is never limited.

#include <kopp/client/token_bucket.hpp>
#include <kopp/runtime/workqueue/clock.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace kopp {

/// The interface WorkQueue<T>::add_rate_limited() uses. Implementations must be thread-safe.
template <class T>
class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  /// The delay before `item` may be processed again; records one more failure of it.
  virtual Clock::duration when(const T& item) = 0;
  /// Forgets `item`'s failures (it succeeded); its next delay starts from the beginning.
  virtual void forget(const T& item) = 0;
  /// How many times `item` has been through when() since it was last forgotten.
  virtual int num_requeues(const T& item) const = 0;
};

/// base * 2^failures, capped at max_delay, per item.
template <class T>
class ItemExponentialFailureRateLimiter final : public RateLimiter<T> {
 public:
  ItemExponentialFailureRateLimiter(Clock::duration base_delay, Clock::duration max_delay)
      : base_(base_delay), max_(max_delay) {}

  Clock::duration when(const T& item) override;
  void forget(const T& item) override;
  int num_requeues(const T& item) const override;

 private:
  Clock::duration base_;
  Clock::duration max_;
  mutable std::mutex mutex_;
  std::unordered_map<T, int> failures_;
};

/// One token bucket shared by all items (kopp::TokenBucket). It keeps no per-item state:
/// forget() does nothing and num_requeues() is always 0.
template <class T>
class BucketRateLimiter final : public RateLimiter<T> {
 public:
  BucketRateLimiter(double qps, int burst, std::shared_ptr<Clock> clock = default_clock())
      : clock_(std::move(clock)), bucket_(qps, burst, clock_->now()) {}

  Clock::duration when(const T&) override { return bucket_.reserve(clock_->now()); }
  void forget(const T&) override {}
  int num_requeues(const T&) const override { return 0; }

 private:
  std::shared_ptr<Clock> clock_;
  TokenBucket bucket_;
};

/// Asks every limiter and returns the longest delay; requeues are the most any one counts.
template <class T>
class MaxOfRateLimiter final : public RateLimiter<T> {
 public:
  explicit MaxOfRateLimiter(std::vector<std::shared_ptr<RateLimiter<T>>> limiters) : limiters_(std::move(limiters)) {}

  Clock::duration when(const T& item) override;
  void forget(const T& item) override;
  int num_requeues(const T& item) const override;

 private:
  std::vector<std::shared_ptr<RateLimiter<T>>> limiters_;
};

/// controller-runtime's default: max(per-item 5 ms .. 1000 s, bucket 10 qps burst 100).
template <class T>
std::shared_ptr<RateLimiter<T>> default_controller_rate_limiter(std::shared_ptr<Clock> clock = default_clock());

}  // namespace kopp

#include <kopp/runtime/workqueue/impl/rate_limiter.hpp>
