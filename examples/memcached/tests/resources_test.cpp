// The operator's decisions, without a server: desired objects, status, inventory, pod mapping.
#include <memcached/resources.hpp>

#include <kopp/client/api.hpp>

#include <catch2/catch.hpp>

using namespace memcached;
using kopp::condition_false;
using kopp::condition_true;

namespace {

Memcached sample(std::int32_t size = 3) {
  Memcached m;
  m.metadata.name = "sessions";
  m.metadata.namespace_ = "web";
  m.metadata.uid = "4c1f6a8e-0000-4000-8000-000000000001";
  m.metadata.generation = 4;
  m.spec.size = size;
  m.spec.image = "memcached:1.6.38-alpine";
  m.spec.port = 11211;
  return m;
}

Deployment deployment_status(std::int32_t replicas, std::int32_t available, std::int64_t observed = 1) {
  Deployment d;
  d.metadata.generation = 1;
  d.status.observedGeneration = observed;
  d.status.replicas = replicas;
  d.status.availableReplicas = available;
  d.status.readyReplicas = available;
  return d;
}

const kopp::Condition& get(const MemcachedStatus& s, std::string_view type) {
  const auto* c = kopp::find_status_condition(s.conditions, type);
  REQUIRE(c != nullptr);
  return *c;
}

std::shared_ptr<const kopp::PartialObjectMetadata> pod(std::string ns, std::string name,
                                                       std::map<std::string, std::string> labels,
                                                       bool deleting = false) {
  auto p = std::make_shared<kopp::PartialObjectMetadata>();
  p->metadata.namespace_ = std::move(ns);
  p->metadata.name = std::move(name);
  p->metadata.labels = std::move(labels);
  if (deleting) p->metadata.deletionTimestamp = kopp::Time::now();
  return p;
}

}  // namespace

TEST_CASE("the Deployment runs spec.size memcached pods controlled by the Memcached", "[memcached]") {
  const auto d = desired_deployment(sample(3));
  CHECK(d.metadata.name == "sessions");
  CHECK(d.metadata.namespace_ == "web");
  REQUIRE(d.spec.replicas.has_value());
  CHECK(*d.spec.replicas == 3);
  REQUIRE(d.metadata.ownerReferences.size() == 1);
  const auto& owner = d.metadata.ownerReferences[0];
  CHECK(owner.kind == "Memcached");
  CHECK(owner.apiVersion == "cache.example.com/v1alpha1");
  CHECK(owner.uid == "4c1f6a8e-0000-4000-8000-000000000001");
  CHECK(owner.controller == std::optional<bool>(true));

  const std::map<std::string, std::string> selector{{"app.kubernetes.io/name", "memcached"},
                                                    {"app.kubernetes.io/instance", "sessions"}};
  CHECK(d.spec.selector.matchLabels == selector);
  const auto& labels = d.spec.template_.metadata.labels;
  CHECK(labels.at("app.kubernetes.io/managed-by") == "memcached-operator");
  CHECK(labels.at("app.kubernetes.io/instance") == "sessions");
  CHECK(d.metadata.labels == labels);

  REQUIRE(d.spec.template_.spec.containers.size() == 1);
  const auto& c = d.spec.template_.spec.containers[0];
  CHECK(c.image == "memcached:1.6.38-alpine");
  REQUIRE(c.ports.size() == 1);
  CHECK(c.ports[0].containerPort == 11211);
  REQUIRE(c.livenessProbe.has_value());
  REQUIRE(c.livenessProbe->tcpSocket.has_value());
  CHECK(c.livenessProbe->tcpSocket->port == kopp::IntOrString("memcached"));
  REQUIRE(c.readinessProbe.has_value());
  CHECK(c.readinessProbe->tcpSocket.has_value());
  CHECK(c.resources.requests.count("memory") == 1);
  CHECK(c.resources.limits.at("memory") == kopp::Quantity("128Mi"));
  REQUIRE(c.securityContext.has_value());
  CHECK(c.securityContext->allowPrivilegeEscalation == std::optional<bool>(false));
  CHECK(c.securityContext->readOnlyRootFilesystem == std::optional<bool>(true));
  REQUIRE(c.securityContext->capabilities.has_value());
  CHECK(c.securityContext->capabilities->drop == std::vector<std::string>{"ALL"});
}

TEST_CASE("the apply intent names only the operator's fields", "[memcached]") {
  // Server-side apply takes ownership of every field sent: no status, no server-set metadata.
  const auto json = kopp::Api<Deployment>::encode(desired_deployment(sample()));
  CHECK(json.at("apiVersion") == "apps/v1");
  CHECK(json.at("kind") == "Deployment");
  CHECK_FALSE(json.contains("status"));
  const auto& meta = json.at("metadata").as_object();
  CHECK_FALSE(meta.contains("resourceVersion"));
  CHECK_FALSE(meta.contains("creationTimestamp"));
  CHECK_FALSE(json.at("spec").as_object().contains("strategy"));
}

