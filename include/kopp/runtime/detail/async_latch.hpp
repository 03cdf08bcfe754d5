#pragma once
// Private: a flag that coroutines wait for, so that "until the caches synced", "until the
// workers ended" and "until a stop was requested" are awaited events, not polling loops.
//
//   detail::AsyncLatch synced;
//   ...  // any thread, once: synced.set();
//   const bool ok = co_await synced.wait(std::chrono::seconds(30));  // false: timed out
//   const bool either = co_await detail::wait_any(synced, stopping, timeout);
//
// set() is thread-safe, idempotent and never runs a waiter inline: each waiter resumes on
// its own executor. A wait also ends when the awaiting coroutine is cancelled (returning
// false). A latch destroyed while waited for wakes its waiters (returning false); a woken
// waiter never touches the latch again.

#include <kopp/core/detail/config.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

namespace kopp::detail {

class AsyncLatch {
 public:
  AsyncLatch() = default;
  AsyncLatch(const AsyncLatch&) = delete;
  AsyncLatch& operator=(const AsyncLatch&) = delete;
  ~AsyncLatch() { wake_all(false); }

  /// Sets the latch and wakes every waiter. Thread-safe; later calls do nothing.
  void set();
  bool is_set() const noexcept { return set_.load(std::memory_order_acquire); }

  /// True once set; false when `timeout` passed first (or the wait was cancelled).
  boost::asio::awaitable<bool> wait(
      std::chrono::steady_clock::duration timeout = std::chrono::steady_clock::duration::max()) const;

  // One suspended wait: its timer is cancelled by whichever latch wakes it first. The timer
  // is only touched under `mutex`, so a set() on any thread cannot race the waiting coroutine.
  struct Waiter {
    explicit Waiter(const boost::asio::any_io_executor& executor) : timer(executor) {}
    std::mutex mutex;
    boost::asio::steady_timer timer;
    bool woken = false;  // by a set()
    bool done = false;   // the wait returned: latches drop it
  };

 private:
  friend boost::asio::awaitable<bool> wait_for(const AsyncLatch* const* latches, std::size_t count,
                                               std::chrono::steady_clock::duration timeout);
  void add(std::shared_ptr<Waiter> waiter) const;
  void wake_all(bool woken) const;

  std::atomic<bool> set_{false};
  mutable std::mutex mutex_;
  mutable std::vector<std::shared_ptr<Waiter>> waiters_;
};

/// True once `a` or `b` is set; false when `timeout` passed first (or the wait was cancelled).
boost::asio::awaitable<bool> wait_any(
    const AsyncLatch& a, const AsyncLatch& b,
    std::chrono::steady_clock::duration timeout = std::chrono::steady_clock::duration::max());

boost::asio::awaitable<bool> wait_for(const AsyncLatch* const* latches, std::size_t count,
                                      std::chrono::steady_clock::duration timeout);

}  // namespace kopp::detail

#if KOPP_HEADER_ONLY
#include <kopp/runtime/detail/impl/async_latch.ipp>
#endif
