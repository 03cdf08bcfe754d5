// docs/workqueue.md's examples, compiled (tools/docs/snippets.py keeps the two equal).
#include <kopp/api/core/v1.hpp>
#include <kopp/runtime/cache/store.hpp>
#include <kopp/runtime/telemetry/metrics.hpp>
#include <kopp/runtime/workqueue/workqueue.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <string>

namespace queue_example {

// clang-format off
// [doc:worker]
boost::asio::awaitable<void> worker(kopp::WorkQueue<std::string>& queue) {
  for (;;) {
    auto key = co_await queue.get();
    if (!key) co_return;                    // shut down and drained
    // ... reconcile *key ...
    // on success:  queue.forget(*key);
    // on error:    queue.add_rate_limited(*key);
    // on requeue_after(d): queue.forget(*key); queue.add_after(*key, d);
    queue.done(*key);
  }
}

void run_queue() {
  boost::asio::io_context io;
  kopp::WorkQueueOptions options;
  options.name = "memcached";               // labels the metrics; empty = no metrics
  kopp::WorkQueue<std::string> queue(io.get_executor(), options);
  boost::asio::co_spawn(io, worker(queue), boost::asio::detached);
  queue.add("default/sessions");
  queue.shut_down();                        // the worker drains the queue, then returns
  io.run();
}
// [/doc]
// clang-format on

}  // namespace queue_example

void export_metrics(const kopp::Store<kopp::api::core::v1::Pod>& store) {
  // clang-format off
  // [doc:metrics]
  auto& reconciles = kopp::metrics::Registry::global().counter(
      "controller_runtime_reconcile_total", "Total number of reconciliations per controller",
      {"controller", "result"});
  auto& ok = reconciles.with({{"controller", "memcached"}, {"result", "success"}});
  ok.inc();  // an atomic add; keep `ok` instead of looking it up each time

  auto& cache = kopp::metrics::Registry::global().gauge_callback("cache_objects", "...", {"kind"});
  auto registration = cache.set({{"kind", "Pod"}}, [&] { return double(store.size()); });
  // the callback is unregistered when `registration` is destroyed
  // [/doc]
  // clang-format on
}