TEST_CASE("a custom port reaches the container, its probes' target and the Service", "[memcached]") {
  auto m = sample();
  m.spec.port = 12345;
  m.spec.image.clear();  // made without the schema's defaulting
  const auto d = desired_deployment(m);
  const auto& c = d.spec.template_.spec.containers.at(0);
  CHECK(c.ports.at(0).containerPort == 12345);
  CHECK(std::find(c.args.begin(), c.args.end(), "--port=12345") != c.args.end());
  CHECK(c.image == std::string(v1alpha1::default_image));
  const auto s = desired_service(m);
  REQUIRE(s.spec.ports.size() == 1);
  CHECK(s.spec.ports[0].port == 12345);
  CHECK(s.spec.ports[0].targetPort == std::optional<kopp::IntOrString>(kopp::IntOrString("memcached")));
  CHECK(s.spec.selector == selector_labels(m));
  CHECK(s.metadata.ownerReferences.at(0).name == "sessions");
  CHECK(endpoint_of(m) == "sessions.web.svc:12345");
}

TEST_CASE("an object without a uid cannot own anything", "[memcached]") {
  auto m = sample();
  m.metadata.uid.clear();
  CHECK_THROWS_AS(desired_deployment(m), std::invalid_argument);
}

TEST_CASE("inventory keys are valid ConfigMap keys and unambiguous", "[memcached]") {
  CHECK(inventory_key(kopp::ObjectKey("web", "sessions")) == "web.sessions");
  CHECK(inventory_key(kopp::ObjectKey("web", "a.b")) == "web.a.b");  // the first '.' ends the namespace
}

TEST_CASE("status: Available only when every requested replica is available", "[memcached]") {
  const auto t0 = kopp::Time::parse("2026-11-27T10:00:00Z");
  const auto t1 = kopp::Time::parse("2026-11-27T10:05:00Z");
  const auto m = sample(3);

  Observed scaling;
  scaling.deployment = deployment_status(3, 1);
  scaling.pods = {"sessions-b", "sessions-a", "sessions-c"};
  const auto s1 = desired_status(m, scaling, t0);
  CHECK(get(s1, "Available").status == condition_false);
  CHECK(get(s1, "Available").message == "1/3 replicas available");
  CHECK(get(s1, "Progressing").status == condition_true);
  CHECK(get(s1, "Degraded").status == condition_false);
  for (const auto& c : s1.conditions) CHECK(c.observedGeneration == 4);
  CHECK(s1.nodes == std::vector<std::string>{"sessions-a", "sessions-b", "sessions-c"});
  CHECK(s1.readyReplicas == 1);

  auto m2 = m;
  m2.status = s1;
  Observed done;
  done.deployment = deployment_status(3, 3);
  done.pods = scaling.pods;
  const auto s2 = desired_status(m2, done, t1);
  CHECK(get(s2, "Available").status == condition_true);
  CHECK(get(s2, "Available").lastTransitionTime == t1);
  CHECK(get(s2, "Progressing").status == condition_false);
  // Degraded did not flip: its transition time stays.
  CHECK(get(s2, "Degraded").lastTransitionTime == t0);

  // Nothing changed: the same status, so the reconciler writes nothing.
  auto m3 = m;
  m3.status = s2;
  CHECK(desired_status(m3, done, t1) == s2);
}

TEST_CASE("status: counts from a Deployment that has not seen its new spec are not trusted", "[memcached]") {
  Observed stale;
  stale.deployment = deployment_status(3, 3, /*observed=*/0);  // generation 1 not observed yet
  const auto s = desired_status(sample(3), stale, kopp::Time::now());
  CHECK(get(s, "Available").status == condition_false);
}

TEST_CASE("status: a failed reconcile is Degraded with the error", "[memcached]") {
  Observed failed;
  failed.error = "deployments.apps is forbidden";
  const auto s = desired_status(sample(), failed, kopp::Time::now());
  CHECK(get(s, "Degraded").status == condition_true);
  CHECK(get(s, "Degraded").message == "deployments.apps is forbidden");
  CHECK(get(s, "Available").status == kopp::condition_unknown);
}

TEST_CASE("pods map back to their Memcached through the instance label", "[memcached]") {
  const auto mine = pod("web", "sessions-x", labels_for(sample()));
  CHECK(memcached_of_pod(*mine) == std::vector<kopp::ObjectKey>{kopp::ObjectKey("web", "sessions")});
  const auto foreign = pod("web", "other", {{"app.kubernetes.io/instance", "sessions"}});
  CHECK(memcached_of_pod(*foreign).empty());  // not managed by this operator

  const std::vector<std::shared_ptr<const kopp::PartialObjectMetadata>> candidates{
      pod("web", "sessions-b", labels_for(sample())),
      pod("web", "sessions-a", labels_for(sample())),
      pod("web", "sessions-gone", labels_for(sample()), /*deleting=*/true),
      pod("other", "sessions-z", labels_for(sample())),
      foreign,
  };
  CHECK(pod_names(sample(), candidates) == std::vector<std::string>{"sessions-a", "sessions-b"});
}
