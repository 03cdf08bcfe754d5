// Two Managers in two processes with leader election, against the real kube-apiserver:
// exactly one reconciles; SIGKILL of the leader hands over within the lease duration; a
// SIGTERM'd leader exits 0 and hands over within seconds (it releases the Lease).
#include "support/integration.hpp"
#include "support/leader_child_process.hpp"

#include <kopp/runtime/manager/manager.hpp>

#include <boost/asio/steady_timer.hpp>

#include <cstdlib>
#include <iostream>
#include <set>
#include <thread>

using namespace kopp_test;
using boost::asio::awaitable;
using namespace std::chrono_literals;

namespace {

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

/// Records which process reconciled: creates the ConfigMap "reconciler-<identity>" (once).
class MarkingReconciler : public kopp::Reconciler<ConfigMap> {
 public:
  explicit MarkingReconciler(std::string identity) : identity_(std::move(identity)) {}

  awaitable<kopp::Action> reconcile(std::shared_ptr<const ConfigMap> object, kopp::Context& ctx) override {
    ConfigMap marker;
    marker.metadata.name = "reconciler-" + identity_;
    marker.data["last"] = object->metadata.name;
    kopp::Api<ConfigMap> api(ctx.client(), object->metadata.namespace_);
    try {
      co_await api.create(marker);
    } catch (const kopp::api_error& e) {
      if (!kopp::is_already_exists(e.code())) throw;
    }
    co_return kopp::Action::done();
  }

 private:
  std::string identity_;
};

constexpr const char* child_test_name = "manager failover child process";

std::vector<std::string> child_env(const std::string& ns, const std::string& identity) {
  return {"KOPP_MGR_CHILD_NAMESPACE=" + ns, "KOPP_MGR_CHILD_IDENTITY=" + identity};
}

/// The identities whose marker ConfigMaps exist in `ns`.
std::set<std::string> reconcilers_in(const std::string& ns) {
  return run<std::set<std::string>>([&]() -> awaitable<std::set<std::string>> {
    kopp::Client client(co_await boost::asio::this_coro::executor, admin_config());
    auto list = co_await kopp::Api<ConfigMap>(client, ns).list();
    std::set<std::string> out;
    for (const auto& cm : list.items)
      if (cm.metadata.name.starts_with("reconciler-")) out.insert(cm.metadata.name.substr(11));
    co_return out;
  });
}

void create_watched(const std::string& ns, const std::string& name) {
  run<void>([&]() -> awaitable<void> {
    kopp::Client client(co_await boost::asio::this_coro::executor, admin_config());
    ConfigMap cm;
    cm.metadata.name = name;
    cm.metadata.labels["test"] = "failover";
    co_await kopp::Api<ConfigMap>(client, ns).create(cm);
  });
}

/// Starts two manager processes "a" and "b"; returns once exactly one of them reconciled
/// and the other stayed idle for longer than a retry period.
std::string wait_for_single_leader(const std::string& ns) {
  create_watched(ns, "first");
  std::set<std::string> seen;
  REQUIRE(eventually([&] { return !(seen = reconcilers_in(ns)).empty(); }, 60s));
  std::this_thread::sleep_for(5s);  // both processes synced and tried the Lease several times
  seen = reconcilers_in(ns);
  REQUIRE(seen.size() == 1);
  return *seen.begin();
}

}  // namespace

// Not run directly: the child process of the tests below (env KOPP_MGR_CHILD_*).
TEST_CASE("manager failover child process", "[.manager_child]") {
  const std::string ns = env_or_empty("KOPP_MGR_CHILD_NAMESPACE");
  if (ns.empty()) return;
  const std::string identity = env_or_empty("KOPP_MGR_CHILD_IDENTITY");
  kopp::ManagerOptions options;
  options.namespace_ = ns;
  options.leader_election = true;
  options.leader_election_id = "kopp-failover-test";
  options.leader_election_namespace = ns;
  options.graceful_shutdown_timeout = 5s;
  kopp::Manager manager(admin_config(), options);
  manager.controller<ConfigMap>("failover")
      .label_selector("test=failover")
      .build(std::make_shared<MarkingReconciler>(identity));
  const int exit_code = manager.run();
  REQUIRE(exit_code == 0);
}

TEST_CASE("manager failover: one of two processes reconciles; SIGKILL hands over within the lease duration",
          "[integration]") {
  TestNamespace ns("kopp-failover-kill");
  ChildProcess a(child_test_name, child_env(ns.name(), "a"));
  ChildProcess b(child_test_name, child_env(ns.name(), "b"));
  const std::string leader = wait_for_single_leader(ns.name());
  const std::string follower = leader == "a" ? "b" : "a";
  ChildProcess& leader_process = leader == "a" ? a : b;

  const auto killed_at = std::chrono::steady_clock::now();
  leader_process.signal(SIGKILL);
  create_watched(ns.name(), "after-kill");
  // Lease 15 s + up to two jittered retry periods (2 s * 1.2) + sync.
  REQUIRE(eventually([&] { return reconcilers_in(ns.name()).contains(follower); }, 30s));
  const double takeover = std::chrono::duration<double>(std::chrono::steady_clock::now() - killed_at).count();
  std::cout << "manager failover: the follower reconciled " << takeover << " s after SIGKILL of the leader\n";
  CHECK(takeover > 15.0 - 2.0 - 0.5);  // not before the killed leader's lease could have expired
  CHECK(takeover < 25.0);

  const auto killed = leader_process.wait_for(5s);
  REQUIRE(killed);
  CHECK(WIFSIGNALED(*killed));
  ChildProcess& follower_process = leader == "a" ? b : a;
  follower_process.signal(SIGTERM);
  const auto status = follower_process.wait_for(20s);
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
}

TEST_CASE("manager failover: a SIGTERM'd leader exits 0 and the follower takes over within seconds", "[integration]") {
  TestNamespace ns("kopp-failover-term");
  ChildProcess a(child_test_name, child_env(ns.name(), "a"));
  ChildProcess b(child_test_name, child_env(ns.name(), "b"));
  const std::string leader = wait_for_single_leader(ns.name());
  const std::string follower = leader == "a" ? "b" : "a";
  ChildProcess& leader_process = leader == "a" ? a : b;
  ChildProcess& follower_process = leader == "a" ? b : a;

  const auto stopped_at = std::chrono::steady_clock::now();
  leader_process.signal(SIGTERM);
  const auto status = leader_process.wait_for(20s);
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
  // The new leader reconciles everything that exists on start: "first" makes it mark.
  REQUIRE(eventually([&] { return reconcilers_in(ns.name()).contains(follower); }, 20s));
  const double handover = std::chrono::duration<double>(std::chrono::steady_clock::now() - stopped_at).count();
  std::cout << "manager failover: graceful handover (SIGTERM) took " << handover << " s\n";
  CHECK(handover < 6.0);

  follower_process.signal(SIGTERM);
  const auto follower_status = follower_process.wait_for(20s);
  REQUIRE(follower_status);
  CHECK(WIFEXITED(*follower_status));
  CHECK(WEXITSTATUS(*follower_status) == 0);
}
