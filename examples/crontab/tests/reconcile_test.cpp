// The reconciler itself, on kopp's in-memory cluster (kopp/testing/fake_cluster.hpp): the
// controller main() builds runs in a Manager whose client talks to a FakeCluster, with a
// wall clock the test sets. No API server, no waiting for a minute boundary.
//
// The fake has no Job controller: where a Job would finish, the test writes its status.
#include <crontab/crd.hpp>
#include <crontab/plan.hpp>
#include <crontab/reconciler.hpp>

#include <kopp/api/events/v1.hpp>
#include <kopp/client.hpp>
#include <kopp/testing/eventually.hpp>
#include <kopp/testing/fake_cluster.hpp>
#include <kopp/testing/manager_thread.hpp>
#include <kopp/testing/run.hpp>

#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

using namespace crontab;
using boost::asio::awaitable;
using boost::beast::http::verb;
using kopp::testing::Fault;
using kopp::testing::RequestMatch;
using Event = kopp::api::events::v1::Event;

namespace {

/// The operator as main() builds it, on a fake cluster with its CRD, and a wall clock 90 s
/// ahead of the real one: a CronTab created now has a run due at once.
class OperatorOnFakeCluster {
 public:
  OperatorOnFakeCluster()
      : clock(std::make_shared<ManualWallClock>(std::chrono::system_clock::now() + std::chrono::seconds(90))) {
    cluster.create(custom_resource_definition());

    kopp::ManagerOptions options;
    options.transport = cluster.transport_factory();
    options.handle_signals = false;
    options.reporting_controller = std::string(reporting_controller);
    manager_ = std::make_unique<kopp::Manager>(kopp::testing::FakeCluster::config(), options);
    ReconcilerOptions reconciler;
    reconciler.clock = clock;
    make_controller(*manager_, reconciler);
    running_.emplace(*manager_);
    if (!running_->wait_ready()) throw std::runtime_error("the manager did not become ready");
  }

  /// Runs `body` (a coroutine taking a kopp::Client&) with a client of its own.
  template <class Body>
  auto with_client(Body body) {
    return cluster.with_client(std::move(body));
  }

  kopp::testing::FakeCluster cluster;
  std::shared_ptr<ManualWallClock> clock;

 private:
  std::unique_ptr<kopp::Manager> manager_;
  std::optional<kopp::testing::ManagerThread> running_;  // stops the manager before the cluster goes
};

CronTab every_minute(const std::string& name) {
  CronTab c;
  c.metadata.name = name;
  c.spec.cronSpec = "* * * * *";
  c.spec.image = "busybox";
  return c;
}

awaitable<std::vector<Job>> jobs_of(kopp::Client& client, const std::string& crontab_name) {
  kopp::Api<Job> jobs(client, "default");
  const kopp::ListParams mine = kopp::ListParams().labels(std::string(crontab_label) + "=" + crontab_name);
  co_return (co_await jobs.list(mine)).items;
}

awaitable<std::vector<std::string>> event_reasons(kopp::Client& client) {
  kopp::Api<Event> events(client, "default");
  std::vector<std::string> reasons;
  for (const Event& e : (co_await events.list()).items) reasons.push_back(e.type + " " + e.reason);
  co_return reasons;
}

bool contains(const std::vector<std::string>& values, const std::string& wanted) {
  return std::find(values.begin(), values.end(), wanted) != values.end();
}

/// What the Job controller writes when a Job's pods succeeded.
awaitable<void> complete(kopp::Client& client, const std::string& job) {
  kopp::Api<Job> jobs(client, "default");
  const std::string now = kopp::Time::now().to_string();
  boost::json::object condition;
  condition["type"] = "Complete";
  condition["status"] = "True";
  condition["lastTransitionTime"] = now;
  boost::json::object status;
  status["conditions"] = boost::json::array{condition};
  status["completionTime"] = now;
  status["succeeded"] = 1;
  boost::json::object body;
  body["status"] = std::move(status);
  const auto patch = kopp::Patch::merge(body);
  co_await jobs.patch_status(job, patch);
}

}  // namespace

TEST_CASE("a due run creates its Job, controlled by the CronTab, and the status lists it", "[crontab][fake]") {
  OperatorOnFakeCluster op;
  struct Seen {
    CronTab crontab;
    std::vector<Job> jobs;
    std::vector<std::string> events;
  };
  const Seen seen = op.with_client([&](kopp::Client& client) -> awaitable<Seen> {
    kopp::Api<CronTab> crontabs(client, "default");
    const CronTab created = every_minute("nightly");
    co_await crontabs.create(created);
    Seen s;
    auto listed = [](const CronTab& c) { return c.status.active.size() == 1; };
    s.crontab = co_await kopp::testing::wait_for(crontabs, "nightly", listed, "one active Job");
    s.jobs = co_await jobs_of(client, "nightly");
    auto recorded = [&]() -> awaitable<bool> {
      s.events = co_await event_reasons(client);
      co_return contains(s.events, "Normal SuccessfulCreate");
    };
    co_await kopp::testing::eventually(recorded);
    co_return s;
  });
  REQUIRE(seen.jobs.size() == 1);
  const Job& job = seen.jobs[0];
  CHECK(job.metadata.name.starts_with("nightly-"));
  CHECK(kopp::is_controlled_by(job.metadata, seen.crontab.metadata.uid));
  CHECK(seen.crontab.status.active[0].name == job.metadata.name);
  CHECK(seen.crontab.status.lastScheduleTime.has_value());
  CHECK(contains(seen.events, "Normal SuccessfulCreate"));
}

