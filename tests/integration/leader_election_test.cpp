// Leader election against the real API server: two electors on one Lease, graceful
// handover, takeover after a leader dies without releasing (SIGKILL of a child process).

#include "support/integration.hpp"
#include "support/leader_child_process.hpp"

#include <kopp/api/coordination/v1.hpp>
#include <kopp/runtime/manager/leader_election.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using kopp::api::coordination::v1::Lease;
using clock_type = std::chrono::steady_clock;

namespace {

using kopp_test::async_eventually;
using kopp_test::sleep_for;

struct Candidate {
  Candidate(kopp::Client& client, const std::string& ns, const std::string& lease, std::string id,
            kopp::LeaderElectionOptions base = kopp::LeaderElectionOptions()) {
    base.lease_name = lease;
    base.lease_namespace = ns;
    base.identity = std::move(id);
    base.on_started_leading = [this] {
      ++started;
      started_at = clock_type::now();
    };
    base.on_stopped_leading = [this] { ++stopped; };
    elector = std::make_unique<kopp::LeaderElector>(client, base);
  }
  void start(asio::any_io_executor ex) {
    asio::co_spawn(ex, elector->run(), [this](std::exception_ptr e) {
      error = e;
      finished = true;
    });
  }
  std::unique_ptr<kopp::LeaderElector> elector;
  std::atomic<int> started{0};
  std::atomic<int> stopped{0};
  clock_type::time_point started_at{};
  bool finished = false;
  std::exception_ptr error;
};

asio::awaitable<std::optional<Lease>> read_lease(kopp::Client& client, const std::string& ns, const std::string& name) {
  kopp::Api<Lease> leases(client, ns);
  co_return co_await leases.get_opt(name);
}

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

}  // namespace

TEST_CASE("leader election: two electors, one leader; a graceful stop hands over at once", "[leader_election]") {
  kopp_test::TestNamespace ns("le-two");
  kopp_test::run<void>([&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    kopp::Client client(ex, kopp_test::admin_config());
    Candidate a(client, ns.name(), "lock", "candidate-a");
    Candidate b(client, ns.name(), "lock", "candidate-b");
    a.start(ex);
    b.start(ex);

    const bool someone =
        co_await async_eventually([&] { return a.elector->is_leader() || b.elector->is_leader(); }, 10s);
    REQUIRE(someone);
    // For several renew periods exactly one leads, and the other keeps waiting.
    for (int i = 0; i < 50; ++i) {
      const bool la = a.elector->is_leader();
      const bool lb = b.elector->is_leader();
      REQUIRE(la != lb);
      co_await sleep_for(100ms);
    }
    Candidate& leader = a.elector->is_leader() ? a : b;
    Candidate& follower = a.elector->is_leader() ? b : a;
    CHECK(leader.started == 1);
    CHECK(follower.started == 0);

    std::optional<Lease> lease = co_await read_lease(client, ns.name(), "lock");
    REQUIRE(lease);
    CHECK(lease->spec.holderIdentity.value_or("") == leader.elector->identity());
    CHECK(lease->spec.leaseDurationSeconds.value_or(0) == 15);
    CHECK(lease->spec.leaseTransitions.value_or(-1) == 0);
    CHECK(lease->spec.renewTime.has_value());
    CHECK(follower.elector->leader() == leader.elector->identity());

    const auto stop_at = clock_type::now();
    leader.elector->stop();
    const bool handed_over = co_await async_eventually([&] { return follower.elector->is_leader(); }, 10s);
    REQUIRE(handed_over);
    const auto handover = std::chrono::duration<double>(follower.started_at - stop_at).count();
    std::cout << "leader election: graceful handover (in-process) took " << handover << " s\n";
    CHECK(handover < 5.0);
    const bool leader_done = co_await async_eventually([&] { return leader.finished; }, 5s);
    CHECK(leader_done);
    CHECK_FALSE(leader.error);
    CHECK(leader.stopped == 1);

    lease = co_await read_lease(client, ns.name(), "lock");
    REQUIRE(lease);
    CHECK(lease->spec.holderIdentity.value_or("") == follower.elector->identity());
    CHECK(lease->spec.leaseTransitions.value_or(-1) == 1);

    follower.elector->stop();
    const bool follower_done = co_await async_eventually([&] { return follower.finished; }, 5s);
    CHECK(follower_done);
    CHECK(follower.stopped == 1);
    // The last leader released the Lease on its way out.
    lease = co_await read_lease(client, ns.name(), "lock");
    REQUIRE(lease);
    CHECK(lease->spec.holderIdentity.value_or("") == "");
    CHECK(lease->spec.leaseDurationSeconds.value_or(0) == 1);
    CHECK(lease->spec.leaseTransitions.value_or(-1) == 1);
  });
}

TEST_CASE("leader election: a stolen lease deposes the leader", "[leader_election]") {
  kopp_test::TestNamespace ns("le-steal");
  kopp_test::run<void>([&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    kopp::Client client(ex, kopp_test::admin_config());
    kopp::LeaderElectionOptions fast;
    fast.lease_duration = 4s;
    fast.renew_deadline = 3s;
    fast.retry_period = 500ms;
    Candidate a(client, ns.name(), "lock", "candidate-a", fast);
    a.start(ex);
    const bool leads = co_await async_eventually([&] { return a.elector->is_leader(); }, 10s);
    REQUIRE(leads);

    // Someone else (a misbehaving tool) writes itself into the Lease.
    kopp::Api<Lease> leases(client, ns.name());
    Lease lease = co_await leases.get("lock");
    lease.spec.holderIdentity = "intruder";
    lease.spec.leaseDurationSeconds = 30;
    co_await leases.replace(lease);

    const bool deposed = co_await async_eventually([&] { return a.finished; }, 5s);
    REQUIRE(deposed);
    CHECK(a.stopped == 1);
    CHECK_FALSE(a.elector->is_leader());
    CHECK(a.elector->leader() == "intruder");
  });
}

