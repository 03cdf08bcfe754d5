#pragma once

#include <kopp/runtime/detail/async_latch.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/error_code.hpp>

#include <algorithm>
#include <array>
#include <utility>

namespace kopp::detail {

KOPP_DECL void AsyncLatch::set() {
  set_.store(true, std::memory_order_release);
  wake_all(true);
}

KOPP_DECL void AsyncLatch::add(std::shared_ptr<Waiter> waiter) const {
  std::lock_guard lock(mutex_);
  // Waits that ended by their timeout stay listed until here: drop them, so that a latch
  // waited for in a loop does not grow.
  std::erase_if(waiters_, [](const std::shared_ptr<Waiter>& w) {
    std::lock_guard waiter_lock(w->mutex);
    return w->done;
  });
  waiters_.push_back(std::move(waiter));
}

KOPP_DECL void AsyncLatch::wake_all(bool woken) const {
  std::vector<std::shared_ptr<Waiter>> waiters;
  {
    std::lock_guard lock(mutex_);
    waiters.swap(waiters_);
  }
  for (const auto& w : waiters) {
    std::lock_guard lock(w->mutex);
    if (w->done) continue;
    w->woken = w->woken || woken;
    w->timer.cancel();
  }
}

KOPP_DECL boost::asio::awaitable<bool> AsyncLatch::wait(std::chrono::steady_clock::duration timeout) const {
  const AsyncLatch* const self = this;
  co_return co_await wait_for(&self, 1, timeout);
}

KOPP_DECL boost::asio::awaitable<bool> wait_any(const AsyncLatch& a, const AsyncLatch& b,
                                                std::chrono::steady_clock::duration timeout) {
  const std::array<const AsyncLatch*, 2> latches{&a, &b};
  co_return co_await wait_for(latches.data(), latches.size(), timeout);
}

KOPP_DECL boost::asio::awaitable<bool> wait_for(const AsyncLatch* const* latches, std::size_t count,
                                                std::chrono::steady_clock::duration timeout) {
  const auto any_set = [latches, count] {
    return std::any_of(latches, latches + count, [](const AsyncLatch* l) { return l->is_set(); });
  };
  if (any_set()) co_return true;
  auto waiter = std::make_shared<AsyncLatch::Waiter>(co_await boost::asio::this_coro::executor);
  AsyncLatch::Waiter* const w = waiter.get();
  for (std::size_t i = 0; i < count; ++i) latches[i]->add(waiter);
  // Started under the waiter's mutex, and the latches checked again after: a set() that came
  // between the check above and the wait either finds the timer waiting or is seen here.
  auto initiation = [w, &any_set, timeout](auto handler) {
    std::lock_guard lock(w->mutex);
    // Far-away deadlines would overflow time_point arithmetic: they mean "forever".
    if (timeout > std::chrono::hours(24 * 365))
      w->timer.expires_at(std::chrono::steady_clock::time_point::max());
    else
      w->timer.expires_after(timeout);
    w->timer.async_wait(std::move(handler));
    if (any_set()) {
      w->woken = true;
      w->timer.cancel();
    }
  };
  auto token = boost::asio::as_tuple(boost::asio::use_awaitable);
  co_await boost::asio::async_initiate<decltype(token), void(boost::system::error_code)>(initiation, token);
  std::lock_guard lock(w->mutex);
  w->done = true;
  co_return w->woken;
}

}  // namespace kopp::detail
