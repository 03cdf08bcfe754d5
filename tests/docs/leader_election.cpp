// docs/leader-election.md's example, compiled (tools/docs/snippets.py keeps the two equal).
#include <kopp/runtime/manager/leader_election.hpp>

void start_controllers();
void stop_controllers();

boost::asio::awaitable<void> elect(kopp::Client& client) {
  // clang-format off
  // [doc:elector]
  kopp::LeaderElectionOptions options;
  options.lease_name = "memcached-operator";
  options.lease_namespace = "operators";           // the operator's own namespace
  options.on_started_leading = [&] { start_controllers(); };
  options.on_stopped_leading = [&] { stop_controllers(); };  // or exit the process
  kopp::LeaderElector elector(client, options);
  co_await elector.run();   // returns when leadership is lost or after elector.stop()
  // [/doc]
  // clang-format on
}
