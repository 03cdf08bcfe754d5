#include <kopp/core/json.hpp>
#include <kopp/core/object_meta.hpp>
#include <kopp/core/owner_reference.hpp>

#include <boost/describe.hpp>
#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <map>
#include <string>

namespace meta_test {
struct ConfigMap {
  std::string apiVersion;
  std::string kind;
  kopp::ObjectMeta metadata;
  std::map<std::string, std::string> data;
  kopp::UnknownFields unknown_fields;
};
BOOST_DESCRIBE_STRUCT(ConfigMap, (), (apiVersion, kind, metadata, data, unknown_fields))

// As kube-apiserver returns it for GET /api/v1/namespaces/shop/configmaps/settings.
constexpr const char* configmap_json = R"({
  "kind": "ConfigMap",
  "apiVersion": "v1",
  "metadata": {
    "name": "settings",
    "namespace": "shop",
    "uid": "3c1f5b7e-1d5a-4b8e-8b8f-0e6a5d2c9f10",
    "resourceVersion": "48213",
    "generation": 2,
    "creationTimestamp": "2026-11-26T23:30:00Z",
    "deletionTimestamp": "2026-11-27T08:00:00Z",
    "deletionGracePeriodSeconds": 0,
    "labels": {"app.kubernetes.io/name": "shop", "tier": "backend"},
    "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{\"apiVersion\":\"v1\"}\n"},
    "ownerReferences": [
      {"apiVersion": "example.com/v1", "kind": "Shop", "name": "main",
       "uid": "9a8b7c6d-0000-1111-2222-333344445555", "controller": true, "blockOwnerDeletion": true}
    ],
    "finalizers": ["example.com/cleanup"],
    "managedFields": [
      {"manager": "kubectl-client-side-apply", "operation": "Update", "apiVersion": "v1",
       "time": "2026-11-26T23:30:00Z", "fieldsType": "FieldsV1",
       "fieldsV1": {"f:data": {".": {}, "f:color": {}}, "f:metadata": {"f:annotations": {".": {},
                    "f:kubectl.kubernetes.io/last-applied-configuration": {}}}}},
      {"manager": "shop-operator", "operation": "Apply", "apiVersion": "v1",
       "time": "2026-11-27T07:59:00Z", "fieldsType": "FieldsV1",
       "fieldsV1": {"f:metadata": {"f:finalizers": {"v:\"example.com/cleanup\"": {}}}}}
    ]
  },
  "data": {"color": "blue", "empty": ""},
  "immutable": false
})";
}  // namespace meta_test

using meta_test::ConfigMap;

TEST_CASE("ObjectMeta round-trips an API server ConfigMap", "[core][meta][json]") {
  const boost::json::value input = boost::json::parse(meta_test::configmap_json);
  const ConfigMap cm = kopp::from_json<ConfigMap>(input);
  const kopp::ObjectMeta& m = cm.metadata;
  CHECK(m.name == "settings");
  CHECK(m.namespace_ == "shop");
  CHECK(m.uid == "3c1f5b7e-1d5a-4b8e-8b8f-0e6a5d2c9f10");
  CHECK(m.resourceVersion == "48213");
  CHECK(m.generation == 2);
  REQUIRE(m.creationTimestamp.has_value());
  CHECK(m.creationTimestamp->to_string() == "2026-11-26T23:30:00Z");
  CHECK(m.deletionTimestamp == kopp::Time::parse("2026-11-27T08:00:00Z"));
  CHECK(m.deletionGracePeriodSeconds == 0);
  CHECK(m.labels.at("app.kubernetes.io/name") == "shop");
  CHECK(m.annotations.size() == 1);
  REQUIRE(m.ownerReferences.size() == 1);
  CHECK(m.ownerReferences[0].kind == "Shop");
  CHECK(m.ownerReferences[0].controller == true);
  CHECK(m.finalizers == std::vector<std::string>{"example.com/cleanup"});
  REQUIRE(m.managedFields.size() == 2);
  CHECK(m.managedFields[1].manager == "shop-operator");
  CHECK(m.managedFields[1].operation == "Apply");
  CHECK(m.managedFields[1].time == kopp::Time::parse("2026-11-27T07:59:00Z"));
  // The trie is kept as compact text (what the cache stores), and parses back to itself.
  CHECK(m.managedFields[1].fieldsV1.text() == R"({"f:metadata":{"f:finalizers":{"v:\"example.com/cleanup\"":{}}}})");
  CHECK(m.managedFields[1].fieldsV1.value() == input.at("metadata").at("managedFields").at(1).at("fieldsV1"));
  CHECK(m.unknown_fields.empty());
  CHECK(cm.data.at("empty").empty());
  CHECK(cm.unknown_fields.find("immutable")->as_bool() == false);

  // Every field, managedFields included, is written back as it came.
  CHECK(kopp::to_json(cm) == input);
  CHECK(kopp::from_json<ConfigMap>(kopp::to_json(cm)).metadata == m);
}

