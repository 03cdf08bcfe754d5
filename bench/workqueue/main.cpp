// Measures kopp::WorkQueue throughput: one producer thread adds N distinct keys while W
// worker coroutines on a thread pool get() and done() them; also the single-threaded cost
// without Asio. Prints operations per second; there is no pass/fail.
//
//   bench_workqueue [items=1000000] [threads=hardware_concurrency]

#include <kopp/runtime/workqueue/workqueue.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;

namespace {

struct Result {
  double add_seconds;    // the producer's time to add every key
  double total_seconds;  // until every key was done
};

Result run(const std::vector<std::string>& keys, int workers, int threads, bool with_metrics) {
  asio::io_context io(threads);
  kopp::WorkQueueOptions options;
  kopp::metrics::Registry registry;
  if (with_metrics) {
    options.name = "bench";
    options.registry = &registry;
  }
  kopp::WorkQueue<std::string> queue(io.get_executor(), options);
  std::atomic<std::size_t> done{0};

  for (int w = 0; w < workers; ++w) {
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          for (;;) {
            auto item = co_await queue.get();
            if (!item) co_return;
            queue.done(*item);
            done.fetch_add(1, std::memory_order_relaxed);
          }
        },
        asio::detached);
  }

  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back([&] { io.run(); });

  const auto start = std::chrono::steady_clock::now();
  for (const auto& key : keys) queue.add(key);
  const auto added = std::chrono::steady_clock::now();
  while (done.load(std::memory_order_relaxed) < keys.size()) std::this_thread::yield();
  const auto finished = std::chrono::steady_clock::now();

  queue.shut_down();
  for (auto& t : pool) t.join();
  return {std::chrono::duration<double>(added - start).count(),
          std::chrono::duration<double>(finished - start).count()};
}

// One thread, no Asio: add every key, then try_get()+done() every key. The queue's own cost.
Result run_sans_io(const std::vector<std::string>& keys) {
  kopp::WorkQueue<std::string> queue;
  const auto start = std::chrono::steady_clock::now();
  for (const auto& key : keys) queue.add(key);
  const auto added = std::chrono::steady_clock::now();
  while (auto item = queue.try_get()) queue.done(*item);
  const auto finished = std::chrono::steady_clock::now();
  return {std::chrono::duration<double>(added - start).count(),
          std::chrono::duration<double>(finished - added).count()};
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t items = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
  const int threads =
      argc > 2 ? std::atoi(argv[2]) : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));

  std::vector<std::string> keys;
  keys.reserve(items);
  for (std::size_t i = 0; i < items; ++i)
    keys.push_back("namespace-" + std::to_string(i % 100) + "/object-" + std::to_string(i));

  std::printf("kopp::WorkQueue<std::string>: %zu distinct keys, 1 producer thread, io_context on %d thread(s)\n", items,
              threads);
  const auto sans_io = run_sans_io(keys);
  std::printf("sans-io, one thread: %.0f adds/s, %.0f try_get+done/s\n",
              static_cast<double>(items) / sans_io.add_seconds, static_cast<double>(items) / sans_io.total_seconds);
  // adds/s: the producer's rate; items/s: keys added, handed out and done, end to end.
  std::printf("%-8s %-8s %14s %14s\n", "workers", "metrics", "adds/s", "items/s");
  for (bool with_metrics : {false, true}) {
    for (int workers : {1, 8}) {
      const auto r = run(keys, workers, threads, with_metrics);
      std::printf("%-8d %-8s %14.0f %14.0f\n", workers, with_metrics ? "on" : "off",
                  static_cast<double>(items) / r.add_seconds, static_cast<double>(items) / r.total_seconds);
    }
  }
}
