// The generated models (include/kopp/api) with kopp's JSON mapping: what the generator's
// choices (required vs optional, keyword names, special types) mean for real objects.

#include <kopp/api/apiextensions/v1.hpp>
#include <kopp/api/apps/v1.hpp>
#include <kopp/api/autoscaling/v2.hpp>
#include <kopp/api/coordination/v1.hpp>
#include <kopp/api/core/v1.hpp>
#include <kopp/api/events/v1.hpp>
#include <kopp/api/meta/v1.hpp>
#include <kopp/api/rbac/v1.hpp>
#include <kopp/core/json.hpp>
#include <kopp/core/resource.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <type_traits>

namespace apps = kopp::api::apps::v1;
namespace core = kopp::api::core::v1;
namespace meta = kopp::api::meta::v1;

namespace {

// A Deployment as the API server returns it (defaults filled in, status, managedFields).
constexpr const char* deployment_json = R"({
  "apiVersion": "apps/v1",
  "kind": "Deployment",
  "metadata": {
    "name": "web", "namespace": "shop", "uid": "6f1c1b9e-3c2a-4a53-9f53-0b5a2d3c1e11",
    "resourceVersion": "4711", "generation": 3, "creationTimestamp": "2026-01-02T03:04:05Z",
    "labels": {"app": "web"}, "annotations": {"deployment.kubernetes.io/revision": "2"},
    "managedFields": [{"manager": "kubectl", "operation": "Update", "apiVersion": "apps/v1",
                       "time": "2026-01-02T03:04:05Z", "fieldsType": "FieldsV1",
                       "fieldsV1": {"f:spec": {"f:replicas": {}}}}]
  },
  "spec": {
    "replicas": 0,
    "selector": {"matchLabels": {"app": "web"},
                 "matchExpressions": [{"key": "tier", "operator": "In", "values": ["front"]}]},
    "template": {
      "metadata": {"labels": {"app": "web", "tier": "front"}},
      "spec": {
        "containers": [{
          "name": "nginx", "image": "nginx:1.27", "stdin": false,
          "ports": [{"containerPort": 80, "name": "http", "protocol": "TCP"}],
          "resources": {"limits": {"cpu": "500m", "memory": "128Mi"}, "requests": {"cpu": "0.25"}},
          "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http", "scheme": "HTTP"},
                            "periodSeconds": 10, "timeoutSeconds": 1, "successThreshold": 1,
                            "failureThreshold": 3},
          "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
          "imagePullPolicy": "IfNotPresent"
        }],
        "volumes": [{"name": "cache", "emptyDir": {}}],
        "restartPolicy": "Always", "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst",
        "securityContext": {}, "schedulerName": "default-scheduler"
      }
    },
    "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": 1}},
    "revisionHistoryLimit": 10,
    "progressDeadlineSeconds": 600
  },
  "status": {
    "observedGeneration": 3, "replicas": 2, "updatedReplicas": 2, "readyReplicas": 2,
    "availableReplicas": 2,
    "conditions": [{"type": "Available", "status": "True", "lastUpdateTime": "2026-01-02T03:04:09Z",
                    "lastTransitionTime": "2026-01-02T03:04:09Z", "reason": "MinimumReplicasAvailable",
                    "message": "Deployment has minimum availability."}]
  }
})";

}  // namespace

