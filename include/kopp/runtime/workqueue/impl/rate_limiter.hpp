#pragma once
// Definitions for kopp/runtime/workqueue/rate_limiter.hpp.

#include <algorithm>
#include <cmath>

namespace kopp {

template <class T>
Clock::duration ItemExponentialFailureRateLimiter<T>::when(const T& item) {
  int exponent;
  {
    std::lock_guard lock(mutex_);
    exponent = failures_[item]++;
  }
  // In floating point: 2^exponent overflows any integer duration long before an item
  // stops failing, and the cap must still hold then.
  const double delay = static_cast<double>(base_.count()) * std::pow(2.0, exponent);
  if (!(delay < static_cast<double>(max_.count()))) return max_;
  return Clock::duration(static_cast<Clock::duration::rep>(delay));
}

template <class T>
void ItemExponentialFailureRateLimiter<T>::forget(const T& item) {
  std::lock_guard lock(mutex_);
  failures_.erase(item);
}

template <class T>
int ItemExponentialFailureRateLimiter<T>::num_requeues(const T& item) const {
  std::lock_guard lock(mutex_);
  const auto it = failures_.find(item);
  return it == failures_.end() ? 0 : it->second;
}

template <class T>
Clock::duration MaxOfRateLimiter<T>::when(const T& item) {
  // Every limiter is asked, not just until one answers: each must record the failure.
  Clock::duration longest = Clock::duration::zero();
  for (const auto& limiter : limiters_) longest = std::max(longest, limiter->when(item));
  return longest;
}

template <class T>
void MaxOfRateLimiter<T>::forget(const T& item) {
  for (const auto& limiter : limiters_) limiter->forget(item);
}

template <class T>
int MaxOfRateLimiter<T>::num_requeues(const T& item) const {
  int most = 0;
  for (const auto& limiter : limiters_) most = std::max(most, limiter->num_requeues(item));
  return most;
}

template <class T>
std::shared_ptr<RateLimiter<T>> default_controller_rate_limiter(std::shared_ptr<Clock> clock) {
  using namespace std::chrono_literals;
  std::vector<std::shared_ptr<RateLimiter<T>>> limiters;
  limiters.push_back(std::make_shared<ItemExponentialFailureRateLimiter<T>>(5ms, 1000s));
  limiters.push_back(std::make_shared<BucketRateLimiter<T>>(10.0, 100, std::move(clock)));
  return std::make_shared<MaxOfRateLimiter<T>>(std::move(limiters));
}

}  // namespace kopp
