#pragma once
// kopp::testing::run: runs a coroutine to completion from a plain function, as a test
// does, and returns what it co_returns (or rethrows what it threw).
//
//   TEST_CASE("the reconciler creates the Deployment") {
//     const auto names = kopp::testing::run([&]() -> boost::asio::awaitable<std::vector<std::string>> {
//       co_await reconciler.reconcile(ctx, memcached);
//       co_return names_of(co_await deployments.list("default"));
//     });
//     CHECK(names == std::vector<std::string>{"memcached-sample"});
//   }
//
// The body is a callable returning boost::asio::awaitable<T>, kept alive until it finished:
// a lambda's captures stay valid across every co_await. Assert on the result outside the
// coroutine, or co_await into a local first: GCC 12 miscompiles a co_await inside a Catch2
// macro (docs/architecture.md lists its coroutine pitfalls).

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

namespace kopp::testing {

namespace detail {
template <class A>
struct awaitable_value;
template <class T, class Executor>
struct awaitable_value<boost::asio::awaitable<T, Executor>> {
  using type = T;
};
}  // namespace detail

/// Runs `body()` on `io` until it finished, running the rest of `io`'s work meanwhile (a
/// server the test started keeps serving), and returns its result. Throws
/// std::runtime_error when `timeout` passed first or `io` ran out of work (the body waits
/// for something that can no longer happen); `io` can run again afterwards.
template <class Body>
auto run(boost::asio::io_context& io, Body body, std::chrono::steady_clock::duration timeout = std::chrono::minutes(5))
    -> typename detail::awaitable_value<std::invoke_result_t<Body&>>::type {
  using T = typename detail::awaitable_value<std::invoke_result_t<Body&>>::type;
  bool finished = false;
  std::exception_ptr failure;
  std::optional<std::conditional_t<std::is_void_v<T>, bool, T>> value;
  if constexpr (std::is_void_v<T>) {
    boost::asio::co_spawn(io, std::move(body), [&](std::exception_ptr e) {
      failure = e;
      finished = true;
    });
  } else {
    boost::asio::co_spawn(io, std::move(body), [&](std::exception_ptr e, T result) {
      failure = e;
      if (!e) value.emplace(std::move(result));
      finished = true;
    });
  }
  io.restart();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!finished) {
    const auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero())
      throw std::runtime_error("kopp::testing::run: the coroutine did not finish within " +
                               std::to_string(std::chrono::duration_cast<std::chrono::seconds>(timeout).count()) +
                               " s");
    if (io.run_one_for(left) == 0 && !finished && io.stopped())
      throw std::runtime_error(
          "kopp::testing::run: the io_context ran out of work (or was stopped) before the coroutine finished");
  }
  if (failure) std::rethrow_exception(failure);
  if constexpr (!std::is_void_v<T>) return std::move(*value);
}

/// The same on an io_context of its own, destroyed before run() returns.
template <class Body>
auto run(Body body, std::chrono::steady_clock::duration timeout = std::chrono::minutes(5)) {
  boost::asio::io_context io;
  return run(io, std::move(body), timeout);
}

}  // namespace kopp::testing
