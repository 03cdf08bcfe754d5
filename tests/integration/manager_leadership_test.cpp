// What a Manager does when its leadership ends or it is told to stop, against the real
// kube-apiserver: a leader whose renewals hang stops reconciling the moment its renew
// deadline passes (not when the hung request gives up); a leader paused past its lease
// (SIGSTOP) starts no reconcile once it runs again, while the other replica leads; a stop()
// during an in-flight renewal still releases the Lease; a stop during the initial cache
// sync does not wait for the sync; a second SIGTERM exits at once.
#include "support/fault_proxy.hpp"
#include "support/integration.hpp"
#include "support/leader_child_process.hpp"

#include <kopp/runtime/manager/leader_election.hpp>
#include <kopp/runtime/manager/manager.hpp>

#include <boost/asio/co_spawn.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <thread>

using namespace kopp_test;
using boost::asio::awaitable;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::int64_t steady_ns(steady::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

/// Records when each reconcile started and keeps every object coming back every 20 ms, so
/// a leader reconciles continuously without touching the API server. Objects named "long"
/// wait a minute the first time (to be cancelled).
class StartRecorder : public kopp::Reconciler<ConfigMap> {
 public:
  std::mutex mutex;
  std::vector<steady::time_point> starts;
  std::atomic<int> cancelled{0};
  /// Also appends each start (steady clock, ns: CLOCK_MONOTONIC is system-wide) to this file.
  std::string starts_file;

  awaitable<kopp::Action> reconcile(std::shared_ptr<const ConfigMap> object, kopp::Context&) override {
    const auto now = steady::now();
    {
      std::lock_guard lock(mutex);
      starts.push_back(now);
    }
    if (!starts_file.empty()) {
      const std::string line = std::to_string(steady_ns(now)) + "\n";
      const int fd = ::open(starts_file.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0644);
      if (fd >= 0) {
        (void)!::write(fd, line.data(), line.size());
        ::close(fd);
      }
    }
    if (object->metadata.name == "long" && !long_started_.exchange(true)) {
      try {
        co_await sleep_for(60s);
      } catch (const boost::system::system_error& e) {
        if (e.code() == boost::asio::error::operation_aborted) ++cancelled;
        throw;
      }
    }
    co_return kopp::Action::requeue_after(20ms);
  }

  std::size_t starts_after(steady::time_point t) {
    std::lock_guard lock(mutex);
    return static_cast<std::size_t>(std::count_if(starts.begin(), starts.end(), [t](auto s) { return s >= t; }));
  }
  std::size_t total() {
    std::lock_guard lock(mutex);
    return starts.size();
  }

 private:
  std::atomic<bool> long_started_{false};
};

void create_configmaps(const std::string& ns, const std::vector<std::string>& names) {
  run<void>([&]() -> awaitable<void> {
    kopp::Client client(co_await boost::asio::this_coro::executor, admin_config());
    for (const auto& name : names) {
      ConfigMap cm;
      cm.metadata.name = name;
      cm.metadata.labels["test"] = "leadership";
      co_await kopp::Api<ConfigMap>(client, ns).create(cm);
    }
  });
}

void update_configmaps(const std::string& ns, const std::vector<std::string>& names) {
  run<void>([&]() -> awaitable<void> {
    kopp::Client client(co_await boost::asio::this_coro::executor, admin_config());
    kopp::Api<ConfigMap> api(client, ns);
    for (const auto& name : names) {
      auto cm = co_await api.get(name);
      cm.data["changed"] = "while the leader was frozen";
      co_await api.replace(cm);
    }
  });
}

/// The Lease's holder as the API server has it ("" when released or absent).
std::string lease_holder(const std::string& ns, const std::string& name) {
  return run<std::string>([&]() -> awaitable<std::string> {
    kopp::Client client(co_await boost::asio::this_coro::executor, admin_config());
    kopp::Api<kopp::api::coordination::v1::Lease> leases(client, ns);
    auto lease = co_await leases.get_opt(name);
    co_return lease ? lease->spec.holderIdentity.value_or("") : std::string();
  });
}

kopp::ManagerOptions fast_election(const std::string& ns, const std::string& lease) {
  kopp::ManagerOptions options;
  options.namespace_ = ns;
  options.leader_election = true;
  options.leader_election_id = lease;
  options.leader_election_namespace = ns;
  options.leader_election_lease_duration = 3s;
  options.leader_election_renew_deadline = 2s;
  options.leader_election_retry_period = 500ms;
  options.graceful_shutdown_timeout = 5s;
  options.threads = 2;
  return options;
}

}  // namespace

