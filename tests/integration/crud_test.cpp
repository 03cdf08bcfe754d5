// CRUD of ConfigMaps and Namespaces, pagination, conflicts and server-side apply against
// the real kube-apiserver.
#include "support/integration.hpp"

using namespace kopp_test;
using boost::asio::awaitable;
namespace json = boost::json;

TEST_CASE("ConfigMap: create, get, list, replace, patch, delete", "[integration]") {
  TestNamespace ns("kopp-crud");
  run<void>([&]() -> awaitable<void> {
    kopp::Client client(co_await boost::asio::this_coro::executor, admin_config());
    kopp::Api<ConfigMap> configmaps(client, ns.name());

    ConfigMap cm;
    cm.metadata.name = "settings";
    cm.metadata.labels["app"] = "kopp";
    cm.data["mode"] = "fast";
    auto created = co_await configmaps.create(cm);
    CHECK(created.kind == "ConfigMap");
    CHECK(created.apiVersion == "v1");
    CHECK(created.metadata.namespace_ == ns.name());
    CHECK_FALSE(created.metadata.uid.empty());
    CHECK_FALSE(created.metadata.resourceVersion.empty());
    CHECK(created.metadata.creationTimestamp.has_value());
    CHECK(created.data.at("mode") == "fast");

    auto fetched = co_await configmaps.get("settings");
    CHECK(fetched.metadata.uid == created.metadata.uid);

    fetched.data["mode"] = "slow";
    auto replaced = co_await configmaps.replace(fetched);
    CHECK(replaced.data.at("mode") == "slow");
    CHECK(replaced.metadata.resourceVersion != created.metadata.resourceVersion);

    auto patched = co_await configmaps.patch("settings", kopp::Patch::merge(json::parse(R"({"data":{"extra":"1"}})")));
    CHECK(patched.data.at("extra") == "1");
    CHECK(patched.data.at("mode") == "slow");

    auto json_patched = co_await configmaps.patch(
        "settings", kopp::Patch::json(json::parse(R"([{"op":"remove","path":"/data/extra"}])")));
    CHECK_FALSE(json_patched.data.contains("extra"));

    auto strategic = co_await configmaps.patch(
        "settings", kopp::Patch::strategic(json::parse(R"({"metadata":{"labels":{"tier":"cache"}}})")));
    CHECK(strategic.metadata.labels.at("tier") == "cache");
    CHECK(strategic.metadata.labels.at("app") == "kopp");

    auto selected = co_await configmaps.list(kopp::ListParams().labels("app=kopp,tier=cache"));
    REQUIRE(selected.items.size() == 1);
    CHECK(selected.items[0].metadata.name == "settings");
    CHECK_FALSE(selected.metadata.resourceVersion.empty());

    auto deleted = co_await configmaps.delete_("settings");
    CHECK(deleted.index() <= 1);
    auto awaited_3 =
        co_await configmaps.get_opt("settings");  // co_await outside Catch macros: GCC 12 evaluates it twice there
    CHECK_FALSE(awaited_3.has_value());
    try {
      co_await configmaps.get("settings");
      FAIL("get of a deleted ConfigMap succeeded");
    } catch (const kopp::api_error& e) {
      CHECK(kopp::is_not_found(e));
      REQUIRE(e.status());
      CHECK(e.status()->reason == "NotFound");
      CHECK(std::string(e.what()).find("configmaps \"settings\" not found") != std::string::npos);
    }
  });
}

TEST_CASE("Namespace: cluster-scoped create, get and delete", "[integration]") {
  run<void>([&]() -> awaitable<void> {
    kopp::Client client(co_await boost::asio::this_coro::executor, admin_config());
    auto namespaces = kopp::Api<Namespace>::all(client);
    Namespace created;
    created.metadata.name = unique_name("kopp-ns");
    created = co_await namespaces.create(created);
    // Fields the type does not declare (spec.finalizers, status.phase) are kept.
    CHECK(created.unknown_fields.fields.contains("status"));
    auto all = co_await namespaces.list();
    CHECK(std::any_of(all.items.begin(), all.items.end(),
                      [&](const Namespace& n) { return n.metadata.name == created.metadata.name; }));
    auto gone = co_await namespaces.delete_(created.metadata.name);
    // A namespace is finalized by the namespace controller: the answer is the object,
    // now terminating.
    REQUIRE(std::holds_alternative<Namespace>(gone));
    CHECK(std::get<Namespace>(gone).metadata.deletionTimestamp.has_value());
  });
}