// Not run directly: the child process of the tests below (env KOPP_LE_CHILD_*).
TEST_CASE("leader election child process", "[.leader_election_child]") {
  const std::string ns = env_or_empty("KOPP_LE_CHILD_NAMESPACE");
  if (ns.empty()) return;
  kopp_test::run<void>([&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    kopp::Client client(ex, kopp_test::admin_config());
    kopp::LeaderElectionOptions options;
    options.lease_name = env_or_empty("KOPP_LE_CHILD_LEASE");
    options.lease_namespace = ns;
    options.identity = env_or_empty("KOPP_LE_CHILD_IDENTITY");
    kopp::LeaderElector elector(client, options);
    asio::signal_set signals(ex, SIGTERM, SIGINT);
    signals.async_wait([&](const boost::system::error_code& ec, int) {
      if (!ec) elector.stop();
    });
    co_await elector.run();
    signals.cancel();
  });
}

namespace {

asio::awaitable<std::string> holder_of(kopp::Client& client, const std::string& ns, const std::string& name) {
  std::optional<Lease> lease = co_await read_lease(client, ns, name);
  co_return lease ? lease->spec.holderIdentity.value_or("") : std::string();
}

}  // namespace

TEST_CASE("leader election: a killed leader (SIGKILL) is replaced within the lease duration", "[leader_election]") {
  kopp_test::TestNamespace ns("le-kill");
  kopp_test::ChildProcess child(
      "leader election child process",
      {"KOPP_LE_CHILD_NAMESPACE=" + ns.name(), "KOPP_LE_CHILD_LEASE=lock", "KOPP_LE_CHILD_IDENTITY=child"});
  kopp_test::run<void>([&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    kopp::Client client(ex, kopp_test::admin_config());
    std::string holder;
    const auto until = clock_type::now() + 30s;
    while (holder != "child" && clock_type::now() < until) {
      holder = co_await holder_of(client, ns.name(), "lock");
      co_await sleep_for(100ms);
    }
    REQUIRE(holder == "child");

    Candidate parent(client, ns.name(), "lock", "parent");  // client-go's default timings
    parent.start(ex);
    co_await sleep_for(5s);
    REQUIRE_FALSE(parent.elector->is_leader());
    CHECK(parent.elector->leader() == "child");

    const auto killed_at = clock_type::now();
    child.signal(SIGKILL);
    const bool took_over = co_await async_eventually([&] { return parent.elector->is_leader(); }, 30s);
    REQUIRE(took_over);
    const double takeover = std::chrono::duration<double>(parent.started_at - killed_at).count();
    std::cout << "leader election: takeover after SIGKILL took " << takeover << " s (lease 15 s, retry 2 s)\n";
    // Not before the lease expired by the parent's observation, which cannot precede the
    // child's last renewal (at most one retry period before the kill). Not later than the
    // lease duration after the parent's last observation of a change (up to one jittered
    // retry, 3 s, after the kill) plus one more jittered retry, plus request latency.
    CHECK(takeover > 15.0 - 2.0 - 0.5);
    CHECK(takeover < 15.0 + 3.0 + 3.0 + 1.0);

    std::optional<Lease> lease = co_await read_lease(client, ns.name(), "lock");
    REQUIRE(lease);
    CHECK(lease->spec.holderIdentity.value_or("") == "parent");
    CHECK(lease->spec.leaseTransitions.value_or(-1) == 1);

    parent.elector->stop();
    const bool done = co_await async_eventually([&] { return parent.finished; }, 5s);
    CHECK(done);
  });
  const std::optional<int> status = child.wait_for(5s);
  REQUIRE(status);
  CHECK(WIFSIGNALED(*status));
}

TEST_CASE("leader election: a leader process stopped with SIGTERM hands over in seconds", "[leader_election]") {
  kopp_test::TestNamespace ns("le-term");
  kopp_test::ChildProcess child(
      "leader election child process",
      {"KOPP_LE_CHILD_NAMESPACE=" + ns.name(), "KOPP_LE_CHILD_LEASE=lock", "KOPP_LE_CHILD_IDENTITY=child"});
  kopp_test::run<void>([&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    kopp::Client client(ex, kopp_test::admin_config());
    std::string holder;
    const auto until = clock_type::now() + 30s;
    while (holder != "child" && clock_type::now() < until) {
      holder = co_await holder_of(client, ns.name(), "lock");
      co_await sleep_for(100ms);
    }
    REQUIRE(holder == "child");

    Candidate parent(client, ns.name(), "lock", "parent");
    parent.start(ex);
    co_await sleep_for(3s);
    REQUIRE_FALSE(parent.elector->is_leader());

    const auto term_at = clock_type::now();
    child.signal(SIGTERM);
    const bool took_over = co_await async_eventually([&] { return parent.elector->is_leader(); }, 20s);
    REQUIRE(took_over);
    const double handover = std::chrono::duration<double>(parent.started_at - term_at).count();
    std::cout << "leader election: graceful handover (SIGTERM to another process) took " << handover << " s\n";
    CHECK(handover < 5.0);

    std::optional<Lease> lease = co_await read_lease(client, ns.name(), "lock");
    REQUIRE(lease);
    CHECK(lease->spec.holderIdentity.value_or("") == "parent");
    CHECK(lease->spec.leaseTransitions.value_or(-1) == 1);
    parent.elector->stop();
    const bool done = co_await async_eventually([&] { return parent.finished; }, 5s);
    CHECK(done);
  });
  const std::optional<int> status = child.wait_for(10s);
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
}
