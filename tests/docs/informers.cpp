// docs/informers.md's example, compiled (tools/docs/snippets.py keeps the two equal).
#include <kopp/api/core/v1.hpp>
#include <kopp/runtime/cache/informer_factory.hpp>
#include <kopp/runtime/workqueue/workqueue.hpp>

#include <chrono>
#include <string>

using Pod = kopp::api::core::v1::Pod;

// clang-format off
// [doc:informer-factory]
boost::asio::awaitable<void> watch_pods(kopp::Client& client, kopp::WorkQueue<std::string>& queue) {
  kopp::InformerFactory informers(client);                       // one per process
  auto pods = informers.get<Pod>("default");                     // shared: one LIST+WATCH per key
  pods->add_handler(kopp::EventHandlers<Pod>()
      .on_add([&](const auto& pod) { queue.add(kopp::object_key(pod->metadata)); })
      .on_update([&](const auto& /*old*/, const auto& pod) { queue.add(kopp::object_key(pod->metadata)); })
      .on_delete([&](const auto& last) { queue.add(kopp::object_key(last->metadata)); }));
  informers.start();                                             // strands of the client's executor
  co_await informers.wait_for_sync(std::chrono::seconds(60));
  auto pod = pods->store().get("default/web-0");                 // std::shared_ptr<const Pod> or nullptr
}
// [/doc]
// clang-format on
