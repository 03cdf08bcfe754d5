// Strategic merge patch as the fake API server applies application/strategic-merge-patch+json.
#include <kopp/testing/detail/strategic_merge_patch.hpp>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <string>
#include <string_view>

namespace {

using kopp::testing::detail::apply_strategic_merge_patch;
using kopp::testing::detail::has_strategic_merge_strategy;
using kopp::testing::detail::PatchError;

boost::json::value J(std::string_view text) { return boost::json::parse(text); }

boost::json::value pod_patch(std::string_view document, std::string_view patch) {
  return apply_strategic_merge_patch(J(document), J(patch), "v1", "Pod");
}

PatchError patch_error(std::string_view document, std::string_view patch, std::string_view api_version = "v1",
                       std::string_view kind = "Pod") {
  try {
    apply_strategic_merge_patch(J(document), J(patch), api_version, kind);
  } catch (const PatchError& error) {
    return error;
  }
  FAIL("no PatchError for " << patch);
  throw;  // unreachable
}

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

constexpr std::string_view pod = R"({
  "metadata":{"name":"p","finalizers":["a","b"],"labels":{"app":"x","tier":"web"}},
  "spec":{"containers":[
    {"name":"web","image":"nginx:1","env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],
     "ports":[{"containerPort":80}]},
    {"name":"sidecar","image":"envoy"}],
   "tolerations":[{"key":"k1"}]}})";

}  // namespace

TEST_CASE("SMP merges containers by name and env by name", "[testing][strategic_merge_patch]") {
  const auto result = pod_patch(pod, R"({"spec":{"containers":[
      {"name":"web","image":"nginx:2","env":[{"name":"B","value":"3"},{"name":"C","value":"4"}]}]}})");
  const auto& containers = result.at("spec").at("containers").as_array();
  REQUIRE(containers.size() == 2);
  CHECK(containers[0].at("name") == "web");
  CHECK(containers[0].at("image") == "nginx:2");
  CHECK(containers[0].at("ports") == J(R"([{"containerPort":80}])"));
  // B merged in place, C new, A kept: A stays before B, where the live list had it
  CHECK(containers[0].at("env") ==
        J(R"([{"name":"A","value":"1"},{"name":"B","value":"3"},{"name":"C","value":"4"}])"));
  CHECK(containers[1] == J(R"({"name":"sidecar","image":"envoy"})"));
}

TEST_CASE("SMP: a new list element comes first, as in the kubectl patch documentation",
          "[testing][strategic_merge_patch]") {
  const auto result = pod_patch(pod, R"({"spec":{"containers":[{"name":"redis","image":"redis"}]}})");
  const auto& containers = result.at("spec").at("containers").as_array();
  REQUIRE(containers.size() == 3);
  CHECK(containers[0].at("name") == "redis");
  CHECK(containers[1].at("name") == "web");
  CHECK(containers[2].at("name") == "sidecar");
}

TEST_CASE("SMP: $patch delete removes a list element, $patch replace replaces the list",
          "[testing][strategic_merge_patch]") {
  auto deleted = pod_patch(pod, R"({"spec":{"containers":[{"name":"sidecar","$patch":"delete"}]}})");
  CHECK(deleted.at("spec").at("containers").as_array().size() == 1);
  CHECK(deleted.at("spec").at("containers").at(0).at("name") == "web");
  auto replaced = pod_patch(pod, R"({"spec":{"containers":[{"name":"only","image":"i"},{"$patch":"replace"}]}})");
  CHECK(replaced.at("spec").at("containers") == J(R"([{"name":"only","image":"i"}])"));
  auto map_replaced = pod_patch(pod, R"({"metadata":{"labels":{"$patch":"replace","new":"1"}}})");
  CHECK(map_replaced.at("metadata").at("labels") == J(R"({"new":"1"})"));
  auto map_deleted = pod_patch(pod, R"({"metadata":{"labels":{"$patch":"delete"}}})");
  CHECK(map_deleted.at("metadata").at("labels") == J("{}"));
}

TEST_CASE("SMP: null deletes a field; lists without a strategy are replaced", "[testing][strategic_merge_patch]") {
  auto result = pod_patch(pod, R"({"metadata":{"labels":{"tier":null}},"spec":{"tolerations":[{"key":"k2"}]}})");
  CHECK(result.at("metadata").at("labels") == J(R"({"app":"x"})"));
  CHECK(result.at("spec").at("tolerations") == J(R"([{"key":"k2"}])"));
  // a null inside a new value is dropped
  auto added = pod_patch(pod, R"({"spec":{"nodeSelector":{"a":"1","b":null}}})");
  CHECK(added.at("spec").at("nodeSelector") == J(R"({"a":"1"})"));
}

