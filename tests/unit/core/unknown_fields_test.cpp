#include <kopp/core/int_or_string.hpp>
#include <kopp/core/json.hpp>
#include <kopp/core/object_meta.hpp>
#include <kopp/core/unknown_fields.hpp>

#include <boost/describe.hpp>
#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

// A deliberately partial model of apps/v1 Deployment: most fields are not declared.
namespace unknown_test {

struct Container {
  std::string name;
  std::string image;
  kopp::UnknownFields rest;
};
BOOST_DESCRIBE_STRUCT(Container, (), (name, image, rest))

struct PodSpec {
  std::vector<Container> containers;
  kopp::UnknownFields unknown_fields;
};
BOOST_DESCRIBE_STRUCT(PodSpec, (), (containers, unknown_fields))

struct PodTemplateSpec {
  kopp::ObjectMeta metadata;
  PodSpec spec;
};
BOOST_DESCRIBE_STRUCT(PodTemplateSpec, (), (metadata, spec))

struct RollingUpdate {
  std::optional<kopp::IntOrString> maxUnavailable;
  std::optional<kopp::IntOrString> maxSurge;
};
BOOST_DESCRIBE_STRUCT(RollingUpdate, (), (maxUnavailable, maxSurge))

struct Strategy {
  std::string type;
  std::optional<RollingUpdate> rollingUpdate;
};
BOOST_DESCRIBE_STRUCT(Strategy, (), (type, rollingUpdate))

struct DeploymentSpec {
  std::optional<std::int32_t> replicas;
  PodTemplateSpec template_;
  Strategy strategy;
  kopp::UnknownFields unknown_fields;
};
BOOST_DESCRIBE_STRUCT(DeploymentSpec, (), (replicas, template_, strategy, unknown_fields))

struct Deployment {
  std::string apiVersion;
  std::string kind;
  kopp::ObjectMeta metadata;
  DeploymentSpec spec;
  kopp::UnknownFields unknown_fields;  // receives status
};
BOOST_DESCRIBE_STRUCT(Deployment, (), (apiVersion, kind, metadata, spec, unknown_fields))

struct NoSink {
  std::string name;
};
BOOST_DESCRIBE_STRUCT(NoSink, (), (name))

// Null means absent, so two documents are semantically equal when they are equal after
// dropping null object members.
boost::json::value without_nulls(const boost::json::value& v) {
  if (v.is_object()) {
    boost::json::object out;
    for (const auto& kv : v.get_object())
      if (!kv.value().is_null()) out.emplace(kv.key(), without_nulls(kv.value()));
    return out;
  }
  if (v.is_array()) {
    boost::json::array out;
    for (const auto& e : v.get_array()) out.push_back(without_nulls(e));
    return out;
  }
  return v;
}

// What `kubectl get deployment web -o json` returns (abridged only in managedFields).
constexpr const char* deployment_json = R"({
  "apiVersion": "apps/v1",
  "kind": "Deployment",
  "metadata": {
    "annotations": {"deployment.kubernetes.io/revision": "3"},
    "creationTimestamp": "2026-11-20T08:15:02Z",
    "generation": 5,
    "labels": {"app": "web"},
    "managedFields": [
      {"apiVersion": "apps/v1", "fieldsType": "FieldsV1",
       "fieldsV1": {"f:spec": {"f:replicas": {}}}, "manager": "kubectl", "operation": "Update",
       "time": "2026-11-20T08:15:02Z"}
    ],
    "name": "web",
    "namespace": "default",
    "resourceVersion": "918273",
    "uid": "0b7d2a4e-4f3e-4c1b-9a4c-5c3f1f0e2d11"
  },
  "spec": {
    "progressDeadlineSeconds": 600,
    "replicas": 3,
    "revisionHistoryLimit": 10,
    "selector": {"matchLabels": {"app": "web"}},
    "strategy": {"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}, "type": "RollingUpdate"},
    "template": {
      "metadata": {"creationTimestamp": null, "labels": {"app": "web"}},
      "spec": {
        "containers": [
          {"image": "nginx:1.25", "imagePullPolicy": "IfNotPresent", "name": "nginx",
           "ports": [{"containerPort": 80, "protocol": "TCP"}],
           "resources": {"limits": {"cpu": "500m", "memory": "128Mi"}},
           "terminationMessagePath": "/dev/termination-log",
           "terminationMessagePolicy": "File"},
          {"image": "busybox", "name": "sidecar", "command": ["sh", "-c", "sleep inf"]}
        ],
        "dnsPolicy": "ClusterFirst",
        "restartPolicy": "Always",
        "schedulerName": "default-scheduler",
        "securityContext": {},
        "terminationGracePeriodSeconds": 30
      }
    }
  },
  "status": {
    "availableReplicas": 3,
    "conditions": [
      {"lastTransitionTime": "2026-11-20T08:15:10Z", "lastUpdateTime": "2026-11-20T08:15:10Z",
       "message": "Deployment has minimum availability.", "reason": "MinimumReplicasAvailable",
       "status": "True", "type": "Available"}
    ],
    "observedGeneration": 5,
    "readyReplicas": 3,
    "replicas": 3,
    "updatedReplicas": 3
  }
})";

}  // namespace unknown_test

