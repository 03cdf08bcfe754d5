// The list and map types server-side apply merges by, built in and from a CRD's schema.
#include <kopp/testing/detail/list_types.hpp>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

using kopp::testing::detail::ListType;
using kopp::testing::detail::ListTypes;

TEST_CASE("built-in pod templates declare their list maps", "[testing][list_types]") {
  const auto deployment = ListTypes::builtin("apps/v1", "Deployment");
  const auto* containers = deployment.list_at("spec.template.spec.containers");
  REQUIRE(containers);
  CHECK(containers->type == ListType::kind::map);
  CHECK(containers->keys == std::vector<std::string>{"name"});
  const auto* ports = deployment.list_at("spec.template.spec.containers.ports");
  REQUIRE(ports);
  CHECK(ports->keys == std::vector<std::string>{"containerPort", "protocol"});
  CHECK(ports->key_defaults.at("protocol") == "TCP");
  CHECK(deployment.list_at("spec.template.spec.containers.env")->keys == std::vector<std::string>{"name"});
  CHECK(deployment.list_at("spec.template.spec.containers.volumeMounts")->keys ==
        std::vector<std::string>{"mountPath"});
  CHECK(deployment.list_at("spec.template.spec.volumes")->keys == std::vector<std::string>{"name"});
  CHECK(deployment.list_at("status.conditions")->keys == std::vector<std::string>{"type"});
  CHECK(deployment.atomic_map_at("spec.selector"));
  CHECK(deployment.list_at("spec.template.spec.containers.args") == nullptr);  // atomic

  const auto cron_job = ListTypes::builtin("batch/v1", "CronJob");
  CHECK(cron_job.list_at("spec.jobTemplate.spec.template.spec.containers"));
  CHECK(ListTypes::builtin("batch/v1", "Job").list_at("status.conditions") == nullptr);  // declared atomic
  CHECK(ListTypes::builtin("v1", "Service").list_at("spec.ports")->keys ==
        std::vector<std::string>{"port", "protocol"});
}

TEST_CASE("every kind knows ObjectMeta's finalizers set and ownerReferences map", "[testing][list_types]") {
  for (const auto& types :
       {ListTypes::builtin("v1", "ConfigMap"), ListTypes::builtin("coordination.k8s.io/v1", "Lease"),
        ListTypes::from_openapi_schema(boost::json::parse("{}"))}) {
    REQUIRE(types.list_at("metadata.finalizers"));
    CHECK(types.list_at("metadata.finalizers")->type == ListType::kind::set);
    CHECK(types.list_at("metadata.ownerReferences")->keys == std::vector<std::string>{"uid"});
    CHECK(types.atomic_map_at("metadata.ownerReferences"));
  }
}

TEST_CASE("a CRD schema's list and map types are read from its extensions", "[testing][list_types]") {
  const auto types = ListTypes::from_openapi_schema(boost::json::parse(R"({"type":"object","properties":{
    "spec":{"type":"object","properties":{
      "ports":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["port","protocol"],
        "items":{"type":"object","properties":{"port":{"type":"integer"},"protocol":{"type":"string","default":"TCP"},
          "tags":{"type":"array","x-kubernetes-list-type":"set","items":{"type":"string"}}}}},
      "selector":{"type":"object","x-kubernetes-map-type":"atomic"},
      "args":{"type":"array","items":{"type":"string"}}}}}})"));
  const auto* ports = types.list_at("spec.ports");
  REQUIRE(ports);
  CHECK(ports->type == ListType::kind::map);
  CHECK(ports->keys == std::vector<std::string>{"port", "protocol"});
  CHECK(ports->key_defaults.at("protocol") == "TCP");
  REQUIRE(types.list_at("spec.ports.tags"));
  CHECK(types.list_at("spec.ports.tags")->type == ListType::kind::set);
  CHECK(types.atomic_map_at("spec.selector"));
  CHECK(types.list_at("spec.args") == nullptr);
}
