#include <kopp/runtime/workqueue/workqueue.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>

using namespace std::chrono_literals;

namespace {

struct Fixture {
  std::shared_ptr<kopp::ManualClock> clock = std::make_shared<kopp::ManualClock>();
  kopp::metrics::Registry registry;

  kopp::WorkQueueOptions options(std::string name) {
    kopp::WorkQueueOptions o;
    o.name = std::move(name);
    o.registry = &registry;
    o.clock = clock;
    return o;
  }

  bool has(const std::string& line) const {
    const auto text = registry.render();
    return text.find(line + "\n") != std::string::npos;
  }
};

}  // namespace

TEST_CASE("workqueue metrics: a queue without a name registers nothing", "[workqueue][metrics]") {
  Fixture f;
  kopp::WorkQueueOptions options;
  options.registry = &f.registry;
  kopp::WorkQueue<std::string> queue(options);
  queue.add("a");
  CHECK(f.registry.render().empty());
}

TEST_CASE("workqueue metrics: depth and adds count accepted adds, not duplicates", "[workqueue][metrics]") {
  Fixture f;
  kopp::WorkQueue<std::string> queue(f.options("memcached"));
  queue.add("ns/a");
  queue.add("ns/b");
  queue.add("ns/a");
  CHECK(f.has("workqueue_depth{name=\"memcached\",controller=\"memcached\"} 2"));
  CHECK(f.has("workqueue_adds_total{name=\"memcached\",controller=\"memcached\"} 2"));
  CHECK(f.registry.render().find("# TYPE workqueue_depth gauge\n") != std::string::npos);
  CHECK(f.registry.render().find("# TYPE workqueue_adds_total counter\n") != std::string::npos);

  REQUIRE(queue.try_get() == "ns/a");
  CHECK(f.has("workqueue_depth{name=\"memcached\",controller=\"memcached\"} 1"));
  // Re-added while processing: counted as an add and as depth, as in client-go.
  queue.add("ns/a");
  CHECK(f.has("workqueue_depth{name=\"memcached\",controller=\"memcached\"} 2"));
  CHECK(f.has("workqueue_adds_total{name=\"memcached\",controller=\"memcached\"} 3"));
}

TEST_CASE("workqueue metrics: queue and work durations land in their buckets", "[workqueue][metrics]") {
  Fixture f;
  kopp::WorkQueue<std::string> queue(f.options("q"));
  queue.add("ns/a");
  f.clock->advance(2s);  // waited 2s: above 1, below 10
  REQUIRE(queue.try_get() == "ns/a");
  f.clock->advance(50ms);  // worked 50ms: above 0.01, below 0.1
  queue.done("ns/a");

  const std::string q = "name=\"q\",controller=\"q\"";
  CHECK(f.has("workqueue_queue_duration_seconds_bucket{" + q + ",le=\"0.1\"} 0"));
  CHECK(f.has("workqueue_queue_duration_seconds_bucket{" + q + ",le=\"1\"} 0"));
  CHECK(f.has("workqueue_queue_duration_seconds_bucket{" + q + ",le=\"10\"} 1"));
  CHECK(f.has("workqueue_queue_duration_seconds_bucket{" + q + ",le=\"+Inf\"} 1"));
  CHECK(f.has("workqueue_queue_duration_seconds_sum{" + q + "} 2"));
  CHECK(f.has("workqueue_queue_duration_seconds_count{" + q + "} 1"));
  CHECK(f.has("workqueue_work_duration_seconds_bucket{" + q + ",le=\"0.01\"} 0"));
  CHECK(f.has("workqueue_work_duration_seconds_bucket{" + q + ",le=\"0.1\"} 1"));
  CHECK(f.has("workqueue_work_duration_seconds_sum{" + q + "} 0.05"));
  CHECK(f.has("workqueue_work_duration_seconds_count{" + q + "} 1"));
}

TEST_CASE("workqueue metrics: unfinished work and longest running processor (fake clock)", "[workqueue][metrics]") {
  Fixture f;
  kopp::WorkQueue<std::string> queue(f.options("q"));
  const std::string q = "{name=\"q\",controller=\"q\"}";
  queue.add("ns/a");
  queue.add("ns/b");
  CHECK(f.has("workqueue_unfinished_work_seconds" + q + " 0"));
  CHECK(f.has("workqueue_longest_running_processor_seconds" + q + " 0"));

  REQUIRE(queue.try_get() == "ns/a");
  f.clock->advance(3s);
  REQUIRE(queue.try_get() == "ns/b");
  f.clock->advance(1s);
  // a has run 4s, b 1s.
  CHECK(f.has("workqueue_unfinished_work_seconds" + q + " 5"));
  CHECK(f.has("workqueue_longest_running_processor_seconds" + q + " 4"));

  queue.done("ns/a");
  CHECK(f.has("workqueue_unfinished_work_seconds" + q + " 1"));
  CHECK(f.has("workqueue_longest_running_processor_seconds" + q + " 1"));
  queue.done("ns/b");
  CHECK(f.has("workqueue_unfinished_work_seconds" + q + " 0"));
}

TEST_CASE("workqueue metrics: every delayed or rate-limited add counts as a retry", "[workqueue][metrics]") {
  Fixture f;
  kopp::WorkQueue<std::string> queue(f.options("q"));
  queue.add_after("ns/a", 1s);
  queue.add_rate_limited("ns/b");
  queue.add("ns/c");
  CHECK(f.has("workqueue_retries_total{name=\"q\",controller=\"q\"} 2"));
  CHECK(f.has("workqueue_adds_total{name=\"q\",controller=\"q\"} 1"));
}

TEST_CASE("workqueue metrics: a destroyed queue's scrape-time gauges disappear", "[workqueue][metrics]") {
  Fixture f;
  {
    kopp::WorkQueue<std::string> queue(f.options("gone"));
    CHECK(f.registry.render().find("workqueue_unfinished_work_seconds{name=\"gone\"") != std::string::npos);
  }
  const auto text = f.registry.render();
  CHECK(text.find("workqueue_unfinished_work_seconds{") == std::string::npos);
  CHECK(text.find("workqueue_longest_running_processor_seconds{") == std::string::npos);
}

TEST_CASE("workqueue metrics: two queues share the families, one series each", "[workqueue][metrics]") {
  Fixture f;
  kopp::WorkQueue<std::string> a(f.options("a"));
  kopp::WorkQueue<std::string> b(f.options("b"));
  a.add("x");
  b.add("x");
  b.add("y");
  CHECK(f.has("workqueue_depth{name=\"a\",controller=\"a\"} 1"));
  CHECK(f.has("workqueue_depth{name=\"b\",controller=\"b\"} 2"));
}
