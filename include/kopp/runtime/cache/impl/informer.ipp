#pragma once

#include <kopp/runtime/cache/informer.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/object.hpp>

#include <algorithm>
#include <atomic>
#include <exception>
#include <utility>

namespace kopp {

KOPP_DECL boost::asio::awaitable<bool> InformerBase::wait_for_sync(std::chrono::steady_clock::duration timeout) const {
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  // Far-away deadlines would overflow time_point arithmetic: treat them as "forever".
  const bool forever = timeout > std::chrono::hours(24 * 365);
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  while (!has_synced()) {
    if (stopped()) co_return false;
    const auto waited = clock::now() - start;
    if (!forever && waited >= timeout) co_return false;
    auto step = std::chrono::steady_clock::duration(std::chrono::milliseconds(10));
    if (!forever) step = std::min(step, timeout - waited);
    timer.expires_after(step);
    auto [ec] = co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    if (ec == boost::asio::error::operation_aborted) co_return has_synced();
  }
  co_return true;
}
}  // namespace kopp
