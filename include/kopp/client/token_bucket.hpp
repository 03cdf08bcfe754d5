#pragma once
// A token bucket (client-go's flowcontrol.NewTokenBucketRateLimiter): `qps` tokens a second,
// at most `burst` saved up. Sans-io: the caller passes the time and sleeps for the returned
// delay, so tests drive it with a fake clock.

#include <algorithm>
#include <chrono>
#include <mutex>

namespace kopp {

class TokenBucket {
 public:
  using clock = std::chrono::steady_clock;

  /// qps <= 0 disables limiting (every reserve() returns zero).
  TokenBucket(double qps, int burst, clock::time_point now = clock::now())
      : qps_(qps), burst_(std::max(burst, 1)), tokens_(std::max(burst, 1)), last_(now) {}

  /// Takes one token and returns how long the caller must wait before using it. Tokens
  /// may go negative: callers queue up behind each other in order of reservation.
  clock::duration reserve(clock::time_point now) {
    if (qps_ <= 0) return clock::duration::zero();
    std::lock_guard lock(mutex_);
    refill(now);
    tokens_ -= 1.0;
    if (tokens_ >= 0) return clock::duration::zero();
    return std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(-tokens_ / qps_));
  }

  double qps() const noexcept { return qps_; }
  int burst() const noexcept { return burst_; }

 private:
  void refill(clock::time_point now) {
    if (now > last_) {
      const double elapsed = std::chrono::duration<double>(now - last_).count();
      tokens_ = std::min<double>(burst_, tokens_ + elapsed * qps_);
      last_ = now;
    }
  }

  double qps_;
  int burst_;
  double tokens_;
  clock::time_point last_;
  std::mutex mutex_;
};

}  // namespace kopp
