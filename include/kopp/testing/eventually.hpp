#pragma once
// Waiting, in a test, for what a controller does in the background: a condition that holds
// eventually, an object that reaches a state, a status condition that turns True.
//
//   const bool copied = co_await kopp::testing::eventually([&] { return copies.size() == 2; });
//   const Memcached ready = co_await kopp::testing::wait_for_condition(memcacheds, "sessions", "Available");
//
// eventually() polls a predicate (bool, or awaitable<bool> for one that asks the server)
// every `period` without blocking its executor, so the operator under test keeps running
// on the same io_context. wait_for() and wait_for_condition() read the object through the
// client (not a cache) and return it once it satisfies the predicate; on timeout they throw
// std::runtime_error naming the kind, the object and what was awaited.
//
// Pass the predicate as a lambda capturing by reference: GCC 12 destroys a lambda
// temporary that captures a shared_ptr by value twice when it appears in a co_await
// expression (docs/architecture.md lists its coroutine pitfalls). Every parameter here is
// taken by value into the coroutine, so a temporary's lifetime does not matter otherwise.

#include <kopp/client/api.hpp>
#include <kopp/core/condition.hpp>
#include <kopp/core/resource.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

namespace kopp::testing {

/// How long the helpers below wait, and how often they look.
inline constexpr std::chrono::milliseconds default_wait_timeout{10000};
inline constexpr std::chrono::milliseconds default_poll_period{10};

/// True as soon as `condition()` holds (checked first at once), false when `timeout`
/// passed without it holding. `condition` returns bool or boost::asio::awaitable<bool>.
template <class Condition>
boost::asio::awaitable<bool> eventually(Condition condition,
                                        std::chrono::steady_clock::duration timeout = default_wait_timeout,
                                        std::chrono::steady_clock::duration period = default_poll_period) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  for (;;) {
    bool held = false;
    if constexpr (std::is_same_v<std::invoke_result_t<Condition&>, boost::asio::awaitable<bool>>)
      held = co_await condition();
    else
      held = static_cast<bool>(condition());
    if (held) co_return true;
    if (std::chrono::steady_clock::now() >= deadline) co_return false;
    timer.expires_after(period);
    co_await timer.async_wait(boost::asio::use_awaitable);
  }
}

/// The object `name` once `predicate(const K&)` holds for it (`api` is a copy: it refers to
/// the same client). `awaited` says what was waited for, in the timeout's message. Throws std::runtime_error
/// when `timeout` passed first (the message says whether the object existed), and what the
/// client throws for errors other than NotFound.
template <Resource K, class Predicate>
boost::asio::awaitable<K> wait_for(Api<K> api, std::string name, Predicate predicate, std::string awaited,
                                   std::chrono::steady_clock::duration timeout = default_wait_timeout) {
  std::optional<K> last;
  auto satisfied = [&]() -> boost::asio::awaitable<bool> {
    last = co_await api.get_opt(name);
    co_return last&& static_cast<bool>(predicate(*last));
  };
  if (co_await eventually(satisfied, timeout)) co_return std::move(*last);
  const auto waited_ms = std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count();
  const std::string& ns = api.dynamic().namespace_();
  throw std::runtime_error(std::string(resource_traits<K>::kind) + " " + (ns.empty() ? std::string() : ns + "/") +
                           name + ": " +
                           (last ? "did not reach " + awaited : std::string("does not exist, waited for ") + awaited) +
                           " within " + std::to_string(waited_ms) + " ms");
}

/// The object `name` once its status condition `type` has `status` ("True" by default).
/// K's status must hold `conditions` (a std::vector<kopp::Condition>), optional or not.
template <Resource K>
boost::asio::awaitable<K> wait_for_condition(Api<K> api, std::string name, std::string type,
                                             std::string status = "True",
                                             std::chrono::steady_clock::duration timeout = default_wait_timeout) {
  auto has_condition = [&](const K& object) {
    const auto* conditions = [&]() -> const std::vector<Condition>* {
      if constexpr (requires { object.status->conditions; }) {
        return object.status ? &object.status->conditions : nullptr;
      } else {
        return &object.status.conditions;
      }
    }();
    if (conditions == nullptr) return false;
    const Condition* found = find_status_condition(*conditions, type);
    return found != nullptr && found->status == status;
  };
  std::string awaited = "condition " + type + "=" + status;
  co_return co_await wait_for(std::move(api), std::move(name), has_condition, std::move(awaited), timeout);
}

}  // namespace kopp::testing
