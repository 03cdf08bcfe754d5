// The reconciler itself, on kopp's in-memory cluster (kopp/testing/fake_cluster.hpp): the
// controller that main() builds runs in a Manager whose client talks to a FakeCluster, and
// each test drives the cluster as users and Kubernetes' own controllers would, then waits
// for the operator's answer. No API server, no network: each test takes milliseconds.
//
// The fake has no kube-controller-manager: where the operator waits for the Deployment
// controller (status), the test writes that status itself (play_deployment_controller).
#include <memcached/crd.hpp>
#include <memcached/reconciler.hpp>

#include <kopp/api/events/v1.hpp>
#include <kopp/client.hpp>
#include <kopp/testing/eventually.hpp>
#include <kopp/testing/fake_cluster.hpp>
#include <kopp/testing/manager_thread.hpp>
#include <kopp/testing/run.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <optional>
#include <string>
#include <vector>

using namespace memcached;
using boost::asio::awaitable;
using boost::beast::http::verb;
using kopp::testing::Fault;
using kopp::testing::RequestMatch;
using Event = kopp::api::events::v1::Event;

namespace {

// [doc:operator-on-fake-cluster] (docs/testing.md shows this)
/// The operator as main() builds it, running on a fake cluster with its CRD installed.
class OperatorOnFakeCluster {
 public:
  OperatorOnFakeCluster() {
    cluster.create(crd_definition());

    kopp::ManagerOptions options;
    options.transport = cluster.transport_factory();
    options.handle_signals = false;
    options.reporting_controller = std::string(reporting_controller);
    manager_ = std::make_unique<kopp::Manager>(kopp::testing::FakeCluster::config(), options);
    ReconcilerOptions reconciler;
    reconciler.operator_namespace = "default";
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

 private:
  std::unique_ptr<kopp::Manager> manager_;
  std::optional<kopp::testing::ManagerThread> running_;  // stops the manager before the cluster goes
};
// [/doc]

Memcached memcached_named(const std::string& name, std::int32_t size) {
  Memcached m;
  m.metadata.name = name;
  m.spec.size = size;
  return m;
}

/// What the Deployment controller would report once the replicas run.
awaitable<void> play_deployment_controller(kopp::Client& client, const std::string& name) {
  kopp::Api<Deployment> deployments(client, "default");
  const Deployment d = co_await deployments.get(name);
  const std::int32_t replicas = d.spec.replicas.value_or(1);
  boost::json::object status;
  status["observedGeneration"] = d.metadata.generation;
  status["replicas"] = replicas;
  status["readyReplicas"] = replicas;
  status["availableReplicas"] = replicas;
  boost::json::object body;
  body["status"] = std::move(status);
  const auto patch = kopp::Patch::merge(body);
  co_await deployments.patch_status(name, patch);
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

}  // namespace

TEST_CASE("a new Memcached gets its finalizer, Deployment, Service, inventory entry, status and Event",
          "[memcached][fake]") {
  OperatorOnFakeCluster op;
  struct Seen {
    Memcached memcached;
    Deployment deployment;
    Service service;
    std::string inventory;
    std::vector<std::string> events;
  };
  const Seen seen = op.with_client([&](kopp::Client& client) -> awaitable<Seen> {
    kopp::Api<Memcached> memcacheds(client, "default");
    const Memcached created = memcached_named("sessions", 2);
    co_await memcacheds.create(created);
    kopp::Api<Deployment> deployments(client, "default");
    kopp::Api<Service> services(client, "default");
    kopp::Api<ConfigMap> config_maps(client, "default");
    Seen s;
    auto has_deployment = [&]() -> awaitable<bool> {
      co_return (co_await deployments.get_opt("sessions")).has_value();
    };
    if (!co_await kopp::testing::eventually(has_deployment)) throw std::runtime_error("no Deployment");
    co_await play_deployment_controller(client, "sessions");
    s.memcached = co_await kopp::testing::wait_for_condition(memcacheds, "sessions", "Available");
    s.deployment = co_await deployments.get("sessions");
    s.service = co_await services.get("sessions");
    const ConfigMap inventory = co_await config_maps.get(std::string(inventory_configmap));
    s.inventory = inventory.data.count("default.sessions") ? inventory.data.at("default.sessions") : "<none>";
    auto created_event = [&]() -> awaitable<bool> {
      s.events = co_await event_reasons(client);
      co_return contains(s.events, "Normal Created");
    };
    co_await kopp::testing::eventually(created_event);
    co_return s;
  });
  CHECK(seen.memcached.metadata.finalizers == std::vector<std::string>{std::string(inventory_finalizer)});
  CHECK(seen.deployment.spec.replicas == 2);
  const auto* owner = kopp::find_controller_reference(seen.deployment.metadata);
  REQUIRE(owner != nullptr);
  CHECK(owner->uid == seen.memcached.metadata.uid);
  CHECK(seen.service.spec.ports.size() == 1);
  CHECK(seen.inventory == "sessions.default.svc:11211");
  REQUIRE(seen.memcached.status);
  CHECK(seen.memcached.status->readyReplicas == 2);
  CHECK(kopp::is_status_condition_false(seen.memcached.status->conditions, "Degraded"));
  CHECK(contains(seen.events, "Normal Created"));
  // The operator owns the fields it applied, under its own field manager.
  bool applied_by_operator = false;
  for (const auto& entry : seen.deployment.metadata.managedFields)
    if (entry.manager == operator_name && entry.operation == "Apply") applied_by_operator = true;
  CHECK(applied_by_operator);
}

TEST_CASE("resizing a Memcached scales its Deployment; a manual scale is taken back", "[memcached][fake]") {
  OperatorOnFakeCluster op;
  const auto replicas = op.with_client([&](kopp::Client& client) -> awaitable<std::vector<std::int32_t>> {
    kopp::Api<Memcached> memcacheds(client, "default");
    kopp::Api<Deployment> deployments(client, "default");
    const Memcached created = memcached_named("sessions", 1);
    co_await memcacheds.create(created);
    std::vector<std::int32_t> seen;
    auto has_replicas = [&](std::int32_t wanted) {
      return [&, wanted](const Deployment& d) { return d.spec.replicas.value_or(1) == wanted; };
    };
    const auto one = has_replicas(1);
    const Deployment first = co_await kopp::testing::wait_for(deployments, "sessions", one, "1 replica");
    seen.push_back(first.spec.replicas.value_or(1));

    boost::json::object resize;
    resize["spec"] = boost::json::object{{"size", 3}};
    const auto resize_patch = kopp::Patch::merge(resize);
    co_await memcacheds.patch("sessions", resize_patch);
    const auto three = has_replicas(3);
    const Deployment resized = co_await kopp::testing::wait_for(deployments, "sessions", three, "3 replicas");
    seen.push_back(resized.spec.replicas.value_or(1));

    // Someone scales the Deployment by hand (kubectl scale): the operator's forced apply
    // takes the field back.
    boost::json::object scale;
    scale["spec"] = boost::json::object{{"replicas", 7}};
    const auto scale_patch = kopp::Patch::merge(scale);
    const kopp::PatchParams by_hand("kubectl");
    const Deployment by_kubectl = co_await deployments.patch("sessions", scale_patch, by_hand);
    seen.push_back(by_kubectl.spec.replicas.value_or(1));
    const auto taken_back = three;  // read after the hand-made 7: the operator wrote 3 again
    const Deployment after = co_await kopp::testing::wait_for(deployments, "sessions", taken_back, "3 replicas again");
    seen.push_back(after.spec.replicas.value_or(1));
    co_return seen;
  });
  CHECK(replicas == std::vector<std::int32_t>{1, 3, 7, 3});
  const auto scaled = op.with_client([&](kopp::Client& client) -> awaitable<bool> {
    auto scaled_event = [&]() -> awaitable<bool> {
      co_return contains(co_await event_reasons(client), "Normal Scaled");
    };
    co_return co_await kopp::testing::eventually(scaled_event);
  });
  CHECK(scaled);
  // Three applies (create, resize, undo) and the hand-made patch at least; a reconcile with
  // nothing to change applies too, which the server answers without writing.
  CHECK(op.cluster.count(RequestMatch().verb(verb::patch).on("deployments", "sessions")) >= 4);
}

TEST_CASE("deleting a Memcached removes its inventory entry, then the finalizer; the Deployment is collected",
          "[memcached][fake]") {
  OperatorOnFakeCluster op;
  struct After {
    bool memcached_gone = false;
    std::string inventory;
    bool deployment_gone = false;
  };
  const After after = op.with_client([&](kopp::Client& client) -> awaitable<After> {
    kopp::Api<Memcached> memcacheds(client, "default");
    kopp::Api<ConfigMap> config_maps(client, "default");
    const Memcached created = memcached_named("sessions", 1);
    co_await memcacheds.create(created);
    auto recorded = [&](const ConfigMap& c) { return c.data.count("default.sessions") == 1; };
    co_await kopp::testing::wait_for(config_maps, std::string(inventory_configmap), recorded, "the entry");
    co_await memcacheds.delete_("sessions");
    After a;
    auto gone = [&]() -> awaitable<bool> { co_return !(co_await memcacheds.get_opt("sessions")).has_value(); };
    a.memcached_gone = co_await kopp::testing::eventually(gone);
    const ConfigMap inventory = co_await config_maps.get(std::string(inventory_configmap));
    a.inventory = boost::json::serialize(boost::json::value_from(inventory.data));
    kopp::Api<Deployment> deployments(client, "default");
    a.deployment_gone = !(co_await deployments.get_opt("sessions")).has_value();
    co_return a;
  });
  CHECK(after.memcached_gone);
  CHECK(after.inventory == "{}");
  CHECK(after.deployment_gone);
}

TEST_CASE("a conflict on the status write is retried until the status is written", "[memcached][fake]") {
  OperatorOnFakeCluster op;
  // The first status write of the Memcached conflicts, as when another writer got there first.
  op.cluster.inject(RequestMatch().verb(verb::patch).on("memcacheds", "sessions").sub("status"), Fault::status(409));
  const Memcached settled = op.with_client([&](kopp::Client& client) -> awaitable<Memcached> {
    kopp::Api<Memcached> memcacheds(client, "default");
    const Memcached created = memcached_named("sessions", 1);
    co_await memcacheds.create(created);
    co_return co_await kopp::testing::wait_for_condition(memcacheds, "sessions", "Degraded", "False");
  });
  REQUIRE(settled.status);
  CHECK(settled.status->conditions.size() == 3);
  const auto status_writes = RequestMatch().verb(verb::patch).on("memcacheds", "sessions").sub("status");
  CHECK(op.cluster.count(status_writes) >= 2);
  std::size_t faulted = 0;
  for (const auto& request : op.cluster.requests())
    if (request.faulted) ++faulted;
  CHECK(faulted == 1);
}

// [doc:failing-write]
TEST_CASE("a failing Deployment write marks the Memcached Degraded with a Warning, and recovers", "[memcached][fake]") {
  OperatorOnFakeCluster op;
  // Every apply of the Deployment fails (an admission webhook refusing it, say) until cleared.
  const auto refused = op.cluster.inject(RequestMatch().verb(verb::patch).on("deployments", "sessions"),
                                         Fault::status(500, "InternalError", "admission webhook failed"), 1, 1000000);
  struct Seen {
    Memcached degraded;
    std::vector<std::string> events;
    Memcached recovered;
  };
  Seen seen = op.with_client([&](kopp::Client& client) -> awaitable<Seen> {
    kopp::Api<Memcached> memcacheds(client, "default");
    const Memcached created = memcached_named("sessions", 1);
    co_await memcacheds.create(created);
    Seen s;
    s.degraded = co_await kopp::testing::wait_for_condition(memcacheds, "sessions", "Degraded", "True");
    auto warned = [&]() -> awaitable<bool> {
      s.events = co_await event_reasons(client);
      co_return contains(s.events, "Warning ReconcileFailed");
    };
    co_await kopp::testing::eventually(warned);
    co_return s;
  });
  REQUIRE(seen.degraded.status);
  const auto* degraded = kopp::find_status_condition(seen.degraded.status->conditions, "Degraded");
  REQUIRE(degraded != nullptr);
  CHECK(degraded->message.starts_with("could not apply the Deployment: "));
  // What the tenant reads names neither the server nor the webhook's own words.
  CHECK(degraded->message.find("admission webhook failed") == std::string::npos);
  CHECK(contains(seen.events, "Warning ReconcileFailed"));
  // [/doc]

  // The write succeeds again: the retry (with backoff) clears Degraded.
  op.cluster.clear_fault(refused);
  seen.recovered = op.with_client([&](kopp::Client& client) -> awaitable<Memcached> {
    kopp::Api<Memcached> memcacheds(client, "default");
    co_return co_await kopp::testing::wait_for_condition(memcacheds, "sessions", "Degraded", "False");
  });
  CHECK(seen.recovered.status);
}