TEST_CASE("SMP: finalizers merge as a set; $deleteFromPrimitiveList removes", "[testing][strategic_merge_patch]") {
  auto result = pod_patch(pod, R"({"metadata":{"finalizers":["b","c"]}})");
  CHECK(result.at("metadata").at("finalizers") == J(R"(["a","b","c"])"));
  auto removed = pod_patch(pod, R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["a"]}})");
  CHECK(removed.at("metadata").at("finalizers") == J(R"(["b"])"));
  auto error = patch_error(pod, R"({"metadata":{"$deleteFromPrimitiveList":["a"]}})");
  CHECK(error.status() == 400);
  CHECK(contains(error.what(), "invalid patch format of primitive list"));
  CHECK(contains(error.what(), "metadata"));
}

TEST_CASE("SMP: ownerReferences merge by uid; Deployment conditions by type", "[testing][strategic_merge_patch]") {
  const auto document = J(R"({"metadata":{"ownerReferences":[{"uid":"1","name":"a"}]},
      "spec":{"template":{"spec":{"containers":[{"name":"c","image":"i"}]}}},
      "status":{"conditions":[{"type":"Available","status":"False"},{"type":"Progressing","status":"True"}]}})");
  auto result = apply_strategic_merge_patch(document, J(R"({"metadata":{"ownerReferences":[{"uid":"2","name":"b"}]},
      "spec":{"template":{"spec":{"containers":[{"name":"c","image":"j"}]}}},
      "status":{"conditions":[{"type":"Available","status":"True"}]}})"),
                                            "apps/v1", "Deployment");
  CHECK(result.at("metadata").at("ownerReferences") == J(R"([{"uid":"2","name":"b"},{"uid":"1","name":"a"}])"));
  CHECK(result.at("spec").at("template").at("spec").at("containers") == J(R"([{"name":"c","image":"j"}])"));
  CHECK(result.at("status").at("conditions") ==
        J(R"([{"type":"Available","status":"True"},{"type":"Progressing","status":"True"}])"));
}

TEST_CASE("SMP: $retainKeys clears the fields it does not list", "[testing][strategic_merge_patch]") {
  const auto document = J(R"({"spec":{"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}}}})");
  auto result = apply_strategic_merge_patch(
      document, J(R"({"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}})"), "apps/v1", "Deployment");
  CHECK(result.at("spec").at("strategy") == J(R"({"type":"Recreate"})"));
  auto not_listed =
      patch_error(R"({"spec":{"strategy":{}}})", R"({"spec":{"strategy":{"$retainKeys":["type"],"rollingUpdate":{}}}})",
                  "apps/v1", "Deployment");
  CHECK(not_listed.status() == 400);
  CHECK(contains(not_listed.what(), "invalid patch format of retainKeys"));
  CHECK(contains(not_listed.what(), "spec.strategy"));
}

TEST_CASE("SMP: malformed directives and lists name the path", "[testing][strategic_merge_patch]") {
  auto no_key = patch_error(pod, R"({"spec":{"containers":[{"image":"x"}]}})");
  CHECK(no_key.status() == 500);
  CHECK(contains(no_key.what(), "does not contain declared merge key: name"));
  CHECK(contains(no_key.what(), "spec.containers"));
  auto unknown = patch_error(pod, R"({"spec":{"containers":[{"name":"web","$patch":"frob"}]}})");
  CHECK(unknown.status() == 500);
  CHECK(contains(unknown.what(), "unknown patch type"));
  auto merge = patch_error(pod, R"({"spec":{"containers":[{"name":"web","$patch":"merge"}]}})");
  CHECK(contains(merge.what(), "merging lists cannot yet be specified"));
  auto order = patch_error(pod, R"({"spec":{"$setElementOrder/containers":[{"name":"web"}]}})");
  CHECK(order.status() == 501);
  CHECK(order.reason() == "NotImplemented");
  CHECK(contains(order.what(), "$setElementOrder/containers"));
  auto not_object = patch_error(pod, R"([1])");
  CHECK(not_object.status() == 400);
  CHECK(contains(not_object.what(), "cannot unmarshal array"));
}

TEST_CASE("SMP on a custom resource is 415 UnsupportedMediaType", "[testing][strategic_merge_patch]") {
  CHECK_FALSE(has_strategic_merge_strategy("example.com/v1", "Widget"));
  CHECK(has_strategic_merge_strategy("v1", "Pod"));
  CHECK(has_strategic_merge_strategy("v1", "ConfigMap"));
  auto error = patch_error(R"({"spec":{}})", R"({"spec":{"a":1}})", "example.com/v1", "Widget");
  CHECK(error.status() == 415);
  CHECK(error.reason() == "UnsupportedMediaType");
  CHECK(contains(error.what(), "application/merge-patch+json"));
}

TEST_CASE("SMP leaves the input untouched and a ConfigMap's data merges as a map", "[testing][strategic_merge_patch]") {
  const auto document = J(R"({"data":{"a":"1","b":"2"}})");
  const auto before = document;
  auto result = apply_strategic_merge_patch(document, J(R"({"data":{"a":null,"c":"3"}})"), "v1", "ConfigMap");
  CHECK(result == J(R"({"data":{"b":"2","c":"3"}})"));
  CHECK(document == before);
}