TEST_CASE("manager: a leader whose lease renewals hang starts no reconcile after its renew deadline", "[integration]") {
  TestNamespace ns("kopp-mgr-hang");
  create_configmaps(ns.name(), {"a", "b", "c", "long"});
  const kopp::Config admin = admin_config();
  FaultProxy proxy(admin);
  auto options = fast_election(ns.name(), "hang");
  options.handle_signals = false;
  kopp::Manager manager(proxy.route(admin), options);
  auto reconciler = std::make_shared<StartRecorder>();
  manager.controller<ConfigMap>("hang")
      .label_selector("test=leadership")
      .max_concurrent_reconciles(2)
      .build(reconciler);
  std::atomic<int> exit_code{-1};
  std::atomic<bool> returned{false};
  steady::time_point returned_at{};
  std::thread runner([&] {
    exit_code = manager.run();
    returned_at = steady::now();
    returned = true;
  });

  REQUIRE(eventually([&] { return reconciler->total() >= 20; }, 30s));
  // Everything to the API server hangs from now on; the last renewal succeeded before.
  const auto stalled_at = steady::now();
  proxy.stall();
  const auto renew_deadline = stalled_at + options.leader_election_renew_deadline;
  REQUIRE(eventually([&] { return returned.load(); }, 20s));
  runner.join();
  proxy.resume();

  CHECK(exit_code == 1);
  // The elector reports the loss at the renew deadline; nothing may start after it.
  CHECK(reconciler->starts_after(renew_deadline) == 0);
  CHECK(reconciler->cancelled.load() == 1);
  const double exit_after = std::chrono::duration<double>(returned_at - stalled_at).count();
  std::cout << "manager: renewals hung; run() returned " << exit_after << " s later (renew deadline 2 s)\n";
  CHECK(exit_after < 2.0 + 3.0);
}

TEST_CASE("manager: stop() during an in-flight renewal still releases the lease", "[integration]") {
  TestNamespace ns("kopp-le-release");
  const kopp::Config admin = admin_config();
  FaultProxy proxy(admin);
  run<void>([&]() -> awaitable<void> {
    auto executor = co_await boost::asio::this_coro::executor;
    kopp::Client client(executor, proxy.route(admin));
    kopp::LeaderElectionOptions options;
    options.lease_name = "release";
    options.lease_namespace = ns.name();
    options.identity = "releasing-leader";
    options.lease_duration = 6s;
    options.renew_deadline = 4s;
    options.retry_period = 1s;
    kopp::LeaderElector elector(client, options);
    std::atomic<bool> finished{false};
    boost::asio::co_spawn(executor, elector.run(), [&](std::exception_ptr) { finished = true; });
    const auto leading = [&] { return elector.is_leader(); };
    const bool led = co_await async_eventually(leading, 20s);
    REQUIRE(led);

    proxy.stall();
    co_await sleep_for(1500ms);  // a renewal (every retry_period) is now hanging
    elector.stop();
    co_await sleep_for(300ms);
    proxy.resume();  // well within the renew deadline: the renewal completes
    const auto done = [&] { return finished.load(); };
    const bool returned = co_await async_eventually(done, 10s);
    CHECK(returned);
  });
  CHECK(lease_holder(ns.name(), "release").empty());
}

TEST_CASE("manager: a stop during the initial cache sync returns at once", "[integration]") {
  TestNamespace ns("kopp-mgr-nosync");
  const kopp::Config admin = admin_config();
  FaultProxy proxy(admin);
  proxy.stall();  // the informers' LIST never answers
  kopp::ManagerOptions options;
  options.namespace_ = ns.name();
  options.handle_signals = false;
  kopp::Manager manager(proxy.route(admin), options);
  manager.controller<ConfigMap>("nosync").build(std::make_shared<StartRecorder>());
  std::atomic<int> exit_code{-1};
  std::thread runner([&] { exit_code = manager.run(); });
  std::this_thread::sleep_for(1s);
  CHECK_FALSE(manager.ready());
  const auto stop_at = steady::now();
  manager.request_stop();
  runner.join();
  const auto took = steady::now() - stop_at;
  proxy.resume();
  CHECK(exit_code == 0);
  CHECK(took < 3s);  // not cache_sync_timeout (120 s)
}

// Not run directly: a Manager process for the tests below (env KOPP_LEAD_CHILD_*).
TEST_CASE("manager leadership child process", "[.manager_leadership_child]") {
  const std::string ns = env_or_empty("KOPP_LEAD_CHILD_NAMESPACE");
  if (ns.empty()) return;
  const std::string dir = env_or_empty("KOPP_LEAD_CHILD_DIR");
  const std::string identity = env_or_empty("KOPP_LEAD_CHILD_IDENTITY");
  const bool block = env_or_empty("KOPP_LEAD_CHILD_BLOCK") == "1";
  auto options = fast_election(ns, "paused");
  if (block) {
    // A reconcile that blocks its thread ignores cancellation: only a second signal ends it.
    options.leader_election = false;
    options.graceful_shutdown_timeout = 60s;
    struct Blocking {
      std::string marker;
      awaitable<kopp::Action> reconcile(std::shared_ptr<const ConfigMap>, kopp::Context&) {
        std::ofstream(marker) << "started\n";
        std::this_thread::sleep_for(60s);
        co_return kopp::Action::done();
      }
    };
    kopp::Manager manager(admin_config(), options);
    manager.controller<ConfigMap>("blocking")
        .label_selector("test=leadership")
        .build(Blocking{dir + "/" + identity + ".started"});
    std::exit(manager.run());
  }
  kopp::Manager manager(admin_config(), options);
  auto reconciler = std::make_shared<StartRecorder>();
  reconciler->starts_file = dir + "/" + identity + ".starts";
  manager.controller<ConfigMap>("paused").label_selector("test=leadership").build(reconciler);
  std::exit(manager.run());
}