using namespace unknown_test;

TEST_CASE("unknown fields survive a decode/encode round trip at every level", "[core][json][unknown]") {
  const boost::json::value input = boost::json::parse(deployment_json);
  const Deployment d = kopp::from_json<Deployment>(input);

  // Known members are decoded...
  CHECK(d.metadata.name == "web");
  CHECK(d.spec.replicas == 3);
  CHECK(d.spec.strategy.rollingUpdate->maxSurge == kopp::IntOrString("25%"));
  REQUIRE(d.spec.template_.spec.containers.size() == 2);
  CHECK(d.spec.template_.spec.containers[1].name == "sidecar");
  // ...and the rest is kept where it was found.
  CHECK(d.unknown_fields.size() == 1);
  CHECK(d.unknown_fields.find("status")->at("readyReplicas") == 3);
  CHECK(d.spec.unknown_fields.contains("selector"));
  CHECK(d.spec.unknown_fields.contains("progressDeadlineSeconds"));
  CHECK_FALSE(d.spec.unknown_fields.contains("replicas"));
  CHECK(d.spec.template_.spec.unknown_fields.contains("dnsPolicy"));
  CHECK(d.spec.template_.spec.unknown_fields.contains("securityContext"));
  CHECK(d.spec.template_.spec.containers[0].rest.find("resources")->at("limits").at("cpu") == "500m");
  CHECK(d.spec.template_.spec.containers[1].rest.find("command")->as_array().size() == 3);

  CHECK(kopp::to_json(d) == without_nulls(input));
  CHECK(boost::json::parse(kopp::to_json_string(d)) == without_nulls(input));
  CHECK(kopp::to_json(kopp::parse_json<Deployment>(deployment_json)) == without_nulls(input));
}

TEST_CASE("a read-modify-write keeps unknown fields", "[core][json][unknown]") {
  Deployment d = kopp::parse_json<Deployment>(deployment_json);
  d.spec.replicas = 5;
  d.spec.template_.spec.containers[0].image = "nginx:1.27";
  d.metadata.labels["tier"] = "frontend";

  const boost::json::value out = kopp::to_json(d);
  CHECK(out.at("spec").at("replicas") == 5);
  CHECK(out.at("spec").at("revisionHistoryLimit") == 10);
  CHECK(out.at("spec").at("template").at("spec").at("containers").at(0).at("image") == "nginx:1.27");
  CHECK(out.at("spec").at("template").at("spec").at("containers").at(0).at("imagePullPolicy") == "IfNotPresent");
  CHECK(out.at("metadata").at("labels").at("tier") == "frontend");
  CHECK(out.at("status").at("availableReplicas") == 3);
}

TEST_CASE("known members win over unknown fields with the same key", "[core][json][unknown]") {
  Container c;
  c.name = "real";
  c.rest.fields["name"] = "stale";
  c.rest.fields["extra"] = true;
  const boost::json::value out = kopp::to_json(c);
  CHECK(out.at("name") == "real");
  CHECK(out.at("extra") == true);
  CHECK(out.as_object().size() == 2);
}

TEST_CASE("without an UnknownFields member unknown keys are ignored", "[core][json][unknown]") {
  const NoSink n = kopp::from_json<NoSink>(boost::json::parse(R"({"name":"a","other":[1,2]})"));
  CHECK(n.name == "a");
  CHECK(kopp::to_json(n) == boost::json::parse(R"({"name":"a"})"));
}

// Boost.JSON 1.81 reads 9e999 as Infinity and would write it back as `Infinity`, which is
// not JSON: a kept unknown field would make the next update invalid (found by tests/fuzz).
TEST_CASE("a number beyond double's range is refused where it would be kept verbatim", "[core][json][unknown]") {
  try {
    (void)kopp::parse_json<unknown_test::PodSpec>(R"({"containers":[{"name":"a","rest":1,"x":[1,-9e999]}]})");
    FAIL("an infinite number was kept");
  } catch (const kopp::json_error& e) {
    CHECK(e.path() == "$.containers[0].x");
    CHECK_THAT(e.problem(), Catch::Contains("beyond the range of a double"));
  }
  CHECK_THROWS_AS(kopp::parse_json<unknown_test::PodSpec>(R"({"spec":{"deep":{"deeper":[9e999]}}})"), kopp::json_error);
  // Finite numbers pass, and the written JSON parses again.
  const auto spec = kopp::parse_json<unknown_test::PodSpec>(R"({"replicas":1e300,"ratio":0.25})");
  CHECK_NOTHROW(boost::json::parse(kopp::to_json_string(spec)));
}
