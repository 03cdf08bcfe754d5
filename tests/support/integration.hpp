#pragma once
// Helpers for tests against the local control plane that CTest starts (KUBECONFIG points
// at its admin kubeconfig).

#include "support/test_types.hpp"

#include <kopp/client.hpp>
#include <kopp/client/kubeconfig.hpp>
#include <kopp/testing/run.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <type_traits>

namespace kopp_test {

/// Suspends the calling coroutine for `d` (its executor keeps running other work).
inline boost::asio::awaitable<void> sleep_for(std::chrono::steady_clock::duration d) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, d);
  co_await timer.async_wait(boost::asio::use_awaitable);
}

/// Blocks the calling thread, polling `condition` every 50 ms until it holds or `timeout`
/// passes; returns whether it held.
template <class F>
bool eventually(F condition, std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return condition();
}

/// The same inside a coroutine: polls `done` every `period` without blocking the executor.
/// `done` returns bool, or awaitable<bool> for a check that asks the server.
template <class Pred>
boost::asio::awaitable<bool> async_eventually(
    Pred done, std::chrono::steady_clock::duration timeout = std::chrono::seconds(20),
    std::chrono::steady_clock::duration period = std::chrono::milliseconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    bool held = false;
    if constexpr (std::is_same_v<std::invoke_result_t<Pred&>, boost::asio::awaitable<bool>>)
      held = co_await done();
    else
      held = done();
    if (held) co_return true;
    if (std::chrono::steady_clock::now() >= deadline) co_return false;
    co_await sleep_for(period);
  }
}

inline kopp::Config admin_config() {
  const char* path = std::getenv("KUBECONFIG");
  if (!path) FAIL("KUBECONFIG is not set: run integration tests through ctest");
  kopp::KubeconfigOptions options;
  options.path = path;
  return kopp::load_kubeconfig(options);
}

/// Runs a coroutine to completion on a fresh io_context; rethrows what it throws.
template <class T>
T run(std::function<boost::asio::awaitable<T>()> body) {
  return kopp::testing::run(std::move(body));
}

/// The CustomResourceDefinition resource, for DynamicApi (tests install their own CRDs).
inline kopp::ApiResource crd_resource() {
  kopp::ApiResource r;
  r.group = "apiextensions.k8s.io";
  r.version = "v1";
  r.kind = "CustomResourceDefinition";
  r.plural = "customresourcedefinitions";
  r.namespaced = false;
  return r;
}

inline std::string unique_name(std::string_view prefix) {
  static std::mt19937_64 rng{std::random_device{}()};
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string name(prefix);
  name += '-';
  for (int i = 0; i < 6; ++i) name += alphabet[rng() % 36];
  return name;
}

/// A namespace for one test, deleted when the test ends (pass or fail).
class TestNamespace {
 public:
  explicit TestNamespace(std::string_view prefix) : name_(unique_name(prefix)) {
    run<void>([this]() -> boost::asio::awaitable<void> {
      kopp::Client client(co_await boost::asio::this_coro::executor, admin_config());
      Namespace ns;
      ns.metadata.name = name_;
      co_await kopp::Api<Namespace>::all(client).create(ns);
    });
  }
  ~TestNamespace() {
    try {
      run<void>([this]() -> boost::asio::awaitable<void> {
        kopp::Client client(co_await boost::asio::this_coro::executor, admin_config());
        co_await kopp::Api<Namespace>::all(client).delete_(name_);
      });
    } catch (...) {
      // The namespace goes away with the control plane; a failed cleanup must not hide
      // the test's own result.
    }
  }
  TestNamespace(const TestNamespace&) = delete;
  TestNamespace& operator=(const TestNamespace&) = delete;
  const std::string& name() const { return name_; }

 private:
  std::string name_;
};

}  // namespace kopp_test