namespace {

constexpr const char* child_test_name = "manager leadership child process";

std::vector<std::int64_t> read_starts(const std::string& path) {
  std::vector<std::int64_t> out;
  std::ifstream in(path);
  std::int64_t v = 0;
  while (in >> v) out.push_back(v);
  return out;
}

std::string temp_dir() {
  char pattern[] = "/tmp/kopp-leadership-XXXXXX";
  const char* made = ::mkdtemp(pattern);
  REQUIRE(made != nullptr);
  return made;
}

}  // namespace

TEST_CASE("manager: a leader paused past its lease starts no reconcile when it runs again; it exits 1",
          "[integration]") {
  TestNamespace ns("kopp-mgr-paused");
  create_configmaps(ns.name(), {"a", "b", "c"});
  const std::string dir = temp_dir();
  auto env = [&](const std::string& identity) {
    return std::vector<std::string>{"KOPP_LEAD_CHILD_NAMESPACE=" + ns.name(), "KOPP_LEAD_CHILD_DIR=" + dir,
                                    "KOPP_LEAD_CHILD_IDENTITY=" + identity};
  };
  ChildProcess a(child_test_name, env("a"));
  ChildProcess b(child_test_name, env("b"));
  std::string leader;
  REQUIRE(eventually(
      [&] {
        if (!read_starts(dir + "/a.starts").empty())
          leader = "a";
        else if (!read_starts(dir + "/b.starts").empty())
          leader = "b";
        return !leader.empty();
      },
      60s));
  const std::string follower = leader == "a" ? "b" : "a";
  ChildProcess& leader_process = leader == "a" ? a : b;
  ChildProcess& follower_process = leader == "a" ? b : a;

  leader_process.signal(SIGSTOP);
  // Lease 3 s: the follower takes over while the leader is frozen.
  REQUIRE(eventually([&] { return !read_starts(dir + "/" + follower + ".starts").empty(); }, 20s));
  // Changes the frozen leader will read from its watch the moment it runs again: work that
  // is ready before its elector's timer has fired.
  update_configmaps(ns.name(), {"a", "b", "c"});
  std::this_thread::sleep_for(1s);
  const auto resumed_at = steady::now();
  leader_process.signal(SIGCONT);
  const auto status = leader_process.wait_for(15s);
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 1);
  const auto starts = read_starts(dir + "/" + leader + ".starts");
  const auto after =
      std::count_if(starts.begin(), starts.end(), [&](std::int64_t s) { return s >= steady_ns(resumed_at); });
  CHECK(after == 0);
  // The follower still leads and reconciles.
  const std::size_t follower_before = read_starts(dir + "/" + follower + ".starts").size();
  CHECK(eventually([&] { return read_starts(dir + "/" + follower + ".starts").size() > follower_before; }, 5s));
  follower_process.signal(SIGTERM);
  const auto follower_status = follower_process.wait_for(15s);
  REQUIRE(follower_status);
  CHECK(WIFEXITED(*follower_status));
  CHECK(WEXITSTATUS(*follower_status) == 0);
  std::filesystem::remove_all(dir);
}

TEST_CASE("manager: a second SIGTERM exits at once while a reconcile ignores the first", "[integration]") {
  TestNamespace ns("kopp-mgr-sigterm");
  create_configmaps(ns.name(), {"stuck"});
  const std::string dir = temp_dir();
  ChildProcess child(child_test_name, {"KOPP_LEAD_CHILD_NAMESPACE=" + ns.name(), "KOPP_LEAD_CHILD_DIR=" + dir,
                                       "KOPP_LEAD_CHILD_IDENTITY=blocking", "KOPP_LEAD_CHILD_BLOCK=1"});
  REQUIRE(eventually([&] { return std::filesystem::exists(dir + "/blocking.started"); }, 60s));
  child.signal(SIGTERM);
  CHECK_FALSE(child.wait_for(1s).has_value());  // the graceful stop waits for the blocked reconcile
  const auto second_at = steady::now();
  child.signal(SIGTERM);
  const auto status = child.wait_for(5s);
  REQUIRE(status);
  CHECK(steady::now() - second_at < 2s);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 1);
  std::filesystem::remove_all(dir);
}
