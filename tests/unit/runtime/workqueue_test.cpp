#include <kopp/runtime/workqueue/workqueue.hpp>
#include <kopp/testing/run.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Queue = kopp::WorkQueue<std::string>;

namespace {

kopp::WorkQueueOptions with_clock(std::shared_ptr<kopp::Clock> clock) {
  kopp::WorkQueueOptions options;
  options.clock = std::move(clock);
  return options;
}

}  // namespace

TEST_CASE("workqueue: an item added twice before it is taken is handed out once", "[workqueue]") {
  Queue queue;
  queue.add("ns/a");
  queue.add("ns/b");
  queue.add("ns/a");
  CHECK(queue.len() == 2);
  CHECK(queue.try_get() == "ns/a");
  CHECK(queue.try_get() == "ns/b");
  CHECK(queue.try_get() == std::nullopt);
}

TEST_CASE("workqueue: items are handed out in order of first add", "[workqueue]") {
  Queue queue;
  for (const char* key : {"c", "a", "b", "a", "c"}) queue.add(key);
  CHECK(queue.try_get() == "c");
  CHECK(queue.try_get() == "a");
  CHECK(queue.try_get() == "b");
}

TEST_CASE("workqueue: an item re-added while processing is held back until done", "[workqueue]") {
  Queue queue;
  queue.add("ns/a");
  const auto taken = queue.try_get();
  REQUIRE(taken == "ns/a");

  queue.add("ns/a");
  queue.add("ns/a");
  // Not handed to a second worker while the first still holds it.
  CHECK(queue.len() == 0);
  CHECK(queue.try_get() == std::nullopt);

  queue.done("ns/a");
  CHECK(queue.len() == 1);
  CHECK(queue.try_get() == "ns/a");
  queue.done("ns/a");
  CHECK(queue.try_get() == std::nullopt);
}

TEST_CASE("workqueue: done without a re-add does not queue the item again", "[workqueue]") {
  Queue queue;
  queue.add("ns/a");
  REQUIRE(queue.try_get() == "ns/a");
  queue.done("ns/a");
  CHECK(queue.len() == 0);
  // A stray done() for an item nobody holds must not create a duplicate either.
  queue.add("ns/b");
  queue.done("ns/b");
  CHECK(queue.len() == 1);
  CHECK(queue.try_get() == "ns/b");
  CHECK(queue.try_get() == std::nullopt);
}

