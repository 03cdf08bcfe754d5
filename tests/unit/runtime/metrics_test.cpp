#include <kopp/runtime/telemetry/metrics.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

using namespace kopp::metrics;

TEST_CASE("metrics: counters and gauges render sorted, with escaped labels and help", "[metrics]") {
  Registry registry;
  auto& reconciles = registry.counter("controller_runtime_reconcile_total",
                                      "Total number of reconciliations per controller", {"controller", "result"});
  reconciles.with({{"controller", "memcached"}, {"result", "success"}}).inc();
  reconciles.with({{"result", "error"}, {"controller", "memcached"}}).inc(2);  // label order does not matter
  reconciles.with({{"controller", "memcached"}, {"result", "success"}}).inc();
  auto& workers =
      registry.gauge("controller_runtime_active_workers", "Active workers\nper \\controller", {"controller"});
  workers.with({{"controller", "a\"b\\c\nd"}}).set(3);
  workers.with({{"controller", "a\"b\\c\nd"}}).dec();

  CHECK(registry.render() ==
        "# HELP controller_runtime_active_workers Active workers\\nper \\\\controller\n"
        "# TYPE controller_runtime_active_workers gauge\n"
        "controller_runtime_active_workers{controller=\"a\\\"b\\\\c\\nd\"} 2\n"
        "# HELP controller_runtime_reconcile_total Total number of reconciliations per controller\n"
        "# TYPE controller_runtime_reconcile_total counter\n"
        "controller_runtime_reconcile_total{controller=\"memcached\",result=\"error\"} 2\n"
        "controller_runtime_reconcile_total{controller=\"memcached\",result=\"success\"} 2\n");
}

TEST_CASE("metrics: an unlabelled metric is exposed at zero, an empty labelled family not at all", "[metrics]") {
  Registry registry;
  registry.counter("kopp_starts_total", "Starts");
  registry.gauge("kopp_cache_objects", "Objects", {"kind"});
  CHECK(registry.render() ==
        "# HELP kopp_starts_total Starts\n"
        "# TYPE kopp_starts_total counter\n"
        "kopp_starts_total 0\n");
}

TEST_CASE("metrics: counters ignore negative and NaN increments", "[metrics]") {
  Counter counter;
  counter.inc(1.5);
  counter.inc(-1);
  counter.inc(std::numeric_limits<double>::quiet_NaN());
  CHECK(counter.value() == 1.5);
}

TEST_CASE("metrics: histogram buckets are cumulative with le as upper bound inclusive", "[metrics]") {
  Registry registry;
  auto& family = registry.histogram("request_seconds", "Request latency", {"verb"}, {0.1, 0.5, 1});
  auto& get = family.with({{"verb", "GET"}});
  get.observe(0.05);
  get.observe(0.1);  // on the bound: counted in le="0.1"
  get.observe(0.3);
  get.observe(2);
  get.observe(std::numeric_limits<double>::quiet_NaN());  // lands in +Inf only, as in the Go client

  CHECK(get.count() == 5);
  CHECK(get.cumulative_counts() == std::vector<std::uint64_t>{2, 3, 3, 5});

  Histogram clean({0.1, 0.5, 1});
  clean.observe(0.05);
  clean.observe(0.3);
  clean.observe(2);
  CHECK(clean.sum() == Approx(2.35));

  Registry other;
  auto& h = other.histogram("request_seconds", "Request latency", {"verb"}, {0.1, 0.5, 1}).with({{"verb", "GET"}});
  h.observe(0.25);
  h.observe(0.75);
  h.observe(3);
  CHECK(other.render() ==
        "# HELP request_seconds Request latency\n"
        "# TYPE request_seconds histogram\n"
        "request_seconds_bucket{verb=\"GET\",le=\"0.1\"} 0\n"
        "request_seconds_bucket{verb=\"GET\",le=\"0.5\"} 1\n"
        "request_seconds_bucket{verb=\"GET\",le=\"1\"} 2\n"
        "request_seconds_bucket{verb=\"GET\",le=\"+Inf\"} 3\n"
        "request_seconds_sum{verb=\"GET\"} 4\n"
        "request_seconds_count{verb=\"GET\"} 3\n");
}

TEST_CASE("metrics: an unlabelled histogram renders le as its only label", "[metrics]") {
  Registry registry;
  registry.histogram("x_seconds", "X", {}, {1}).with({}).observe(0.5);
  CHECK(registry.render() ==
        "# HELP x_seconds X\n"
        "# TYPE x_seconds histogram\n"
        "x_seconds_bucket{le=\"1\"} 1\n"
        "x_seconds_bucket{le=\"+Inf\"} 1\n"
        "x_seconds_sum 0.5\n"
        "x_seconds_count 1\n");
}

TEST_CASE("metrics: controller-runtime's buckets", "[metrics]") {
  CHECK(workqueue_duration_buckets() == exponential_buckets(1e-8, 10, 10));
  const auto reconcile = reconcile_time_buckets();
  REQUIRE(reconcile.size() == 40);
  CHECK(reconcile.front() == 0.005);
  CHECK(reconcile.back() == 60);

  Registry registry;
  registry.histogram("workqueue_queue_duration_seconds", "h", {}, workqueue_duration_buckets()).with({});
  const auto text = registry.render();
  for (const char* le : {"1e-08", "1e-07", "1e-06", "1e-05", "0.0001", "0.001", "0.01", "0.1", "1", "10", "+Inf"}) {
    INFO(le);
    CHECK(text.find(std::string("workqueue_queue_duration_seconds_bucket{le=\"") + le + "\"} 0\n") !=
          std::string::npos);
  }
}

