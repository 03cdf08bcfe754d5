// Discovery against the real kube-apiserver: served group/versions, the resources of a
// group/version, resolving built-in kinds and a CRD's kind, and invalidate() after a new
// CRD was added to a group already cached.
#include "support/integration.hpp"

#include <kopp/client/discovery.hpp>
#include <kopp/client/dynamic_api.hpp>

#include <algorithm>

using namespace kopp_test;
using boost::asio::awaitable;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

json::object crd_for(const std::string& group, const std::string& kind, const std::string& plural) {
  return json::parse(R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",)"
                     R"("metadata":{"name":")" +
                     plural + "." + group + R"("},"spec":{"group":")" + group +
                     R"(","scope":"Namespaced","names":{"kind":")" + kind + R"(","plural":")" + plural +
                     R"(","singular":")" + plural.substr(0, plural.size() - 1) + R"(","listKind":")" + kind +
                     R"(List"},"versions":[{"name":"v1","served":true,"storage":true,"schema":{)"
                     R"("openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}]}})")
      .as_object();
}

awaitable<void> delete_crd(kopp::Client& client, const std::string& name) {
  kopp::DynamicApi crds(client, crd_resource());
  auto existing = co_await crds.get_opt(name);
  if (existing) co_await crds.delete_(name);
}

/// Whether a fresh Discovery (no cache) finds `kind` in `gv`.
awaitable<bool> served(kopp::Client& client, std::string gv, std::string kind) {
  kopp::Discovery fresh(client);
  try {
    const auto resources = co_await fresh.resources(gv);
    co_return std::any_of(resources.begin(), resources.end(), [&](const auto& r) { return r.kind == kind; });
  } catch (const kopp::api_error&) {
    co_return false;
  }
}

}  // namespace

TEST_CASE("discovery: group/versions, resources and built-in kinds of the real API server", "[integration]") {
  run<void>([&]() -> awaitable<void> {
    kopp::Client client(co_await boost::asio::this_coro::executor, admin_config());
    kopp::Discovery discovery(client);
    const auto versions = co_await discovery.group_versions();
    CHECK(std::find(versions.begin(), versions.end(), "v1") != versions.end());
    CHECK(std::find(versions.begin(), versions.end(), "apps/v1") != versions.end());
    CHECK(std::find(versions.begin(), versions.end(), "coordination.k8s.io/v1") != versions.end());

    const auto apps = co_await discovery.resources("apps/v1");
    const auto deployments =
        std::find_if(apps.begin(), apps.end(), [](const auto& r) { return r.kind == "Deployment"; });
    REQUIRE(deployments != apps.end());
    CHECK(deployments->plural == "deployments");
    CHECK(deployments->namespaced);
    CHECK(
        std::none_of(apps.begin(), apps.end(), [](const auto& r) { return r.plural.find('/') != std::string::npos; }));

    kopp::GroupVersionKind namespace_kind;
    namespace_kind.version = "v1";
    namespace_kind.kind = "Namespace";
    const auto namespaces = co_await discovery.resolve(namespace_kind);
    CHECK(namespaces.plural == "namespaces");
    CHECK_FALSE(namespaces.namespaced);

    kopp::GroupVersionKind missing;
    missing.group = "apps";
    missing.version = "v1";
    missing.kind = "NoSuchKind";
    bool not_found = false;
    try {
      (void)co_await discovery.resolve(missing);
    } catch (const kopp::api_error& e) {
      not_found = e.code() == kopp::make_error_code(kopp::errc::not_found);
    }
    CHECK(not_found);
  });
}

TEST_CASE("discovery: a CRD's kind resolves; a kind added to a cached group needs invalidate()", "[integration]") {
  const std::string group = "discovery" + unique_name("t").substr(2) + ".kopp.example";
  run<void>([&]() -> awaitable<void> {
    kopp::Client client(co_await boost::asio::this_coro::executor, admin_config());
    kopp::DynamicApi crds(client, crd_resource());
    json::object widgets = crd_for(group, "Widget", "widgets");
    co_await crds.create(std::move(widgets));
    const auto widget_served = [&]() { return served(client, group + "/v1", "Widget"); };
    const bool first = co_await async_eventually(widget_served, 30s, 200ms);
    REQUIRE(first);

    kopp::Discovery discovery(client);
    kopp::GroupVersionKind widget{group, "v1", "Widget"};
    const auto resolved = co_await discovery.resolve(widget);
    CHECK(resolved.plural == "widgets");
    CHECK(resolved.namespaced);

    json::object gadgets = crd_for(group, "Gadget", "gadgets");
    co_await crds.create(std::move(gadgets));
    const auto gadget_served = [&]() { return served(client, group + "/v1", "Gadget"); };
    const bool second = co_await async_eventually(gadget_served, 30s, 200ms);
    REQUIRE(second);
    kopp::GroupVersionKind gadget{group, "v1", "Gadget"};
    bool stale = false;
    try {
      (void)co_await discovery.resolve(gadget);  // the group/version is cached without it
    } catch (const kopp::api_error& e) {
      stale = e.code() == kopp::make_error_code(kopp::errc::not_found);
    }
    CHECK(stale);
    discovery.invalidate();
    const auto fresh = co_await discovery.resolve(gadget);
    CHECK(fresh.plural == "gadgets");

    co_await delete_crd(client, "widgets." + group);
    co_await delete_crd(client, "gadgets." + group);
  });
}
