#pragma once
// Exponential backoff with jitter, sans-io: it computes delays, the caller sleeps.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>

namespace kopp {

struct BackoffPolicy {
  std::chrono::milliseconds initial{200};
  std::chrono::milliseconds max{30'000};
  double factor = 2.0;
  /// Each delay is drawn uniformly from [d * (1 - jitter), d]: retries of many clients
  /// spread out instead of arriving together.
  double jitter = 0.5;
};

class ExponentialBackoff {
 public:
  explicit ExponentialBackoff(BackoffPolicy policy = {}, std::uint64_t seed = std::random_device{}())
      : policy_(policy), rng_(seed) {}

  /// The delay before attempt number `attempt()` + 1; advances the attempt counter.
  std::chrono::milliseconds next() {
    double base = static_cast<double>(policy_.initial.count());
    for (unsigned i = 0; i < attempt_ && base < static_cast<double>(policy_.max.count()); ++i)
      base *= policy_.factor;
    base = std::min(base, static_cast<double>(policy_.max.count()));
    ++attempt_;
    std::uniform_real_distribution<double> spread(1.0 - policy_.jitter, 1.0);
    return std::chrono::milliseconds(static_cast<std::int64_t>(base * spread(rng_)));
  }

  void reset() noexcept { attempt_ = 0; }
  unsigned attempt() const noexcept { return attempt_; }
  const BackoffPolicy& policy() const noexcept { return policy_; }

 private:
  BackoffPolicy policy_;
  std::mt19937_64 rng_;
  unsigned attempt_ = 0;
};

}  // namespace kopp