TEST_CASE("a managedFields trie that is not an object is rejected with its path", "[core][meta][json]") {
  const auto bad = boost::json::parse(
      R"({"name":"x","managedFields":[{"manager":"m","fieldsType":"FieldsV1","fieldsV1":"f:data"}]})");
  try {
    (void)kopp::from_json<kopp::ObjectMeta>(bad);
    FAIL("decoding succeeded");
  } catch (const std::exception& e) {
    const std::string what = e.what();
    CHECK_THAT(what, Catch::Matchers::Contains("managedFields[0].fieldsV1"));
    CHECK_THAT(what, Catch::Matchers::Contains("FieldsV1 trie"));
  }
}

// Found by tests/fuzz: Boost.JSON 1.81 reads 9e999 as Infinity and writes it as `Infinity`,
// so a trie holding one could not be written back (encoding threw Boost's parse error).
TEST_CASE("a managedFields trie holding a number beyond double's range is rejected with its path",
          "[core][meta][json]") {
  try {
    (void)kopp::parse_json<kopp::ObjectMeta>(
        R"({"managedFields":[{"manager":"m","fieldsType":"FieldsV1","fieldsV1":{"f:x":[-1e400]}}]})");
    FAIL("an infinite number was kept");
  } catch (const kopp::json_error& e) {
    CHECK(e.path() == "$.managedFields[0].fieldsV1");
    CHECK_THAT(e.problem(), Catch::Matchers::Contains("beyond the range of a double"));
  }
}

TEST_CASE("an empty ObjectMeta encodes to an empty object", "[core][meta][json]") {
  CHECK(kopp::to_json(kopp::ObjectMeta{}) == boost::json::object{});
  kopp::ObjectMeta m;
  m.name = "x";
  m.namespace_ = "ns";
  CHECK(kopp::to_json(m) == boost::json::parse(R"({"name":"x","namespace":"ns"})"));
  m.generation = 3;  // omitted only when zero, as in Go
  CHECK(kopp::to_json(m) == boost::json::parse(R"({"name":"x","namespace":"ns","generation":3})"));
}

TEST_CASE("object_key is namespace/name or name", "[core][meta]") {
  kopp::ObjectMeta m;
  m.name = "web";
  CHECK(kopp::object_key(m) == "web");
  m.namespace_ = "default";
  CHECK(kopp::object_key(m) == "default/web");
}

TEST_CASE("finalizer helpers report whether they changed anything", "[core][meta]") {
  kopp::ObjectMeta m;
  CHECK_FALSE(kopp::has_finalizer(m, "a/b"));
  CHECK(kopp::add_finalizer(m, "a/b"));
  CHECK_FALSE(kopp::add_finalizer(m, "a/b"));
  CHECK(kopp::has_finalizer(m, "a/b"));
  CHECK(m.finalizers.size() == 1);
  CHECK(kopp::remove_finalizer(m, "a/b"));
  CHECK_FALSE(kopp::remove_finalizer(m, "a/b"));
  CHECK(m.finalizers.empty());
}

TEST_CASE("ListMeta maps continue and remainingItemCount", "[core][meta][json]") {
  const auto lm = kopp::from_json<kopp::ListMeta>(
      boost::json::parse(R"({"resourceVersion":"7","continue":"tok","remainingItemCount":0,"selfLink":"/x"})"));
  CHECK(lm.continue_ == "tok");
  CHECK(lm.remainingItemCount == 0);
  CHECK(lm.unknown_fields.contains("selfLink"));
  CHECK(kopp::to_json(lm) ==
        boost::json::parse(R"({"resourceVersion":"7","continue":"tok","remainingItemCount":0,"selfLink":"/x"})"));
}
