#include <kopp/runtime/detail/async_latch.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using kopp::detail::AsyncLatch;
using clock_type = std::chrono::steady_clock;

namespace {

// The result of latch.wait(timeout) run on `io`, and how long it took.
struct Outcome {
  std::optional<bool> result;
  clock_type::duration took{};
};

asio::awaitable<void> timed_wait(const AsyncLatch& latch, clock_type::duration timeout, Outcome& out) {
  const auto start = clock_type::now();
  out.result = co_await latch.wait(timeout);
  out.took = clock_type::now() - start;
}

}  // namespace

TEST_CASE("async latch: a wait on a set latch returns true without suspending on a timer", "[async_latch]") {
  asio::io_context io;
  AsyncLatch latch;
  latch.set();
  latch.set();  // idempotent
  Outcome out;
  asio::co_spawn(io, timed_wait(latch, 30s, out), asio::detached);
  io.run();
  REQUIRE(out.result == true);
  CHECK(out.took < 5s);
  CHECK(latch.is_set());
}

TEST_CASE("async latch: a wait on a latch nobody sets returns false after its timeout", "[async_latch]") {
  asio::io_context io;
  AsyncLatch latch;
  Outcome out;
  asio::co_spawn(io, timed_wait(latch, 50ms, out), asio::detached);
  io.run();
  REQUIRE(out.result == false);
  CHECK(out.took >= 50ms);
  CHECK_FALSE(latch.is_set());
}

TEST_CASE("async latch: set() on another thread wakes the waiter long before its timeout", "[async_latch]") {
  asio::io_context io;
  AsyncLatch latch;
  Outcome out;
  asio::co_spawn(io, timed_wait(latch, 60s, out), asio::detached);
  std::thread setter([&] {
    std::this_thread::sleep_for(20ms);
    latch.set();
  });
  io.run();  // returns once the waiter finished: the wait held the only work
  setter.join();
  REQUIRE(out.result == true);
  CHECK(out.took < 30s);
}

TEST_CASE("async latch: a wait without a timeout ends when the latch is set", "[async_latch]") {
  asio::io_context io;
  AsyncLatch latch;
  std::optional<bool> result;
  asio::co_spawn(
      io, [&]() -> asio::awaitable<void> { result = co_await latch.wait(); }, asio::detached);
  asio::post(io, [&] { latch.set(); });
  io.run();
  CHECK(result == true);
}

TEST_CASE("async latch: wait_any ends when either latch is set", "[async_latch]") {
  asio::io_context io;
  AsyncLatch synced;
  AsyncLatch stopping;
  std::optional<bool> result;
  asio::co_spawn(
      io, [&]() -> asio::awaitable<void> { result = co_await kopp::detail::wait_any(synced, stopping, 60s); },
      asio::detached);
  asio::post(io, [&] { stopping.set(); });
  io.run();
  CHECK(result == true);
  CHECK_FALSE(synced.is_set());
}

TEST_CASE("async latch: cancelling the waiting coroutine ends the wait with false", "[async_latch]") {
  asio::io_context io;
  AsyncLatch latch;
  asio::cancellation_signal cancel;
  std::optional<bool> result;
  asio::co_spawn(
      io, [&]() -> asio::awaitable<void> { result = co_await latch.wait(60s); },
      asio::bind_cancellation_slot(cancel.slot(), asio::detached));
  asio::post(io, [&] { cancel.emit(asio::cancellation_type::terminal); });
  const auto start = clock_type::now();
  io.run();
  CHECK(result == false);
  CHECK(clock_type::now() - start < 30s);
}

TEST_CASE("async latch: a latch destroyed while waited for wakes its waiter with false", "[async_latch]") {
  asio::io_context io;
  auto latch = std::make_unique<AsyncLatch>();
  std::optional<bool> result;
  asio::co_spawn(
      io, [&, l = latch.get()]() -> asio::awaitable<void> { result = co_await l->wait(60s); }, asio::detached);
  asio::post(io, [&] { latch.reset(); });
  const auto start = clock_type::now();
  io.run();
  CHECK(result == false);
  CHECK(clock_type::now() - start < 30s);
}

TEST_CASE("async latch: many waiters on several threads all wake on one set()", "[async_latch]") {
  asio::thread_pool pool(4);
  AsyncLatch latch;
  constexpr int waiters = 200;
  std::atomic<int> woken{0};
  std::atomic<int> finished{0};
  for (int i = 0; i < waiters; ++i)
    asio::co_spawn(
        pool,
        [&]() -> asio::awaitable<void> {
          if (co_await latch.wait(60s)) ++woken;
          ++finished;
        },
        asio::detached);
  std::this_thread::sleep_for(10ms);  // some waiters registered, some not yet: both paths
  latch.set();
  pool.join();
  CHECK(woken == waiters);
  CHECK(finished == waiters);
}

TEST_CASE("async latch: waits that time out in a loop do not keep the latch busy", "[async_latch]") {
  // A Manager waits for its stop latch once per informer: each ended wait must be dropped,
  // and a later set() still reaches the current waiter.
  asio::io_context io;
  AsyncLatch latch;
  int timeouts = 0;
  std::optional<bool> last;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        for (int i = 0; i < 20; ++i)
          if (!co_await latch.wait(1ms)) ++timeouts;
        asio::post(io, [&] { latch.set(); });
        last = co_await latch.wait(60s);
      },
      asio::detached);
  io.run();
  CHECK(timeouts == 20);
  CHECK(last == true);
}
