// Server-side apply in the fake API server: field ownership, merge, pruning, conflicts.
#include <kopp/testing/detail/server_side_apply.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

using kopp::testing::detail::ApplyOptions;
using kopp::testing::detail::ListTypes;
using kopp::testing::detail::PatchError;
using kopp::testing::detail::record_update;
using kopp::testing::detail::server_side_apply;

namespace {
boost::json::value J(std::string_view text) { return boost::json::parse(text); }

ApplyOptions by(std::string manager, bool force = false) {
  ApplyOptions options;
  options.manager = std::move(manager);
  options.force = force;
  options.now = "2026-01-01T00:00:00Z";
  return options;
}

const ListTypes deployment = ListTypes::builtin("apps/v1", "Deployment");

boost::json::value entries(const boost::json::value& object) { return object.at("metadata").at("managedFields"); }

// The entry of one manager and operation; null when there is none.
boost::json::value entry_of(const boost::json::value& object, std::string_view manager, std::string_view operation) {
  const auto* metadata = object.at("metadata").as_object().if_contains("managedFields");
  if (!metadata) return nullptr;
  for (const auto& entry : metadata->as_array()) {
    if (entry.at("manager").as_string() == manager && entry.at("operation").as_string() == operation) return entry;
  }
  return nullptr;
}

PatchError apply_error(const boost::json::value* live, const boost::json::value& applied, const ApplyOptions& options,
                       const ListTypes& types = deployment) {
  try {
    server_side_apply(live, applied, types, options);
  } catch (const PatchError& error) {
    return error;
  }
  FAIL("no PatchError");
  return PatchError(0, "", "");
}

const auto web = J(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","labels":{"app":"web"}},
  "spec":{"replicas":2,"template":{"spec":{"containers":[{"name":"web","image":"nginx"}]}}}})");
}  // namespace

TEST_CASE("create by apply records the applier's Apply entry in fieldsV1", "[testing][ssa]") {
  const auto created = server_side_apply(nullptr, web, deployment, by("ctl"));
  CHECK(created.at("spec").at("replicas") == 2);
  CHECK(entries(created) == J(R"([{"manager":"ctl","operation":"Apply","apiVersion":"apps/v1",
    "time":"2026-01-01T00:00:00Z","fieldsType":"FieldsV1","fieldsV1":{
      "f:metadata":{"f:labels":{"f:app":{}}},
      "f:spec":{"f:replicas":{},"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{
        ".":{},"f:image":{},"f:name":{}}}}}}}}])"));
}

TEST_CASE("re-applying without a field removes it from the object and the entry", "[testing][ssa]") {
  const auto created = server_side_apply(nullptr, web, deployment, by("ctl"));
  auto smaller = web;
  smaller.at("metadata").as_object().erase("labels");
  const auto after = server_side_apply(&created, smaller, deployment, by("ctl"));
  CHECK_FALSE(after.at("metadata").as_object().contains("labels"));
  CHECK_FALSE(entry_of(after, "ctl", "Apply").at("fieldsV1").as_object().contains("f:metadata"));
}

TEST_CASE("a field dropped by one applier stays while another applier owns it", "[testing][ssa]") {
  auto live = server_side_apply(nullptr, web, deployment, by("a"));
  live = server_side_apply(&live, J(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},
    "spec":{"replicas":2}})"),
                           deployment, by("b"));
  // Same value: shared ownership, no conflict.
  CHECK(entry_of(live, "b", "Apply").at("fieldsV1") == J(R"({"f:spec":{"f:replicas":{}}})"));
  CHECK(entry_of(live, "a", "Apply").at("fieldsV1").at("f:spec").as_object().contains("f:replicas"));
  auto without_replicas = web;
  without_replicas.at("spec").as_object().erase("replicas");
  live = server_side_apply(&live, without_replicas, deployment, by("a"));
  CHECK(live.at("spec").at("replicas") == 2);
}

TEST_CASE("a different value of a field another applier owns is a 409 naming manager and field", "[testing][ssa]") {
  const auto live = server_side_apply(nullptr, web, deployment, by("other-manager"));
  const auto change = J(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},
    "spec":{"replicas":3}})");
  const auto error = apply_error(&live, change, by("me"));
  CHECK(error.status() == 409);
  CHECK(error.reason() == "Conflict");
  CHECK(std::string(error.what()) == R"(Apply failed with 1 conflict: conflict with "other-manager": .spec.replicas)");
  REQUIRE(error.causes().size() == 1);
  CHECK(error.causes()[0].reason == "FieldManagerConflict");
  CHECK(error.causes()[0].field == ".spec.replicas");
  CHECK(error.causes()[0].message == R"(conflict with "other-manager")");

  SECTION("force takes ownership") {
    const auto forced = server_side_apply(&live, change, deployment, by("me", true));
    CHECK(forced.at("spec").at("replicas") == 3);
    CHECK(entry_of(forced, "me", "Apply").at("fieldsV1") == J(R"({"f:spec":{"f:replicas":{}}})"));
    CHECK_FALSE(
        entry_of(forced, "other-manager", "Apply").at("fieldsV1").at("f:spec").as_object().contains("f:replicas"));
  }
}