TEST_CASE("list pages with limit=2 over 5 objects, transparently", "[integration]") {
  TestNamespace ns("kopp-page");
  run<void>([&]() -> awaitable<void> {
    kopp::Client client(co_await boost::asio::this_coro::executor, admin_config());
    kopp::Api<ConfigMap> configmaps(client, ns.name());
    for (int i = 0; i < 5; ++i) {
      ConfigMap cm;
      cm.metadata.name = "page-" + std::to_string(i);
      cm.metadata.labels["set"] = "paging";
      co_await configmaps.create(cm);
    }
    const auto before = client.requests_sent();
    auto page = co_await configmaps.list_page(kopp::ListParams().labels("set=paging").limit(2));
    CHECK(page.items.size() == 2);
    CHECK_FALSE(page.metadata.continue_.empty());

    auto all = co_await configmaps.list(kopp::ListParams().labels("set=paging").limit(2));
    REQUIRE(all.items.size() == 5);
    for (int i = 0; i < 5; ++i) CHECK(all.items[i].metadata.name == "page-" + std::to_string(i));
    CHECK(all.metadata.continue_.empty());
    // 1 request for list_page, 3 pages for list.
    CHECK(client.requests_sent() - before == 4);
  });
}

TEST_CASE("replace with a stale resourceVersion is a conflict", "[integration]") {
  TestNamespace ns("kopp-conflict");
  run<void>([&]() -> awaitable<void> {
    kopp::Client client(co_await boost::asio::this_coro::executor, admin_config());
    kopp::Api<ConfigMap> configmaps(client, ns.name());
    ConfigMap cm;
    cm.metadata.name = "contended";
    auto first = co_await configmaps.create(cm);
    auto second = first;
    first.data["writer"] = "one";
    co_await configmaps.replace(first);
    second.data["writer"] = "two";
    try {
      co_await configmaps.replace(second);
      FAIL("a stale replace succeeded");
    } catch (const kopp::api_error& e) {
      CHECK(kopp::is_conflict(e));
      CHECK(e.http_status() == 409);
      CHECK(std::string(e.what()).find("the object has been modified") != std::string::npos);
    }
    try {
      co_await configmaps.create(cm);
      FAIL("a second create succeeded");
    } catch (const kopp::api_error& e) {
      CHECK(kopp::is_already_exists(e));
    }
    auto awaited_4 =
        co_await configmaps.get("contended");  // co_await outside Catch macros: GCC 12 evaluates it twice there
    CHECK(awaited_4.data.at("writer") == "one");
  });
}

TEST_CASE("server-side apply: two field managers and a conflict", "[integration]") {
  TestNamespace ns("kopp-apply");
  run<void>([&]() -> awaitable<void> {
    kopp::Client client(co_await boost::asio::this_coro::executor, admin_config());
    kopp::Api<ConfigMap> configmaps(client, ns.name());
    ConfigMap mine;
    mine.metadata.name = "applied";
    mine.data["a"] = "from-alice";
    auto applied = co_await configmaps.apply(mine, kopp::PatchParams::apply("alice"));
    CHECK(applied.data.at("a") == "from-alice");

    ConfigMap theirs;
    theirs.metadata.name = "applied";
    theirs.data["b"] = "from-bob";
    applied = co_await configmaps.apply(theirs, kopp::PatchParams::apply("bob"));
    CHECK(applied.data.at("a") == "from-alice");
    CHECK(applied.data.at("b") == "from-bob");
    REQUIRE(applied.metadata.managedFields.size() == 2);

    theirs.data["a"] = "bob-wants-this";
    try {
      co_await configmaps.apply(theirs, kopp::PatchParams::apply("bob"));
      FAIL("apply over another manager's field succeeded without force");
    } catch (const kopp::api_error& e) {
      CHECK(kopp::is_conflict(e));
      REQUIRE(e.status());
      REQUIRE(e.status()->details);
      REQUIRE_FALSE(e.status()->details->causes.empty());
      CHECK(e.status()->details->causes[0].field == ".data.a");
      CHECK(std::string(e.what()).find("alice") != std::string::npos);
    }
    applied = co_await configmaps.apply(theirs, kopp::PatchParams::apply("bob").forced());
    CHECK(applied.data.at("a") == "bob-wants-this");
  });
}