TEST_CASE("A Deployment decodes into the generated model and re-encodes unchanged", "[api]") {
  const boost::json::value in = boost::json::parse(deployment_json);
  const auto d = kopp::from_json<apps::Deployment>(in);

  CHECK(d.metadata.name == "web");
  REQUIRE(d.spec.replicas.has_value());
  CHECK(*d.spec.replicas == 0);  // zero, not absent
  CHECK(d.spec.selector.matchExpressions.at(0).operator_ == "In");
  const core::PodSpec& pod = d.spec.template_.spec;
  const core::Container& c = pod.containers.at(0);
  CHECK(c.name == "nginx");
  CHECK(c.image == "nginx:1.27");
  REQUIRE(c.stdin_.has_value());
  CHECK_FALSE(*c.stdin_);
  CHECK(c.ports.at(0).containerPort == 80);
  CHECK(c.livenessProbe->httpGet->port == kopp::IntOrString("http"));
  CHECK(c.resources.limits.at("cpu") == kopp::Quantity("0.5"));
  CHECK(c.resources.requests.at("cpu") == kopp::Quantity("250m"));
  CHECK(c.resources.limits.at("memory") > kopp::Quantity("128M"));
  REQUIRE(pod.volumes.at(0).emptyDir.has_value());
  CHECK(pod.securityContext.has_value());
  CHECK(d.spec.strategy.rollingUpdate->maxUnavailable->string_value() == "25%");
  CHECK(d.spec.strategy.rollingUpdate->maxSurge->int_value() == 1);
  CHECK(d.status.conditions.at(0).type == "Available");
  CHECK(d.status.conditions.at(0).lastTransitionTime.has_value());

  // Every field is known to the model ...
  CHECK(d.unknown_fields.empty());
  CHECK(d.spec.unknown_fields.empty());
  CHECK(c.unknown_fields.empty());
  // ... and nothing is lost or invented: `replicas: 0`, `stdin: false`, `emptyDir: {}` and
  // `securityContext: {}` survive, and quantities keep their spelling ("0.25").
  const boost::json::value out = kopp::to_json(d);
  CHECK(boost::json::serialize(out) == boost::json::serialize(kopp::to_json(kopp::from_json<apps::Deployment>(out))));
  CHECK(out == in);
}

TEST_CASE("Generated models: required members are plain, optional ones are std::optional", "[api]") {
  STATIC_REQUIRE(std::is_same_v<decltype(core::ServicePort::port), std::int32_t>);  // required
  STATIC_REQUIRE(std::is_same_v<decltype(core::ServicePort::nodePort), std::optional<std::int32_t>>);
  STATIC_REQUIRE(std::is_same_v<decltype(core::ServicePort::targetPort), std::optional<kopp::IntOrString>>);
  STATIC_REQUIRE(std::is_same_v<decltype(core::Container::name), std::string>);  // required
  STATIC_REQUIRE(std::is_same_v<decltype(core::Container::ports), std::vector<core::ContainerPort>>);
  // Go pointer strings stay optional ("" means something else than absent) ...
  STATIC_REQUIRE(
      std::is_same_v<decltype(core::PersistentVolumeClaimSpec::storageClassName), std::optional<std::string>>);
  // ... Go value strings are plain (omitted when empty, like Go's omitempty).
  STATIC_REQUIRE(std::is_same_v<decltype(core::ObjectReference::namespace_), std::string>);
  // Structs Go embeds by value are plain; pointers are optional.
  STATIC_REQUIRE(std::is_same_v<decltype(apps::Deployment::spec), apps::DeploymentSpec>);
  STATIC_REQUIRE(std::is_same_v<decltype(core::Container::resources), core::ResourceRequirements>);
  STATIC_REQUIRE(std::is_same_v<decltype(core::Volume::emptyDir), std::optional<core::EmptyDirVolumeSource>>);
  STATIC_REQUIRE(std::is_same_v<decltype(apps::DeploymentSpec::selector), meta::LabelSelector>);
  // Recursive or free-form schemas are arbitrary JSON.
  STATIC_REQUIRE(std::is_same_v<decltype(kopp::api::apiextensions::v1::CustomResourceValidation::openAPIV3Schema),
                                std::optional<kopp::RawJson>>);
  // meta/v1 re-exports the hand-written core types.
  STATIC_REQUIRE(std::is_same_v<meta::ObjectMeta, kopp::ObjectMeta>);
  STATIC_REQUIRE(std::is_same_v<meta::Time, kopp::Time>);

  const auto absent = kopp::from_json<core::ServicePort>(boost::json::parse(R"({"port":80})"));
  CHECK_FALSE(absent.nodePort.has_value());
  CHECK(kopp::to_json(absent) == boost::json::parse(R"({"port":80})"));
  const auto zero = kopp::from_json<core::ServicePort>(boost::json::parse(R"({"port":0,"nodePort":0})"));
  REQUIRE(zero.nodePort.has_value());
  CHECK(kopp::to_json(zero) == boost::json::parse(R"({"port":0,"nodePort":0})"));
}

