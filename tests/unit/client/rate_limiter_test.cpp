#include <kopp/client/backoff.hpp>
#include <kopp/client/token_bucket.hpp>

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using clock_type = kopp::TokenBucket::clock;

TEST_CASE("token bucket: burst passes at once, then qps paces", "[client][ratelimit]") {
  const auto t0 = clock_type::time_point{} + 1h;
  kopp::TokenBucket bucket(10.0, 3, t0);
  CHECK(bucket.reserve(t0) == clock_type::duration::zero());
  CHECK(bucket.reserve(t0) == clock_type::duration::zero());
  CHECK(bucket.reserve(t0) == clock_type::duration::zero());
  // The fourth and fifth wait 100 ms and 200 ms: reservations queue behind each other.
  CHECK(std::chrono::duration_cast<std::chrono::milliseconds>(bucket.reserve(t0)) == 100ms);
  CHECK(std::chrono::duration_cast<std::chrono::milliseconds>(bucket.reserve(t0)) == 200ms);
  // A second later 10 tokens were earned, minus the two borrowed: 3 are capped by burst.
  const auto t1 = t0 + 1s;
  CHECK(bucket.reserve(t1) == clock_type::duration::zero());
}

TEST_CASE("token bucket: tokens never exceed the burst", "[client][ratelimit]") {
  const auto t0 = clock_type::time_point{} + 1h;
  kopp::TokenBucket bucket(100.0, 2, t0);
  const auto later = t0 + 1h;
  CHECK(bucket.reserve(later) == clock_type::duration::zero());
  CHECK(bucket.reserve(later) == clock_type::duration::zero());
  CHECK(bucket.reserve(later) > clock_type::duration::zero());
}

TEST_CASE("token bucket: qps <= 0 disables limiting", "[client][ratelimit]") {
  kopp::TokenBucket bucket(0, 1);
  for (int i = 0; i < 1000; ++i) REQUIRE(bucket.reserve(clock_type::now()) == clock_type::duration::zero());
}

TEST_CASE("backoff: doubles from initial to max with bounded jitter", "[client][backoff]") {
  kopp::ExponentialBackoff backoff({100ms, 1000ms, 2.0, 0.5}, 42);
  const std::chrono::milliseconds bases[] = {100ms, 200ms, 400ms, 800ms, 1000ms, 1000ms};
  for (auto base : bases) {
    const auto d = backoff.next();
    CHECK(d <= base);
    CHECK(d >= base / 2);
  }
  CHECK(backoff.attempt() == 6);
  backoff.reset();
  CHECK(backoff.next() <= 100ms);
}

TEST_CASE("backoff: no jitter gives exact delays", "[client][backoff]") {
  kopp::ExponentialBackoff backoff({5ms, 40ms, 2.0, 0.0});
  CHECK(backoff.next() == 5ms);
  CHECK(backoff.next() == 10ms);
  CHECK(backoff.next() == 20ms);
  CHECK(backoff.next() == 40ms);
  CHECK(backoff.next() == 40ms);
}
