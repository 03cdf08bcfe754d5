#include <kopp/core/json.hpp>
#include <kopp/core/object_key.hpp>
#include <kopp/core/owner_reference.hpp>
#include <kopp/core/object_list.hpp>
#include <kopp/core/object_meta.hpp>
#include <kopp/core/resource.hpp>

#include <boost/describe.hpp>
#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <sstream>
#include <string>

namespace resource_test {

struct CronTabSpec {
  std::string schedule;
};
BOOST_DESCRIBE_STRUCT(CronTabSpec, (), (schedule))

struct CronTab {
  std::string apiVersion;
  std::string kind;
  kopp::ObjectMeta metadata;
  CronTabSpec spec;
  kopp::UnknownFields unknown_fields;
};
BOOST_DESCRIBE_STRUCT(CronTab, (), (apiVersion, kind, metadata, spec, unknown_fields))
KOPP_RESOURCE(CronTab, "stable.example.com", "v1", "CronTab", "crontabs", namespaced)

struct ConfigMap {
  std::string apiVersion;
  std::string kind;
  kopp::ObjectMeta metadata;
  std::map<std::string, std::string> data;
  friend bool operator==(const ConfigMap&, const ConfigMap&) = default;
};
BOOST_DESCRIBE_STRUCT(ConfigMap, (), (apiVersion, kind, metadata, data))
KOPP_RESOURCE(ConfigMap, "", "v1", "ConfigMap", "configmaps", namespaced);

struct NoMeta {
  std::string name;
};
KOPP_RESOURCE(NoMeta, "x.io", "v1", "NoMeta", "nometas", cluster)

}  // namespace resource_test

struct Namespace {  // global namespace
  std::string apiVersion;
  std::string kind;
  kopp::ObjectMeta metadata;
};
KOPP_RESOURCE(Namespace, "", "v1", "Namespace", "namespaces", cluster)

namespace other {
struct Lease {
  std::string apiVersion;
  std::string kind;
  kopp::ObjectMeta metadata;
};
}  // namespace other

// The alternative to the macro: an explicit specialisation.
template <>
struct kopp::resource_traits<other::Lease> {
  static constexpr std::string_view group = "coordination.k8s.io";
  static constexpr std::string_view version = "v1";
  static constexpr std::string_view kind = "Lease";
  static constexpr std::string_view plural = "leases";
  static constexpr kopp::scope scope_v = kopp::scope::namespaced;
  static constexpr bool namespaced = true;
};

using resource_test::ConfigMap;
using resource_test::CronTab;

static_assert(kopp::Resource<CronTab>);
static_assert(kopp::Resource<ConfigMap>);
static_assert(kopp::Resource<Namespace>);
static_assert(kopp::Resource<other::Lease>);
static_assert(!kopp::Resource<resource_test::NoMeta>);  // traits but no ObjectMeta metadata
static_assert(!kopp::Resource<resource_test::CronTabSpec>);
static_assert(!kopp::Resource<int>);
static_assert(kopp::resource_traits<CronTab>::namespaced);
static_assert(!kopp::resource_traits<Namespace>::namespaced);
static_assert(kopp::resource_traits<Namespace>::scope_v == kopp::scope::cluster);

TEST_CASE("resource traits come from KOPP_RESOURCE or a specialisation", "[core][resource]") {
  using traits = kopp::resource_traits<CronTab>;
  CHECK(traits::group == "stable.example.com");
  CHECK(traits::version == "v1");
  CHECK(traits::kind == "CronTab");
  CHECK(traits::plural == "crontabs");
  CHECK(kopp::api_version<CronTab>() == "stable.example.com/v1");
  CHECK(kopp::api_version<ConfigMap>() == "v1");
  CHECK(kopp::api_version<Namespace>() == "v1");
  CHECK(kopp::api_version<other::Lease>() == "coordination.k8s.io/v1");
  CHECK(kopp::is_namespaced<ConfigMap>());
  CHECK_FALSE(kopp::is_namespaced<Namespace>());
  CHECK(kopp::list_kind<ConfigMap>() == "ConfigMapList");
}