TEST_CASE("workqueue: a waiting item is not starved by a burst of 10k new adds", "[workqueue]") {
  Queue queue;
  queue.add("ns/waiting");
  for (int i = 0; i < 10'000; ++i) {
    queue.add("ns/burst-" + std::to_string(i));
    // Re-adding the waiting item during the burst keeps its place instead of moving it back.
    if (i % 1000 == 0) queue.add("ns/waiting");
  }
  CHECK(queue.len() == 10'001);
  CHECK(queue.try_get() == "ns/waiting");
  CHECK(queue.try_get() == "ns/burst-0");
}

TEST_CASE("workqueue: a waiting coroutine is not starved by a burst of 10k new adds", "[workqueue]") {
  asio::io_context io;
  Queue queue(io.get_executor());
  std::optional<std::string> first;
  asio::co_spawn(
      io, [&]() -> asio::awaitable<void> { first = co_await queue.get(); }, asio::detached);
  io.poll();  // the worker is now suspended in get()
  REQUIRE_FALSE(first.has_value());
  queue.add("ns/waiting");
  for (int i = 0; i < 10'000; ++i) queue.add("ns/burst-" + std::to_string(i));
  io.run();
  CHECK(first == "ns/waiting");
  CHECK(queue.len() == 10'000);
}

TEST_CASE("workqueue: shutdown drains queued items, then get returns nullopt", "[workqueue]") {
  asio::io_context io;
  Queue queue(io.get_executor());
  queue.add("ns/a");
  queue.add("ns/b");
  queue.shut_down();
  CHECK(queue.shutting_down());
  queue.add("ns/c");  // ignored
  queue.add_after("ns/d", 0ms);
  CHECK(queue.len() == 2);

  std::vector<std::optional<std::string>> got;
  kopp::testing::run(io, [&]() -> asio::awaitable<void> {
    for (int i = 0; i < 4; ++i) {
      auto item = co_await queue.get();
      got.push_back(item);
    }
  });
  CHECK(got == std::vector<std::optional<std::string>>{"ns/a", "ns/b", std::nullopt, std::nullopt});
}

TEST_CASE("workqueue: shut_down_now drops queued keys; a key re-added while processing is not queued again",
          "[workqueue]") {
  asio::io_context io;
  kopp::metrics::Registry registry;
  kopp::WorkQueueOptions options;
  options.name = "discard";
  options.registry = &registry;
  Queue queue(io.get_executor(), options);
  queue.add("ns/processing");
  const auto taken = queue.try_get();
  REQUIRE(taken == "ns/processing");
  queue.add("ns/processing");  // changed while processing: would run again after done()
  queue.add("ns/a");
  queue.add("ns/b");
  queue.shut_down_now();
  CHECK(queue.shutting_down());
  CHECK(queue.len() == 0);
  CHECK(registry.render().find("workqueue_depth{name=\"discard\",controller=\"discard\"} 0") != std::string::npos);
  queue.done("ns/processing");
  CHECK(queue.len() == 0);

  std::optional<std::string> got = "unset";
  kopp::testing::run(io, [&]() -> asio::awaitable<void> {
    auto item = co_await queue.get();
    got = item;
  });
  CHECK(got == std::nullopt);
}

TEST_CASE("workqueue: shutdown wakes waiting workers with nullopt", "[workqueue]") {
  asio::io_context io;
  Queue queue(io.get_executor());
  int woken = 0;
  for (int i = 0; i < 3; ++i) {
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          auto item = co_await queue.get();
          if (!item) ++woken;
        },
        asio::detached);
  }
  io.poll();
  CHECK(woken == 0);
  queue.shut_down();
  io.run();
  CHECK(woken == 3);
}

TEST_CASE("workqueue: get suspends until an item is added from another thread", "[workqueue]") {
  asio::io_context io;
  Queue queue(io.get_executor());
  std::optional<std::string> got;
  asio::co_spawn(
      io, [&]() -> asio::awaitable<void> { got = co_await queue.get(); }, asio::detached);
  std::thread producer([&] {
    std::this_thread::sleep_for(20ms);
    queue.add("ns/late");
  });
  io.run();  // returns once the worker has finished: it was resumed by the add
  producer.join();
  CHECK(got == "ns/late");
}

TEST_CASE("workqueue: add_after hands items out in order of their delays (fake clock)", "[workqueue]") {
  auto clock = std::make_shared<kopp::ManualClock>();
  Queue queue(with_clock(clock));
  queue.add_after("ns/c", 30ms);
  queue.add_after("ns/a", 10ms);
  queue.add_after("ns/b", 20ms);
  queue.add_after("ns/now", 0ms);  // no delay: queued at once
  CHECK(queue.len() == 1);
  CHECK(queue.try_get() == "ns/now");

  CHECK(queue.poll_delayed() == 0);
  clock->advance(10ms);
  CHECK(queue.poll_delayed() == 1);
  clock->advance(25ms);
  CHECK(queue.try_get() == "ns/a");
  CHECK(queue.try_get() == "ns/b");
  CHECK(queue.try_get() == "ns/c");
  CHECK(queue.try_get() == std::nullopt);
}

TEST_CASE("workqueue: add_after moves an item earlier but never later", "[workqueue]") {
  auto clock = std::make_shared<kopp::ManualClock>();
  Queue queue(with_clock(clock));
  queue.add_after("ns/a", 50ms);
  queue.add_after("ns/a", 100ms);  // later: ignored
  queue.add_after("ns/a", 20ms);   // earlier: wins
  clock->advance(20ms);
  CHECK(queue.poll_delayed() == 1);
  CHECK(queue.try_get() == "ns/a");
  queue.done("ns/a");
  // The superseded entries do not bring it back.
  clock->advance(200ms);
  CHECK(queue.poll_delayed() == 0);
  CHECK(queue.try_get() == std::nullopt);
}

TEST_CASE("workqueue: delayed items become ready through the executor's timer", "[workqueue]") {
  asio::io_context io;
  Queue queue(io.get_executor());
  std::vector<std::string> order;
  const auto start = std::chrono::steady_clock::now();
  queue.add_after("ns/second", 40ms);
  queue.add_after("ns/first", 20ms);
  kopp::testing::run(io, [&]() -> asio::awaitable<void> {
    for (int i = 0; i < 2; ++i) {
      auto item = co_await queue.get();
      order.push_back(item.value_or("<none>"));
    }
  });
  CHECK(std::chrono::steady_clock::now() - start >= 40ms);
  CHECK(order == std::vector<std::string>{"ns/first", "ns/second"});
}

TEST_CASE("workqueue: add_rate_limited backs off per item and forget resets it", "[workqueue]") {
  auto clock = std::make_shared<kopp::ManualClock>();
  Queue queue(with_clock(clock));

  queue.add_rate_limited("ns/a");
  CHECK(queue.num_requeues("ns/a") == 1);
  clock->advance(4ms);
  CHECK(queue.try_get() == std::nullopt);
  clock->advance(1ms);
  REQUIRE(queue.try_get() == "ns/a");
  queue.done("ns/a");

  queue.add_rate_limited("ns/a");  // second failure: 10ms
  CHECK(queue.num_requeues("ns/a") == 2);
  clock->advance(9ms);
  CHECK(queue.try_get() == std::nullopt);
  clock->advance(1ms);
  REQUIRE(queue.try_get() == "ns/a");
  queue.done("ns/a");

  queue.forget("ns/a");
  CHECK(queue.num_requeues("ns/a") == 0);
  queue.add_rate_limited("ns/a");
  clock->advance(5ms);
  CHECK(queue.try_get() == "ns/a");
}

TEST_CASE("workqueue: a custom rate limiter is used", "[workqueue]") {
  struct Fixed final : kopp::RateLimiter<std::string> {
    kopp::Clock::duration when(const std::string&) override {
      ++calls;
      return 1s;
    }
    void forget(const std::string&) override { forgotten = true; }
    int num_requeues(const std::string&) const override { return calls; }
    int calls = 0;
    bool forgotten = false;
  };
  auto clock = std::make_shared<kopp::ManualClock>();
  auto limiter = std::make_shared<Fixed>();
  Queue queue(with_clock(clock), limiter);
  queue.add_rate_limited("x");
  clock->advance(999ms);
  CHECK(queue.try_get() == std::nullopt);
  clock->advance(1ms);
  CHECK(queue.try_get() == "x");
  CHECK(queue.num_requeues("x") == 1);
  queue.forget("x");
  CHECK(limiter->forgotten);
}

TEST_CASE("workqueue: several workers on a multi-threaded io_context never process one item concurrently",
          "[workqueue]") {
  constexpr int threads = 4;
  constexpr int workers = 8;
  constexpr int keys = 16;
  constexpr int adds = 20'000;

  asio::io_context io(threads);
  Queue queue(io.get_executor());

  std::mutex mutex;
  std::set<std::string> in_flight;
  std::map<std::string, int> version;    // bumped before each add
  std::map<std::string, int> last_seen;  // version a worker saw when it took the item
  bool overlap = false;
  std::atomic<int> processed{0};
  std::atomic<int> readds_while_processing{0};

  for (int w = 0; w < workers; ++w) {
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          for (;;) {
            auto item = co_await queue.get();
            if (!item) co_return;
            {
              std::lock_guard lock(mutex);
              if (!in_flight.insert(*item).second) overlap = true;
              last_seen[*item] = version[*item];
            }
            // Hold the item across a suspension so other workers and the producer interleave.
            // (Two statements: GCC 12 mishandles temporaries inside nested co_await expressions.)
            auto executor = co_await asio::this_coro::executor;
            co_await asio::post(executor, asio::use_awaitable);
            {
              std::lock_guard lock(mutex);
              in_flight.erase(*item);
            }
            ++processed;
            queue.done(*item);
          }
        },
        asio::detached);
  }

  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back([&] { io.run(); });

  std::mt19937 rng(7);
  for (int i = 0; i < adds; ++i) {
    const std::string key = "ns/key-" + std::to_string(rng() % keys);
    {
      std::lock_guard lock(mutex);
      ++version[key];
      if (in_flight.contains(key)) ++readds_while_processing;
    }
    queue.add(key);
  }
  queue.shut_down();
  for (auto& t : pool) t.join();

  CHECK_FALSE(overlap);
  CHECK(processed > 0);
  INFO("re-adds while processing: " << readds_while_processing.load());
  // Every add was seen: the last processing of each key started after its last add.
  for (const auto& [key, v] : version) {
    INFO(key);
    CHECK(last_seen[key] == v);
  }
  CHECK(in_flight.empty());
}

TEST_CASE("workqueue: repeated suspended gets leave the queue intact (GCC 12 co_await temporary regression)",
          "[workqueue]") {
  // Each suspended get() once destroyed a temporary twice and released the queue's state.
  asio::io_context io;
  Queue queue(io.get_executor());
  std::vector<std::string> got;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        for (int i = 0; i < 5; ++i) {
          auto item = co_await queue.get();
          got.push_back(item.value_or("<none>"));
          queue.done(item.value_or(""));
        }
      },
      asio::detached);
  for (int i = 0; i < 5; ++i) {
    io.poll();  // the worker suspends in get()
    queue.add("ns/" + std::to_string(i));
  }
  io.run();
  CHECK(got == std::vector<std::string>{"ns/0", "ns/1", "ns/2", "ns/3", "ns/4"});
  queue.add("ns/after");
  CHECK(queue.len() == 1);
}