TEST_CASE("an apply conflicts with a field an Update wrote", "[testing][ssa]") {
  auto live = J(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":1}})");
  record_update(live, nullptr, deployment, by("kubectl-edit"));
  CHECK(entry_of(live, "kubectl-edit", "Update").at("fieldsV1") == J(R"({"f:spec":{".":{},"f:replicas":{}}})"));
  const auto error = apply_error(&live, web, by("ctl"));
  CHECK(error.status() == 409);
  CHECK(std::string(error.what()) ==
        R"(Apply failed with 1 conflict: conflict with "kubectl-edit" using apps/v1: .spec.replicas)");
  CHECK(error.causes().at(0).message == R"(conflict with "kubectl-edit" using apps/v1)");
}

TEST_CASE("record_update gives the writer the fields it changed and takes them from others", "[testing][ssa]") {
  const auto live = server_side_apply(nullptr, web, deployment, by("ctl"));
  auto after = live;
  after.at("spec").at("replicas") = 5;
  after.at("metadata").as_object()["annotations"] = J(R"({"note":"x"})");
  record_update(after, &live, deployment, by("scaler"));
  CHECK(entry_of(after, "scaler", "Update").at("fieldsV1") ==
        J(R"({"f:metadata":{"f:annotations":{".":{},"f:note":{}}},"f:spec":{"f:replicas":{}}})"));
  CHECK(entry_of(after, "scaler", "Update").at("time") == "2026-01-01T00:00:00Z");
  CHECK_FALSE(entry_of(after, "ctl", "Apply").at("fieldsV1").at("f:spec").as_object().contains("f:replicas"));
  // Apply entries sort before Update entries.
  CHECK(entries(after).at(0).at("operation") == "Apply");

  SECTION("an entry left empty is removed") {
    auto only_replicas = server_side_apply(nullptr, J(R"({"apiVersion":"apps/v1","kind":"Deployment",
      "metadata":{"name":"web"},"spec":{"replicas":1}})"),
                                           deployment, by("replicas-only"));
    auto scaled = only_replicas;
    scaled.at("spec").at("replicas") = 4;
    record_update(scaled, &only_replicas, deployment, by("scaler"));
    CHECK(entry_of(scaled, "replicas-only", "Apply").is_null());
    CHECK(entries(scaled).as_array().size() == 1);
  }
}

TEST_CASE("containers merge by name: two appliers each own one container", "[testing][ssa]") {
  auto live = server_side_apply(nullptr, web, deployment, by("a"));
  live = server_side_apply(&live, J(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},
    "spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"envoy"}]}}}})"),
                           deployment, by("b"));
  const auto& containers = live.at("spec").at("template").at("spec").at("containers").as_array();
  REQUIRE(containers.size() == 2);
  CHECK(containers[0].at("name") == "web");
  CHECK(containers[1].at("name") == "sidecar");
  // b drops its container: only that one goes.
  live = server_side_apply(&live, J(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"}})"),
                           deployment, by("b"));
  const auto& left = live.at("spec").at("template").at("spec").at("containers").as_array();
  REQUIRE(left.size() == 1);
  CHECK(left[0].at("name") == "web");
}

TEST_CASE("container ports are keyed by containerPort and the defaulted protocol", "[testing][ssa]") {
  const auto created = server_side_apply(nullptr, J(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},
    "spec":{"containers":[{"name":"c","ports":[{"containerPort":80}]}]}})"),
                                         ListTypes::builtin("v1", "Pod"), by("ctl"));
  const auto container =
      entry_of(created, "ctl", "Apply").at("fieldsV1").at("f:spec").at("f:containers").at(R"(k:{"name":"c"})");
  CHECK(container.at("f:ports").as_object().contains(R"(k:{"containerPort":80,"protocol":"TCP"})"));
}

TEST_CASE("finalizers merge as a set", "[testing][ssa]") {
  const auto base = R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","finalizers":[)";
  const ListTypes config_map = ListTypes::builtin("v1", "ConfigMap");
  auto live = server_side_apply(nullptr, J(std::string(base) + R"("a/x"]}})"), config_map, by("a"));
  live = server_side_apply(&live, J(std::string(base) + R"("b/y"]}})"), config_map, by("b"));
  CHECK(live.at("metadata").at("finalizers") == J(R"(["a/x","b/y"])"));
  CHECK(entry_of(live, "b", "Apply").at("fieldsV1") == J(R"({"f:metadata":{"f:finalizers":{"v:\"b/y\"":{}}}})"));
}

