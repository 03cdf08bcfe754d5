#include <kopp/runtime/workqueue/rate_limiter.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>

using namespace std::chrono_literals;
using kopp::Clock;

namespace {
std::chrono::milliseconds ms(Clock::duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d); }
}  // namespace

TEST_CASE("rate limiting: per-item backoff doubles from 5ms and is capped at 1000s", "[ratelimit]") {
  kopp::ItemExponentialFailureRateLimiter<std::string> limiter(5ms, 1000s);
  Clock::duration expected = 5ms;
  for (int failure = 0; failure < 18; ++failure) {
    INFO("failure " << failure);
    CHECK(limiter.when("ns/a") == expected);
    expected *= 2;
  }
  // 5ms * 2^18 = 1310.72s: the cap applies from here on, also long after 2^n overflows.
  CHECK(limiter.when("ns/a") == 1000s);
  for (int i = 0; i < 100; ++i) limiter.when("ns/a");
  CHECK(limiter.when("ns/a") == 1000s);
  CHECK(limiter.num_requeues("ns/a") == 120);
}

TEST_CASE("rate limiting: items back off independently", "[ratelimit]") {
  kopp::ItemExponentialFailureRateLimiter<std::string> limiter(5ms, 1000s);
  CHECK(limiter.when("ns/a") == 5ms);
  CHECK(limiter.when("ns/a") == 10ms);
  CHECK(limiter.when("ns/b") == 5ms);
  CHECK(limiter.num_requeues("ns/a") == 2);
  CHECK(limiter.num_requeues("ns/b") == 1);
  CHECK(limiter.num_requeues("ns/c") == 0);
}

TEST_CASE("rate limiting: forget resets an item's backoff and requeue count", "[ratelimit]") {
  kopp::ItemExponentialFailureRateLimiter<std::string> limiter(5ms, 1000s);
  limiter.when("ns/a");
  limiter.when("ns/a");
  CHECK(limiter.when("ns/a") == 20ms);
  limiter.forget("ns/a");
  CHECK(limiter.num_requeues("ns/a") == 0);
  CHECK(limiter.when("ns/a") == 5ms);
}

TEST_CASE("rate limiting: the default limiter's token bucket kicks in after 100 rate-limited adds", "[ratelimit]") {
  auto clock = std::make_shared<kopp::ManualClock>();
  auto limiter = kopp::default_controller_rate_limiter<std::string>(clock);
  // Distinct items: the per-item part says 5ms each, the burst of 100 absorbs the first 100.
  for (int i = 0; i < 100; ++i) {
    INFO("item " << i);
    REQUIRE(limiter->when("ns/item-" + std::to_string(i)) == 5ms);
  }
  // Then 10 qps: each further retry waits 100ms longer than the previous one.
  CHECK(ms(limiter->when("ns/item-100")) == 100ms);
  CHECK(ms(limiter->when("ns/item-101")) == 200ms);
  // A second later the 10 tokens earned pay back the debt of 2 and leave 8.
  clock->advance(1s);
  for (int i = 0; i < 8; ++i) REQUIRE(limiter->when("ns/late-" + std::to_string(i)) == 5ms);
  CHECK(ms(limiter->when("ns/late-8")) == 100ms);
}

TEST_CASE("rate limiting: max-of takes the longest delay and forgets in every limiter", "[ratelimit]") {
  auto exponential = std::make_shared<kopp::ItemExponentialFailureRateLimiter<int>>(1ms, 1s);
  auto slow = std::make_shared<kopp::ItemExponentialFailureRateLimiter<int>>(50ms, 1s);
  kopp::MaxOfRateLimiter<int> limiter({exponential, slow});
  CHECK(limiter.when(7) == 50ms);
  CHECK(limiter.when(7) == 100ms);
  CHECK(limiter.num_requeues(7) == 2);
  CHECK(exponential->num_requeues(7) == 2);
  limiter.forget(7);
  CHECK(exponential->num_requeues(7) == 0);
  CHECK(slow->num_requeues(7) == 0);
}

TEST_CASE("rate limiting: the bucket limiter keeps no per-item state", "[ratelimit]") {
  auto clock = std::make_shared<kopp::ManualClock>();
  kopp::BucketRateLimiter<std::string> limiter(1.0, 1, clock);
  CHECK(limiter.when("a") == Clock::duration::zero());
  CHECK(ms(limiter.when("b")) == 1000ms);
  CHECK(limiter.num_requeues("a") == 0);
}
