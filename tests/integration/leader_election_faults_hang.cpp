// Leader election when the API server stops answering (SIGSTOP of kube-apiserver: its
// sockets stay open, requests hang rather than fail). The leader must give up within its
// renew deadline — a hung renewal may not keep it "leading" while another process could
// take the Lease — and a new election must work once the server answers again.
// Runs alone (KOPP_EXCLUSIVE_INTEGRATION_TESTS in tests/integration/CMakeLists.txt): it
// freezes the shared API server.

#include "support/integration.hpp"

#include <kopp/runtime/manager/leader_election.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/parse.hpp>

#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

using kopp_test::async_eventually;
using kopp_test::sleep_for;

/// kube-apiserver's pid, from the control plane's state file.
pid_t apiserver_pid() {
  const char* dir = std::getenv("KOPP_CONTROLPLANE_DIR");
  REQUIRE(dir != nullptr);
  std::ifstream in(std::string(dir) + "/state.json");
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  const auto state = boost::json::parse(text.str());
  const auto pid = state.at("pids").at("kube-apiserver").to_number<pid_t>();
  REQUIRE(pid > 0);
  return pid;
}

/// Freezes a process for as long as it lives; resumes it even when a check fails.
class FrozenProcess {
 public:
  explicit FrozenProcess(pid_t pid) : pid_(pid) { REQUIRE(::kill(pid_, SIGSTOP) == 0); }
  ~FrozenProcess() { resume(); }
  FrozenProcess(const FrozenProcess&) = delete;
  FrozenProcess& operator=(const FrozenProcess&) = delete;
  void resume() {
    if (pid_ > 0) ::kill(pid_, SIGCONT);
    pid_ = 0;
  }

 private:
  pid_t pid_;
};

}  // namespace

TEST_CASE("leader election: a leader whose API server hangs steps down within the renew deadline", "[integration]") {
  kopp_test::TestNamespace ns("le-hang");
  kopp_test::run<void>([&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    kopp::Client client(ex, kopp_test::admin_config());

    std::atomic<int> started{0};
    std::atomic<int> stopped{0};
    clock_type::time_point stopped_at{};
    bool finished = false;
    kopp::LeaderElectionOptions options;
    options.lease_name = "hang";
    options.lease_namespace = ns.name();
    options.identity = "frozen-out";
    options.lease_duration = 6s;
    options.renew_deadline = 3s;
    options.retry_period = 500ms;
    options.on_started_leading = [&] { ++started; };
    options.on_stopped_leading = [&] {
      ++stopped;
      stopped_at = clock_type::now();
    };
    kopp::LeaderElector elector(client, options);
    const auto on_done = [&](std::exception_ptr) { finished = true; };
    asio::co_spawn(ex, elector.run(), on_done);

    const bool leading = co_await async_eventually([&] { return started.load() == 1; }, 20s);
    REQUIRE(leading);
    co_await sleep_for(1s);  // a few renewals
    REQUIRE(stopped.load() == 0);

    const auto frozen_at = clock_type::now();
    {
      FrozenProcess apiserver(apiserver_pid());
      const bool stepped_down = co_await async_eventually([&] { return stopped.load() == 1; }, 15s);
      apiserver.resume();
      REQUIRE(stepped_down);
    }
    const double after = std::chrono::duration<double>(stopped_at - frozen_at).count();
    std::cout << "leader election: stepped down " << after << " s after the API server froze (renew deadline 3 s)\n";
    // The deadline counts from the last successful renewal, at most one retry period
    // (plus jitter) before the freeze; a hung request must not extend it.
    CHECK(after > 3.0 - 0.5 * 1.5 - 0.3);
    CHECK(after < 3.0 + 1.0);
    CHECK_FALSE(elector.is_leader());
    const bool ended = co_await async_eventually([&] { return finished; }, 5s);
    CHECK(ended);

    // Once the server answers again, a new elector acquires the (expired) Lease.
    std::atomic<int> restarted{0};
    kopp::LeaderElectionOptions again = options;
    again.identity = "after-thaw";
    again.on_started_leading = [&] { ++restarted; };
    again.on_stopped_leading = nullptr;
    kopp::LeaderElector successor(client, again);
    bool successor_done = false;
    const auto on_successor_done = [&](std::exception_ptr) { successor_done = true; };
    asio::co_spawn(ex, successor.run(), on_successor_done);
    const bool reacquired = co_await async_eventually([&] { return restarted.load() == 1; }, 30s);
    CHECK(reacquired);
    successor.stop();
    const bool successor_stopped = co_await async_eventually([&] { return successor_done; }, 10s);
    CHECK(successor_stopped);
  });
}