TEST_CASE("GroupVersionKind splits and joins apiVersion", "[core][resource]") {
  const auto apps = kopp::GroupVersionKind::from("apps/v1", "Deployment");
  CHECK(apps.group == "apps");
  CHECK(apps.version == "v1");
  CHECK(apps.kind == "Deployment");
  CHECK(apps.api_version() == "apps/v1");
  CHECK(apps.to_string() == "apps/v1, Kind=Deployment");

  const auto core = kopp::GroupVersionKind::from("v1", "Pod");
  CHECK(core.group.empty());
  CHECK(core.api_version() == "v1");
  std::ostringstream os;
  os << core;
  CHECK(os.str() == "v1, Kind=Pod");

  CHECK(kopp::gvk_of<CronTab>() == kopp::GroupVersionKind{"stable.example.com", "v1", "CronTab"});
  CHECK(kopp::gvk_of<CronTab>() != apps);
  CHECK(kopp::gvr_of<other::Lease>().to_string() == "coordination.k8s.io/v1, Resource=leases");
}

TEST_CASE("set_type_meta fills apiVersion and kind only when empty", "[core][resource]") {
  CronTab c;
  kopp::set_type_meta(c);
  CHECK(c.apiVersion == "stable.example.com/v1");
  CHECK(c.kind == "CronTab");
  ConfigMap m;
  m.kind = "Custom";
  kopp::set_type_meta(m);
  CHECK(m.apiVersion == "v1");
  CHECK(m.kind == "Custom");
}

TEST_CASE("controller references point at the owner", "[core][resource][meta]") {
  CronTab owner;
  owner.metadata.name = "nightly";
  owner.metadata.namespace_ = "jobs";
  owner.metadata.uid = "6f1c-uid";
  const kopp::OwnerReference ref = kopp::make_controller_reference(owner);
  CHECK(ref.apiVersion == "stable.example.com/v1");
  CHECK(ref.kind == "CronTab");
  CHECK(ref.name == "nightly");
  CHECK(ref.uid == "6f1c-uid");
  CHECK(ref.controller == true);
  CHECK(ref.blockOwnerDeletion == true);

  ConfigMap child;
  CHECK(kopp::find_controller_reference(child.metadata) == nullptr);
  kopp::OwnerReference plain{"v1", "Secret", "s", "other-uid", std::nullopt, std::nullopt};
  child.metadata.ownerReferences = {plain, ref};
  REQUIRE(kopp::find_controller_reference(child.metadata) != nullptr);
  CHECK(kopp::find_controller_reference(child.metadata)->name == "nightly");
  CHECK(kopp::is_controlled_by(child.metadata, "6f1c-uid"));
  CHECK_FALSE(kopp::is_controlled_by(child.metadata, "other-uid"));
  CHECK(kopp::to_json(ref) == boost::json::parse(
                                  R"({"apiVersion":"stable.example.com/v1","kind":"CronTab","name":"nightly",
                  "uid":"6f1c-uid","controller":true,"blockOwnerDeletion":true})"));
}

TEST_CASE("ObjectList maps a list response", "[core][resource][json]") {
  const auto list = kopp::parse_json<kopp::ObjectList<ConfigMap>>(R"({
      "kind": "ConfigMapList", "apiVersion": "v1",
      "metadata": {"resourceVersion": "4242", "continue": "eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ",
                   "remainingItemCount": 17},
      "items": [
        {"metadata": {"name": "a", "namespace": "default", "resourceVersion": "1"}, "data": {"k": "v"}},
        {"metadata": {"name": "b", "namespace": "kube-system", "resourceVersion": "2"}}
      ]})");
  CHECK(list.kind == "ConfigMapList");
  CHECK(list.metadata.resourceVersion == "4242");
  CHECK(list.metadata.continue_ == "eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ");
  CHECK(list.metadata.remainingItemCount == 17);
  REQUIRE(list.items.size() == 2);
  CHECK(kopp::object_key(list.items[1].metadata) == "kube-system/b");
  CHECK(list.items[0].data.at("k") == "v");

  const boost::json::value encoded = kopp::to_json(list);
  CHECK(encoded.at("metadata").at("continue") == "eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ");
  CHECK(encoded.at("items").as_array().size() == 2);
  CHECK(kopp::from_json<kopp::ObjectList<ConfigMap>>(encoded) == list);

  CHECK_THROWS_WITH(kopp::parse_json<kopp::ObjectList<ConfigMap>>(R"({"items":[{},{"metadata":{"labels":{"a":1}}}]})"),
                    "kopp: JSON at $.items[1].metadata.labels.a: expected a string, got integer");
}
