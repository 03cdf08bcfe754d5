// docs/events.md's example, compiled (tools/docs/snippets.py keeps the two equal).
#include <kopp/api/core/v1.hpp>
#include <kopp/runtime/manager/events.hpp>

#include <string>

boost::asio::awaitable<void> record(kopp::Client& client, const kopp::api::core::v1::ConfigMap& memcached,
                                    std::string why) {
  // clang-format off
  // [doc:recorder]
  kopp::EventRecorderOptions options;
  options.reporting_controller = "example.com/memcached-operator";  // required, a qualified name
  kopp::EventRecorder recorder(client, options);

  // In a reconcile: fire and forget, never throws, never waits for the network.
  recorder.post(memcached, kopp::EventType::normal, "Scaled", "Scale", "scaled to 3 replicas");
  // Or wait for the write and see its errors:
  co_await recorder.publish(memcached, kopp::EventType::warning, "ProvisionFailed", "Provision", why);

  co_await recorder.close();   // on shutdown: write counted repeats
  // [/doc]
  // clang-format on
}