TEST_CASE("Generated models: keyword and macro names get a trailing underscore", "[api]") {
  meta::LabelSelectorRequirement r;
  r.key = "tier";
  r.operator_ = "NotIn";
  r.values = {"back"};
  CHECK(kopp::to_json(r) == boost::json::parse(R"({"key":"tier","operator":"NotIn","values":["back"]})"));

  core::ContainerUser user;  // `linux` is a predefined macro under -std=gnu++20
  user.linux_.emplace().uid = 1000;
  CHECK(kopp::to_json(user) == boost::json::parse(R"({"linux":{"gid":0,"uid":1000}})"));

  const auto sel =
      kopp::from_json<core::NodeSelectorRequirement>(boost::json::parse(R"({"key":"zone","operator":"Exists"})"));
  CHECK(sel.operator_ == "Exists");
}

TEST_CASE("IntOrString in a Service port, Quantity in resources", "[api]") {
  core::Service svc;
  svc.metadata.name = "web";
  core::ServiceSpec& spec = svc.spec;
  core::ServicePort& http = spec.ports.emplace_back();
  http.name = "http";
  http.port = 80;
  http.targetPort = "web";
  core::ServicePort& metrics = spec.ports.emplace_back();
  metrics.port = 9090;
  metrics.targetPort = 9091;
  const boost::json::value j = kopp::to_json(svc);
  CHECK(j.at("spec").at("ports").at(0).at("targetPort") == "web");
  CHECK(j.at("spec").at("ports").at(1).at("targetPort") == 9091);
  const auto back = kopp::from_json<core::Service>(j);
  CHECK(back == svc);
  CHECK(back.spec.ports[1].targetPort->is_int());

  core::ResourceRequirements res;
  res.limits["memory"] = "1Gi";
  res.requests["memory"] = "1073741824";
  CHECK(res.limits["memory"] == res.requests["memory"]);
  CHECK(kopp::to_json(res) == boost::json::parse(R"({"limits":{"memory":"1Gi"},"requests":{"memory":"1073741824"}})"));
  CHECK_THROWS_AS(kopp::from_json<core::ResourceRequirements>(boost::json::parse(R"({"limits":{"cpu":"one"}})")),
                  kopp::json_error);
}

TEST_CASE("Generated kinds carry their resource traits", "[api]") {
  using traits = kopp::resource_traits<apps::Deployment>;
  STATIC_REQUIRE(kopp::Resource<apps::Deployment>);
  CHECK(traits::group == "apps");
  CHECK(traits::plural == "deployments");
  CHECK(traits::namespaced);
  STATIC_REQUIRE(kopp::Resource<core::Namespace>);
  CHECK_FALSE(kopp::resource_traits<core::Namespace>::namespaced);
  CHECK(kopp::resource_traits<core::ConfigMap>::group.empty());
  CHECK(kopp::resource_traits<kopp::api::rbac::v1::ClusterRole>::plural == "clusterroles");
  CHECK(kopp::resource_traits<kopp::api::autoscaling::v2::HorizontalPodAutoscaler>::version == "v2");
  CHECK(kopp::resource_traits<kopp::api::events::v1::Event>::group == "events.k8s.io");
  CHECK(kopp::api_version<kopp::api::coordination::v1::Lease>() == "coordination.k8s.io/v1");
}

TEST_CASE("Unknown fields of a newer server survive a generated model", "[api]") {
  const boost::json::value in =
      boost::json::parse(R"({"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"l"},)"
                         R"("spec":{"holderIdentity":"a","futureField":{"x":1}},"futureTop":true})");
  const auto lease = kopp::from_json<kopp::api::coordination::v1::Lease>(in);
  CHECK(lease.spec.unknown_fields.contains("futureField"));
  CHECK(lease.unknown_fields.contains("futureTop"));
  CHECK(kopp::to_json(lease) == in);
}