TEST_CASE("an atomic list is replaced whole and owned whole", "[testing][ssa]") {
  auto live = server_side_apply(nullptr, J(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"w"},
    "spec":{"template":{"spec":{"containers":[{"name":"c","args":["a","b"]}]}}}})"),
                                deployment, by("ctl"));
  live = server_side_apply(&live, J(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"w"},
    "spec":{"template":{"spec":{"containers":[{"name":"c","args":["c"]}]}}}})"),
                           deployment, by("ctl"));
  CHECK(live.at("spec").at("template").at("spec").at("containers").at(0).at("args") == J(R"(["c"])"));
  CHECK(entry_of(live, "ctl", "Apply")
            .at("fieldsV1")
            .at("f:spec")
            .at("f:template")
            .at("f:spec")
            .at("f:containers")
            .at(R"(k:{"name":"c"})") == J(R"({".":{},"f:args":{},"f:name":{}})"));
}

TEST_CASE("the main resource ignores status when the kind has a status subresource", "[testing][ssa]") {
  auto options = by("ctl");
  options.status_subresource = true;
  auto with_status = web;
  with_status.as_object()["status"] = J(R"({"replicas":9})");
  const auto created = server_side_apply(nullptr, with_status, deployment, options);
  CHECK_FALSE(created.as_object().contains("status"));
  CHECK_FALSE(entry_of(created, "ctl", "Apply").at("fieldsV1").as_object().contains("f:status"));

  SECTION("the status subresource applies only status") {
    options.subresource = "status";
    const auto after = server_side_apply(&created, with_status, deployment, options);
    CHECK(after.at("status").at("replicas") == 9);
    const auto entry = entries(after).at(1);
    CHECK(entry.at("subresource") == "status");
    CHECK(entry.at("fieldsV1") == J(R"({"f:status":{"f:replicas":{}}})"));
  }
}

TEST_CASE("an invalid applied configuration is refused as the API server refuses it", "[testing][ssa]") {
  const auto live = server_side_apply(nullptr, web, deployment, by("ctl"));
  auto error = apply_error(&live, J(R"({"metadata":{"name":"web"}})"), by("ctl"));
  CHECK(error.status() == 400);
  CHECK(error.reason() == "BadRequest");
  CHECK(std::string(error.what()) == "invalid object type: /, Kind=");  // as Go prints an empty GroupVersionKind

  error = apply_error(&live, J(R"({"apiVersion":"apps/v1beta1","kind":"Deployment"})"), by("ctl"));
  CHECK(error.status() == 400);
  CHECK(std::string(error.what()) == "invalid object type: apps/v1beta1, Kind=Deployment");

  error = apply_error(&live, J(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"managedFields":[]}})"),
                      by("ctl"));
  CHECK(error.status() == 400);
  CHECK(std::string(error.what()) == "metadata.managedFields must be nil");

  error = apply_error(&live, web, by(""));
  CHECK(error.status() == 422);
  CHECK(std::string(error.what()).find("fieldManager: Required value") != std::string::npos);

  error = apply_error(&live, J(R"({"apiVersion":"apps/v1","kind":"Deployment","spec":{"replicas":null}})"), by("ctl"));
  CHECK(error.status() == 501);
  CHECK(error.reason() == "NotImplemented");
  CHECK(std::string(error.what()) ==
        "null in an applied configuration (.spec.replicas) is not modelled by kopp's fake API server");

  error = apply_error(&live, J(R"({"apiVersion":"apps/v1","kind":"Deployment",
    "spec":{"template":{"spec":{"containers":[{"image":"x"}]}}}})"),
                      by("ctl"));
  CHECK(error.status() == 500);
  CHECK(std::string(error.what()).find(R"(omits key field "name")") != std::string::npos);

  auto scale = by("ctl");
  scale.subresource = "scale";
  error = apply_error(&live, web, scale);
  CHECK(error.status() == 501);
  CHECK(std::string(error.what()).find("\"scale\" subresource") != std::string::npos);
}

TEST_CASE("a CRD's x-kubernetes-list-type map merges by its keys", "[testing][ssa]") {
  const auto types = ListTypes::from_openapi_schema(J(R"({"type":"object","properties":{"spec":{"type":"object",
    "properties":{"rules":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["host"],
      "items":{"type":"object","properties":{"host":{"type":"string"},"port":{"type":"integer"}}}}}}}})"));
  const auto head = R"({"apiVersion":"example.com/v1","kind":"Route","metadata":{"name":"r"},"spec":{"rules":[)";
  auto live = server_side_apply(nullptr, J(std::string(head) + R"({"host":"a","port":1}]}})"), types, by("x"));
  live = server_side_apply(&live, J(std::string(head) + R"({"host":"b","port":2}]}})"), types, by("y"));
  CHECK(live.at("spec").at("rules") == J(R"([{"host":"a","port":1},{"host":"b","port":2}])"));
  CHECK(entry_of(live, "y", "Apply").at("fieldsV1") ==
        J(R"({"f:spec":{"f:rules":{"k:{\"host\":\"b\"}":{".":{},"f:host":{},"f:port":{}}}}})"));
}
