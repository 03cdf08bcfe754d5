// What the controller does with a key after its reconcile: the pure rules, then the same
// rules driving a real per-item rate limiter (backoff growth and reset).
#include <kopp/runtime/controller/queue_decision.hpp>
#include <kopp/runtime/workqueue/rate_limiter.hpp>

#include <catch2/catch.hpp>

#include <string>

using namespace std::chrono_literals;
using kopp::Action;
using kopp::decide_after_reconcile;

TEST_CASE("after a reconcile: success forgets, requeue_after forgets and adds after", "[controller][queue]") {
  const auto done = decide_after_reconcile(Action::done(), false, false);
  CHECK(done.forget);
  CHECK_FALSE(done.add_after);
  CHECK_FALSE(done.add_rate_limited);
  CHECK(done.result == "success");
  CHECK_FALSE(done.error);

  const auto later = decide_after_reconcile(Action::requeue_after(30s), false, false);
  CHECK(later.forget);  // a requeue is success: the backoff starts over
  REQUIRE(later.add_after);
  CHECK(*later.add_after == 30s);
  CHECK_FALSE(later.add_rate_limited);
  CHECK(later.result == "requeue_after");
  CHECK_FALSE(later.error);
}

TEST_CASE("after a reconcile: an error backs off, a terminal error forgets", "[controller][queue]") {
  const auto failed = decide_after_reconcile(std::nullopt, false, false);
  CHECK(failed.add_rate_limited);
  CHECK_FALSE(failed.forget);
  CHECK(failed.result == "error");
  CHECK(failed.error);
  CHECK_FALSE(failed.terminal);

  const auto terminal = decide_after_reconcile(std::nullopt, true, false);
  CHECK(terminal.forget);  // not retried: the next change of the object adds the key
  CHECK_FALSE(terminal.add_rate_limited);
  CHECK_FALSE(terminal.add_after);
  CHECK(terminal.error);
  CHECK(terminal.terminal);
}

TEST_CASE("after a reconcile cancelled by stop(): the queue is left alone", "[controller][queue]") {
  const auto cancelled = decide_after_reconcile(std::nullopt, false, true);
  CHECK(cancelled == kopp::QueueDecision{false, std::nullopt, false, "error", false, false});
  const auto finished = decide_after_reconcile(Action::requeue_after(1s), false, true);
  CHECK_FALSE(finished.forget);
  CHECK_FALSE(finished.add_after);
  CHECK(finished.result == "success");
}

TEST_CASE("the decisions drive the per-item backoff: it grows with errors and resets on success",
          "[controller][queue]") {
  kopp::ItemExponentialFailureRateLimiter<std::string> limiter(5ms, 1000s);
  const std::string key = "ns/a";
  // Applies a decision the way the controller does; returns the delay of a rate-limited add.
  auto apply = [&](const kopp::QueueDecision& d) -> kopp::Clock::duration {
    kopp::Clock::duration delay{};
    if (d.forget) limiter.forget(key);
    if (d.add_rate_limited) delay = limiter.when(key);
    return delay;
  };
  const auto error = decide_after_reconcile(std::nullopt, false, false);
  CHECK(apply(error) == 5ms);
  CHECK(apply(error) == 10ms);
  CHECK(apply(error) == 20ms);
  CHECK(limiter.num_requeues(key) == 3);
  apply(decide_after_reconcile(Action::done(), false, false));
  CHECK(limiter.num_requeues(key) == 0);
  CHECK(apply(error) == 5ms);  // the backoff started over
  apply(decide_after_reconcile(Action::requeue_after(1min), false, false));
  CHECK(apply(error) == 5ms);
  CHECK(apply(error) == 10ms);
  apply(decide_after_reconcile(std::nullopt, true, false));  // terminal
  CHECK(limiter.num_requeues(key) == 0);
}
