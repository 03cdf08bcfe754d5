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

namespace detail {

/// SplitMix64: a cheap, well-mixed 64-bit sequence, plenty for jitter.
inline std::uint64_t splitmix64(std::uint64_t& state) noexcept {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/// A fresh seed for jitter. std::random_device is read once per thread: constructing one
/// costs system calls, and the client makes a backoff for every request (it was 13 % of an
/// operator's CPU at 1,000 requests/s).
inline std::uint64_t jitter_seed() {
  thread_local std::uint64_t state = [] {
    std::random_device device;
    return (static_cast<std::uint64_t>(device()) << 32) ^ device();
  }();
  return splitmix64(state);
}

}  // namespace detail

class ExponentialBackoff {
 public:
  explicit ExponentialBackoff(BackoffPolicy policy = {}, std::uint64_t seed = detail::jitter_seed())
      : policy_(policy), state_(seed) {}

  /// The delay before attempt number `attempt()` + 1; advances the attempt counter.
  std::chrono::milliseconds next() {
    double base = static_cast<double>(policy_.initial.count());
    for (unsigned i = 0; i < attempt_ && base < static_cast<double>(policy_.max.count()); ++i) base *= policy_.factor;
    base = std::min(base, static_cast<double>(policy_.max.count()));
    ++attempt_;
    const double unit = static_cast<double>(detail::splitmix64(state_) >> 11) * 0x1.0p-53;  // [0, 1)
    const double spread = 1.0 - policy_.jitter * unit;                                      // (1 - jitter, 1]
    return std::chrono::milliseconds(static_cast<std::int64_t>(base * spread));
  }

  void reset() noexcept { attempt_ = 0; }
  unsigned attempt() const noexcept { return attempt_; }
  const BackoffPolicy& policy() const noexcept { return policy_; }

 private:
  BackoffPolicy policy_;
  std::uint64_t state_;
  unsigned attempt_ = 0;
};

}  // namespace kopp
