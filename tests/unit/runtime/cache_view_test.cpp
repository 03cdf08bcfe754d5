// CacheView: a reconcile reads only the kinds its controller declared.
#include "support/test_types.hpp"

#include <kopp/runtime/controller/cache_view.hpp>
#include <kopp/runtime/controller/controller.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/describe/class.hpp>
#include <catch2/catch.hpp>

#include <functional>
#include <map>
#include <string>

using kopp_test::ConfigMap;
using kopp_test::ServiceAccount;

namespace view_test {
struct Pod {
  std::string apiVersion = "v1";
  std::string kind = "Pod";
  kopp::ObjectMeta metadata;
};
BOOST_DESCRIBE_STRUCT(Pod, (), (apiVersion, kind, metadata))
KOPP_RESOURCE(Pod, "", "v1", "Pod", "pods", namespaced)

struct Secret {
  std::string apiVersion = "v1";
  std::string kind = "Secret";
  kopp::ObjectMeta metadata;
};
BOOST_DESCRIBE_STRUCT(Secret, (), (apiVersion, kind, metadata))
KOPP_RESOURCE(Secret, "", "v1", "Secret", "secrets", namespaced)
}  // namespace view_test

namespace {

template <class K>
std::shared_ptr<kopp::Informer<K>> offline_informer() {
  kopp::ListWatchSource source;
  source.description = "offline";
  source.list_page = [](kopp::ListParams) -> boost::asio::awaitable<boost::json::object> {
    throw std::logic_error("offline");
  };
  source.watch = [](kopp::ListParams) -> boost::asio::awaitable<kopp::RawWatchStream> {
    throw std::logic_error("offline");
  };
  return kopp::Informer<K>::create(std::move(source));
}

std::shared_ptr<const ConfigMap> cm(std::string ns, std::string name, std::string owner_uid = {},
                                    std::map<std::string, std::string> labels = {}) {
  auto object = std::make_shared<ConfigMap>();
  object->metadata.namespace_ = std::move(ns);
  object->metadata.name = std::move(name);
  object->metadata.labels = std::move(labels);
  if (!owner_uid.empty()) {
    kopp::OwnerReference ref;
    ref.uid = std::move(owner_uid);
    ref.controller = true;
    object->metadata.ownerReferences.push_back(ref);
  }
  return object;
}

std::shared_ptr<const kopp::PartialObjectMetadata> meta(std::string ns, std::string name) {
  auto object = std::make_shared<kopp::PartialObjectMetadata>();
  object->metadata.namespace_ = std::move(ns);
  object->metadata.name = std::move(name);
  return object;
}

std::string what_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::logic_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("CacheView answers from the declared informers, merging several of one kind", "[cache_view]") {
  auto primary = offline_informer<ConfigMap>();  // e.g. with a label selector
  auto owned = offline_informer<ConfigMap>();    // e.g. owns<ConfigMap>(), unfiltered
  auto pods = offline_informer<kopp::PartialObjectMetadata>();
  auto secrets = offline_informer<kopp::PartialObjectMetadata>();
  primary->store().apply(cm("a", "parent", {}, {{"role", "parent"}}));
  owned->store().apply(cm("a", "parent", {}, {{"role", "parent"}}));
  owned->store().apply(cm("a", "child", "uid-1"));
  owned->store().apply(cm("b", "other", "uid-2"));
  owned->store().add_index(std::string(kopp::controller_uid_index), kopp::controller_uid_of<ConfigMap>);
  pods->store().apply(meta("a", "pod-1"));
  secrets->store().apply(meta("a", "secret-1"));
  const kopp::CacheView view("mirror", {primary, owned, pods, secrets},
                             {"v1/ConfigMap", "v1/ConfigMap", "v1/Pod", "v1/Secret"});

  CHECK(view.get<ConfigMap>(kopp::ObjectKey("a", "child")) != nullptr);
  CHECK(view.get<ConfigMap>(kopp::ObjectKey("a", "missing")) == nullptr);
  CHECK(view.list<ConfigMap>().size() == 3);  // "a/parent" once
  CHECK(view.list<ConfigMap>("a").size() == 2);
  CHECK(view.list<ConfigMap>("", kopp::LabelSelector::parse("role=parent")).size() == 1);
  const auto children = view.by_index<ConfigMap>(kopp::controller_uid_index, "uid-1");
  REQUIRE(children.size() == 1);
  CHECK(children[0]->metadata.name == "child");
  // Metadata-only informers of different kinds share one C++ type; the kind tells them apart.
  const auto listed_pods = view.list_metadata<view_test::Pod>("a");
  REQUIRE(listed_pods.size() == 1);
  CHECK(listed_pods[0]->metadata.name == "pod-1");
  CHECK(view.get_metadata<view_test::Secret>(kopp::ObjectKey("a", "secret-1")) != nullptr);
  CHECK(view.get_metadata<view_test::Secret>(kopp::ObjectKey("a", "pod-1")) == nullptr);
}

TEST_CASE("CacheView refuses kinds and indexes the controller did not declare, naming the builder call",
          "[cache_view]") {
  auto primary = offline_informer<ConfigMap>();
  const kopp::CacheView view("mirror", {primary}, {"v1/ConfigMap"});
  const std::string undeclared = what_of([&] { (void)view.get<ServiceAccount>(kopp::ObjectKey("a", "x")); });
  CHECK_THAT(undeclared, Catch::Contains("controller 'mirror' reads ServiceAccount") &&
                             Catch::Contains(".owns<ServiceAccount>() or .watches<ServiceAccount>(...)"));
  const std::string metadata = what_of([&] { (void)view.list_metadata<view_test::Pod>(); });
  CHECK_THAT(metadata, Catch::Contains(".watches_metadata<Pod>(...)"));
  const std::string no_index = what_of([&] { (void)view.by_index<ConfigMap>("by-color", "blue"); });
  CHECK_THAT(no_index, Catch::Contains("index 'by-color' of ConfigMap") &&
                           Catch::Contains(".index<ConfigMap>(\"by-color\", ...)"));
}

// --- ControllerBuilder::index, without a server (informers are made, never started) ------

namespace {

struct Idle {
  boost::asio::awaitable<kopp::Action> reconcile(std::shared_ptr<const ConfigMap>, kopp::Context&) {
    co_return kopp::Action::done();
  }
};

}  // namespace

TEST_CASE("ControllerBuilder::index adds an index to a declared kind's informer, and refuses others",
          "[cache_view][controller]") {
  boost::asio::io_context io;
  kopp::Config config;
  config.server = "http://127.0.0.1:9";  // never contacted: nothing is started
  kopp::Client client(io.get_executor(), config);
  kopp::InformerFactory informers(client);
  std::function<std::vector<std::string>(const ConfigMap&)> by_color = [](const ConfigMap& c) {
    const auto it = c.data.find("color");
    return it == c.data.end() ? std::vector<std::string>{} : std::vector<std::string>{it->second};
  };
  auto controller = kopp::ControllerBuilder<ConfigMap>(client, informers, "colors")
                        .in_namespace("ns")
                        .index<ConfigMap>("by-color", by_color)
                        .build(Idle{});
  REQUIRE(controller);
  CHECK(informers.get<ConfigMap>("ns")->store().has_index("by-color"));

  // owns<> in a scope caches only that scope: the informer it made is the one with the
  // selector (and it carries the owner index); the unfiltered one never got the index.
  auto scoped = kopp::ControllerBuilder<ConfigMap>(client, informers, "scoped")
                    .in_namespace("ns")
                    .owns<ServiceAccount>(kopp::SecondaryScope().in_namespace("other").labels("app=x"))
                    .build(Idle{});
  REQUIRE(scoped);
  CHECK(informers.get<ServiceAccount>("other", "app=x")->store().has_index(kopp::controller_uid_index));
  CHECK_FALSE(informers.get<ServiceAccount>("ns")->store().has_index(kopp::controller_uid_index));

  std::function<std::vector<std::string>(const ServiceAccount&)> none = [](const ServiceAccount&) {
    return std::vector<std::string>{};
  };
  try {
    (void)kopp::ControllerBuilder<ConfigMap>(client, informers, "colors-2")
        .in_namespace("ns")
        .index<ServiceAccount>("by-x", none)
        .build(Idle{});
    FAIL("an index on an undeclared kind was accepted");
  } catch (const std::invalid_argument& e) {
    CHECK_THAT(e.what(), Catch::Contains("index<ServiceAccount>()") && Catch::Contains("owns<>() or watches<>()"));
  }
}
