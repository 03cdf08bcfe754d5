#pragma once
// The time of day the reconciler schedules by. Cron is about calendar time, so this is
// the system (UTC) clock, not kopp::Clock (a steady clock for timeouts and backoff). It is
// an interface so that tests can say "it is now 2026-02-28T23:59:30Z" instead of waiting.

#include <atomic>
#include <chrono>
#include <memory>

namespace crontab {

class WallClock {
 public:
  using time_point = std::chrono::system_clock::time_point;
  virtual ~WallClock() = default;
  [[nodiscard]] virtual time_point now() const noexcept = 0;
};

/// std::chrono::system_clock: what the operator uses.
class SystemWallClock final : public WallClock {
 public:
  time_point now() const noexcept override { return std::chrono::system_clock::now(); }
};

/// A clock that moves only when told to (tests); thread-safe.
class ManualWallClock final : public WallClock {
 public:
  explicit ManualWallClock(time_point start) noexcept : ticks_(start.time_since_epoch().count()) {}
  time_point now() const noexcept override { return time_point(time_point::duration(ticks_.load())); }
  void set(time_point t) noexcept { ticks_.store(t.time_since_epoch().count()); }
  void advance(time_point::duration d) noexcept { ticks_.fetch_add(d.count()); }

 private:
  std::atomic<time_point::rep> ticks_;
};

}  // namespace crontab