TEST_CASE("metrics: values are formatted as the Go client formats them", "[metrics]") {
  CHECK(format_value(0) == "0");
  CHECK(format_value(1) == "1");
  CHECK(format_value(-2) == "-2");
  CHECK(format_value(0.005) == "0.005");
  CHECK(format_value(0.0001) == "0.0001");
  CHECK(format_value(1e-5) == "1e-05");
  CHECK(format_value(100000) == "100000");
  CHECK(format_value(1e6) == "1e+06");
  CHECK(format_value(1234567) == "1.234567e+06");
  CHECK(format_value(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(format_value(-std::numeric_limits<double>::infinity()) == "-Inf");
  CHECK(format_value(std::numeric_limits<double>::quiet_NaN()) == "NaN");
}

TEST_CASE("metrics: registering a name again returns the same family unless it disagrees", "[metrics]") {
  Registry registry;
  auto& first = registry.counter("adds_total", "Adds", {"name"});
  auto& again = registry.counter("adds_total", "Adds", {"name"});
  CHECK(&first == &again);
  CHECK_THROWS_AS(registry.gauge("adds_total", "Adds", {"name"}), std::invalid_argument);
  CHECK_THROWS_AS(registry.counter("adds_total", "Adds", {"queue"}), std::invalid_argument);
  CHECK_THROWS_AS(registry.gauge_callback("adds_total", "Adds", {"name"}), std::invalid_argument);

  auto& h = registry.histogram("h_seconds", "H", {}, {1, 2});
  CHECK(&registry.histogram("h_seconds", "H", {}, {1, 2}) == &h);
  CHECK_THROWS_AS(registry.histogram("h_seconds", "H", {}, {1, 3}), std::invalid_argument);
}

TEST_CASE("metrics: invalid names, labels and buckets are rejected", "[metrics]") {
  Registry registry;
  CHECK_THROWS_AS(registry.counter("1abc", "x"), std::invalid_argument);
  CHECK_THROWS_AS(registry.counter("a-b", "x"), std::invalid_argument);
  CHECK_THROWS_AS(registry.counter("ok_total", "x", {"__reserved"}), std::invalid_argument);
  CHECK_THROWS_AS(registry.counter("ok2_total", "x", {"a", "a"}), std::invalid_argument);
  CHECK_THROWS_AS(registry.histogram("h1", "x", {"le"}, {1}), std::invalid_argument);
  CHECK_THROWS_AS(registry.histogram("h2", "x", {}, {2, 1}), std::invalid_argument);

  auto& family = registry.counter("c_total", "x", {"a", "b"});
  CHECK_THROWS_AS(family.with({{"a", "1"}}), std::invalid_argument);
  CHECK_THROWS_AS(family.with({{"a", "1"}, {"c", "2"}}), std::invalid_argument);
  CHECK_THROWS_AS(family.with({{"a", "1"}, {"a", "2"}}), std::invalid_argument);
}

TEST_CASE("metrics: removing a child drops its series", "[metrics]") {
  Registry registry;
  auto& family = registry.gauge("g", "G", {"controller"});
  family.with({{"controller", "a"}}).set(1);
  family.with({{"controller", "b"}}).set(2);
  family.remove({{"controller", "a"}});
  CHECK(registry.render() == "# HELP g G\n# TYPE g gauge\ng{controller=\"b\"} 2\n");
}

TEST_CASE("metrics: callback gauges are computed at scrape time and unregistered by their handle", "[metrics]") {
  Registry registry;
  auto& family = registry.gauge_callback("cache_objects", "Objects in the cache", {"kind"});
  double pods = 1;
  auto registration = family.set({{"kind", "Pod"}}, [&] { return pods; });
  CHECK(static_cast<bool>(registration));
  CHECK(registry.render() ==
        "# HELP cache_objects Objects in the cache\n"
        "# TYPE cache_objects gauge\n"
        "cache_objects{kind=\"Pod\"} 1\n");
  pods = 42;
  CHECK(registry.render().find("cache_objects{kind=\"Pod\"} 42\n") != std::string::npos);

  {
    // A callback that throws is skipped; the rest of the scrape survives.
    auto failing = family.set({{"kind", "Node"}}, []() -> double { throw std::runtime_error("boom"); });
    CHECK(registry.render().find("Node") == std::string::npos);
    CHECK(registry.render().find("cache_objects{kind=\"Pod\"} 42\n") != std::string::npos);
  }

  // A replaced callback's old handle must not unregister its successor.
  auto replacement = family.set({{"kind", "Pod"}}, [] { return 7.0; });
  registration.reset();
  CHECK(registry.render().find("cache_objects{kind=\"Pod\"} 7\n") != std::string::npos);

  replacement = kopp::metrics::CallbackRegistration{};
  CHECK(registry.render().empty());
}