TEST_CASE("a suspended CronTab starts nothing until it is resumed", "[crontab][fake]") {
  OperatorOnFakeCluster op;
  const auto counts = op.with_client([&](kopp::Client& client) -> awaitable<std::vector<std::size_t>> {
    kopp::Api<CronTab> crontabs(client, "default");
    CronTab created = every_minute("paused");
    created.spec.suspend = true;
    co_await crontabs.create(created);
    // The reconcile of the suspended CronTab writes its status (observedGeneration 1).
    auto observed = [](const CronTab& c) { return c.status.observedGeneration == 1; };
    co_await kopp::testing::wait_for(crontabs, "paused", observed, "observedGeneration 1");
    std::vector<std::size_t> seen;
    const std::vector<Job> before = co_await jobs_of(client, "paused");
    seen.push_back(before.size());
    boost::json::object resume;
    resume["spec"] = boost::json::object{{"suspend", false}};
    const auto patch = kopp::Patch::merge(resume);
    co_await crontabs.patch("paused", patch);
    auto started = [&]() -> awaitable<bool> { co_return (co_await jobs_of(client, "paused")).size() == 1; };
    co_await kopp::testing::eventually(started);
    const std::vector<Job> after = co_await jobs_of(client, "paused");
    seen.push_back(after.size());
    co_return seen;
  });
  CHECK(counts == std::vector<std::size_t>{0, 1});
}

TEST_CASE("a finished Job beyond the history limit is deleted", "[crontab][fake]") {
  OperatorOnFakeCluster op;
  const bool trimmed = op.with_client([&](kopp::Client& client) -> awaitable<bool> {
    kopp::Api<CronTab> crontabs(client, "default");
    CronTab created = every_minute("trimmed");
    created.spec.successfulJobsHistoryLimit = 0;
    co_await crontabs.create(created);
    auto one_job = [&]() -> awaitable<bool> { co_return (co_await jobs_of(client, "trimmed")).size() == 1; };
    if (!co_await kopp::testing::eventually(one_job)) throw std::runtime_error("no Job was started");
    const std::vector<Job> started = co_await jobs_of(client, "trimmed");
    co_await complete(client, started[0].metadata.name);  // the Job's change wakes the operator (owns<Job>)
    auto none = [&]() -> awaitable<bool> { co_return (co_await jobs_of(client, "trimmed")).empty(); };
    co_return co_await kopp::testing::eventually(none);
  });
  CHECK(trimmed);
}

TEST_CASE("deleting a CronTab garbage-collects its Jobs", "[crontab][fake]") {
  OperatorOnFakeCluster op;
  const auto left = op.with_client([&](kopp::Client& client) -> awaitable<std::size_t> {
    kopp::Api<CronTab> crontabs(client, "default");
    const CronTab created = every_minute("gone");
    co_await crontabs.create(created);
    auto one_job = [&]() -> awaitable<bool> { co_return (co_await jobs_of(client, "gone")).size() == 1; };
    if (!co_await kopp::testing::eventually(one_job)) throw std::runtime_error("no Job was started");
    co_await crontabs.delete_("gone");
    co_return (co_await jobs_of(client, "gone")).size();
  });
  CHECK(left == 0);
}

TEST_CASE("a failing Job create and a conflicting status write are retried", "[crontab][fake]") {
  OperatorOnFakeCluster op;
  op.cluster.inject(RequestMatch().verb(verb::post).on("jobs"), Fault::status(500, "InternalError", "etcd timeout"));
  op.cluster.inject(RequestMatch().verb(verb::patch).on("crontabs", "retried").sub("status"), Fault::status(409));
  const CronTab settled = op.with_client([&](kopp::Client& client) -> awaitable<CronTab> {
    kopp::Api<CronTab> crontabs(client, "default");
    const CronTab created = every_minute("retried");
    co_await crontabs.create(created);
    auto listed = [](const CronTab& c) { return c.status.active.size() == 1; };
    co_return co_await kopp::testing::wait_for(crontabs, "retried", listed, "one active Job");
  });
  CHECK(settled.status.active.size() == 1);
  // Each fault hit once; the retries then succeeded: one Job, created by the second POST.
  std::size_t faulted = 0;
  for (const auto& request : op.cluster.requests())
    if (request.faulted) ++faulted;
  CHECK(faulted == 2);
  CHECK(op.cluster.count(RequestMatch().verb(verb::post).on("jobs")) == 2);
}
