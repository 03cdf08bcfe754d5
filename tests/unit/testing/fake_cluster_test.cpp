// kopp::testing::FakeCluster: the real kopp::Client over the in-memory API server, its
// fault injection and its record of requests. (The API server's semantics are tested in
// fake_api_server_test.cpp and, against the real kube-apiserver, by tests/scenarios.)

#include <kopp/api/core/v1.hpp>
#include <kopp/client.hpp>
#include <kopp/testing/fake_cluster.hpp>
#include <kopp/testing/run.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

namespace {

using kopp::api::core::v1::ConfigMap;
using kopp::testing::FakeCluster;
using kopp::testing::Fault;
using kopp::testing::RequestMatch;
namespace http = boost::beast::http;

ConfigMap config_map(std::string name, std::string value) {
  ConfigMap object;
  object.metadata.name = std::move(name);
  object.data = std::map<std::string, std::string>{{"key", std::move(value)}};
  return object;
}

/// The errc a coroutine failed with, or nullopt when it succeeded.
template <class Body>
std::optional<boost::system::error_code> failure_of(Body body) {
  try {
    kopp::testing::run(std::move(body));
  } catch (const kopp::api_error& e) {
    return e.code();
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("parse_request_target takes a request's path apart", "[fake_cluster]") {
  using kopp::testing::detail::parse_request_target;
  auto pod = parse_request_target(http::verb::get, "/api/v1/namespaces/default/pods/web/status");
  CHECK(pod.group.empty());
  CHECK(pod.version == "v1");
  CHECK(pod.namespace_ == "default");
  CHECK(pod.resource == "pods");
  CHECK(pod.name == "web");
  CHECK(pod.subresource == "status");
  CHECK_FALSE(pod.watch);

  auto deployments = parse_request_target(http::verb::get, "/apis/apps/v1/deployments?watch=true&timeoutSeconds=5");
  CHECK(deployments.group == "apps");
  CHECK(deployments.resource == "deployments");
  CHECK(deployments.namespace_.empty());
  CHECK(deployments.watch);
  CHECK(deployments.query == "watch=true&timeoutSeconds=5");

  auto ns = parse_request_target(http::verb::put, "/api/v1/namespaces/team-a/finalize");
  CHECK(ns.resource == "namespaces");
  CHECK(ns.name == "team-a");
  CHECK(ns.subresource == "finalize");
  CHECK(ns.namespace_.empty());

  auto in_namespace = parse_request_target(http::verb::get, "/api/v1/namespaces/team-a");
  CHECK(in_namespace.resource == "namespaces");
  CHECK(in_namespace.name == "team-a");

  auto discovery = parse_request_target(http::verb::get, "/apis");
  CHECK(discovery.resource.empty());
}

TEST_CASE("the real client creates, reads and updates objects in the fake cluster", "[fake_cluster]") {
  FakeCluster cluster;
  const auto [created, fetched, updated] =
      kopp::testing::run([&]() -> boost::asio::awaitable<std::tuple<ConfigMap, ConfigMap, ConfigMap>> {
        auto client = cluster.client(co_await boost::asio::this_coro::executor);
        kopp::Api<ConfigMap> config_maps(*client, "default");
        ConfigMap made = co_await config_maps.create(config_map("settings", "one"));
        ConfigMap read = co_await config_maps.get("settings");
        read.data = std::map<std::string, std::string>{{"key", "two"}};
        ConfigMap changed = co_await config_maps.replace(read);
        co_return std::tuple{made, read, changed};
      });
  CHECK_FALSE(created.metadata.uid.empty());
  CHECK(fetched.metadata.uid == created.metadata.uid);
  CHECK(std::stoull(updated.metadata.resourceVersion) > std::stoull(created.metadata.resourceVersion));
  CHECK(updated.data.at("key") == "two");
  const auto object = cluster.server().object("/api/v1/namespaces/default/configmaps/settings");
  REQUIRE(object);
  CHECK(object->at("data").at("key") == "two");
  CHECK(cluster.count(RequestMatch().verb(http::verb::put).on("configmaps", "settings")) == 1);
}

// [doc:fake-cluster-fault] (docs/testing.md shows this)
TEST_CASE("a status fault answers for the server, which does not act", "[fake_cluster]") {
  FakeCluster cluster;
  cluster.inject(RequestMatch().verb(http::verb::post).on("configmaps"), Fault::status(409));
  const auto error = failure_of([&]() -> boost::asio::awaitable<void> {
    auto client = cluster.client(co_await boost::asio::this_coro::executor);
    kopp::Api<ConfigMap> config_maps(*client, "default");
    co_await config_maps.create(config_map("settings", "one"));
  });
  REQUIRE(error);
  CHECK(*error == kopp::make_error_code(kopp::errc::conflict));
  CHECK_FALSE(cluster.server().object("/api/v1/namespaces/default/configmaps/settings"));
  const auto requests = cluster.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].faulted);
  CHECK(requests[0].status == 409);
}
// [/doc]

TEST_CASE("a fault hits the nth matching request, `times` times, and no other", "[fake_cluster]") {
  FakeCluster cluster;
  // The second and third GET of "settings" fail with 500; the client retries GETs on 5xx.
  cluster.inject(RequestMatch().verb(http::verb::get).on("configmaps", "settings"), Fault::status(500), 2, 2);
  kopp::ClientOptions options;
  options.retry_backoff = kopp::BackoffPolicy{std::chrono::milliseconds(1), std::chrono::milliseconds(1), 1.0, 0.0};
  kopp::testing::run([&]() -> boost::asio::awaitable<void> {
    auto client = cluster.client(co_await boost::asio::this_coro::executor, options);
    kopp::Api<ConfigMap> config_maps(*client, "default");
    co_await config_maps.create(config_map("settings", "one"));
    co_await config_maps.get("settings");
    co_await config_maps.get("settings");
  });
  std::vector<unsigned> statuses;
  for (const auto& request : cluster.requests())
    if (request.method == http::verb::get) statuses.push_back(request.status);
  CHECK(statuses == std::vector<unsigned>{200, 500, 500, 200});
}

TEST_CASE("429 with Retry-After is retried after the wait the server asked for", "[fake_cluster]") {
  FakeCluster cluster;
  cluster.inject(RequestMatch().verb(http::verb::post), Fault::too_many_requests(std::chrono::seconds(1)));
  const auto start = std::chrono::steady_clock::now();
  kopp::testing::run([&]() -> boost::asio::awaitable<void> {
    auto client = cluster.client(co_await boost::asio::this_coro::executor);
    kopp::Api<ConfigMap> config_maps(*client, "default");
    co_await config_maps.create(config_map("settings", "one"));
  });
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::seconds(1));
  CHECK(cluster.count(RequestMatch().verb(http::verb::post)) == 2);
  CHECK(cluster.server().object("/api/v1/namespaces/default/configmaps/settings"));
}

TEST_CASE("a connection dropped before the server leaves nothing behind; after it, the write happened",
          "[fake_cluster]") {
  FakeCluster cluster;
  cluster.inject(RequestMatch().verb(http::verb::post).on("configmaps", "").where([](const auto& r) {
    return r.body.find("\"before\"") != std::string::npos;
  }),
                 Fault::connection_dropped());
  cluster.inject(RequestMatch().verb(http::verb::post).where([](const auto& r) {
    return r.body.find("\"after\"") != std::string::npos;
  }),
                 Fault::connection_dropped_after_write());
  const auto before = failure_of([&]() -> boost::asio::awaitable<void> {
    auto client = cluster.client(co_await boost::asio::this_coro::executor);
    kopp::Api<ConfigMap> config_maps(*client, "default");
    co_await config_maps.create(config_map("before", "x"));
  });
  const auto after = failure_of([&]() -> boost::asio::awaitable<void> {
    auto client = cluster.client(co_await boost::asio::this_coro::executor);
    kopp::Api<ConfigMap> config_maps(*client, "default");
    co_await config_maps.create(config_map("after", "x"));
  });
  // POST is not idempotent: the client reports the broken connection instead of re-sending.
  REQUIRE(before);
  REQUIRE(after);
  CHECK(*before == boost::system::error_code(boost::asio::error::connection_reset));
  CHECK_FALSE(cluster.server().object("/api/v1/namespaces/default/configmaps/before"));
  CHECK(cluster.server().object("/api/v1/namespaces/default/configmaps/after"));
}

TEST_CASE("an idempotent request on a dropped connection is retried by the client", "[fake_cluster]") {
  FakeCluster cluster;
  cluster.inject(RequestMatch().verb(http::verb::get), Fault::connection_dropped());
  kopp::ClientOptions options;
  options.retry_backoff = kopp::BackoffPolicy{std::chrono::milliseconds(1), std::chrono::milliseconds(1), 1.0, 0.0};
  const auto listed = kopp::testing::run([&]() -> boost::asio::awaitable<std::size_t> {
    auto client = cluster.client(co_await boost::asio::this_coro::executor, options);
    kopp::Api<ConfigMap> config_maps(*client, "default");
    co_await config_maps.create(config_map("settings", "one"));
    auto list = co_await config_maps.list();
    co_return list.items.size();
  });
  CHECK(listed == 1);
  CHECK(cluster.count(RequestMatch().verb(http::verb::get)) == 2);
}

TEST_CASE("a delay fault holds the request, then the server answers", "[fake_cluster]") {
  FakeCluster cluster;
  cluster.inject(RequestMatch().verb(http::verb::post), Fault::delay(std::chrono::milliseconds(200)));
  const auto start = std::chrono::steady_clock::now();
  kopp::testing::run([&]() -> boost::asio::awaitable<void> {
    auto client = cluster.client(co_await boost::asio::this_coro::executor);
    kopp::Api<ConfigMap> config_maps(*client, "default");
    co_await config_maps.create(config_map("settings", "one"));
  });
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(200));
  const auto requests = cluster.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].status == 201);
}

TEST_CASE("a watch over the fake cluster streams the changes and ends at its timeout", "[fake_cluster]") {
  FakeCluster cluster;
  const auto events = kopp::testing::run([&]() -> boost::asio::awaitable<std::vector<std::string>> {
    auto client = cluster.client(co_await boost::asio::this_coro::executor);
    kopp::Api<ConfigMap> config_maps(*client, "default");
    ConfigMap made = co_await config_maps.create(config_map("settings", "one"));
    auto watch = co_await config_maps.watch(kopp::ListParams().at_version(made.metadata.resourceVersion).timeout(1));
    ConfigMap changed = made;
    changed.data = std::map<std::string, std::string>{{"key", "two"}};
    co_await config_maps.replace(changed);
    co_await config_maps.delete_("settings");
    std::vector<std::string> seen;
    while (auto event = co_await watch.next())
      seen.push_back(std::string(kopp::to_string(event->type)) + " " + event->object.metadata.name);
    co_return seen;
  });
  CHECK(events == std::vector<std::string>{"MODIFIED settings", "DELETED settings"});
}

TEST_CASE("closing a watch wakes its pending read, which ends the watch", "[fake_cluster]") {
  FakeCluster cluster;
  const bool ended = kopp::testing::run(
      [&]() -> boost::asio::awaitable<bool> {
        auto executor = co_await boost::asio::this_coro::executor;
        auto client = cluster.client(executor);
        kopp::Api<ConfigMap> config_maps(*client, "default");
        auto watch = co_await config_maps.watch(kopp::ListParams().at_version("1"));
        boost::asio::steady_timer timer(executor, std::chrono::milliseconds(50));
        timer.async_wait([&](boost::system::error_code) { watch.close(); });
        auto event = co_await watch.next();
        co_return !event.has_value();
      },
      std::chrono::seconds(10));
  CHECK(ended);
}

TEST_CASE("create() sets a test up without a client: a CRD, then its custom resource, past the record",
          "[fake_cluster]") {
  FakeCluster cluster;
  const auto crd = boost::json::parse(R"({
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "gadgets.example.com"},
    "spec": {"group": "example.com", "scope": "Namespaced",
             "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget"},
             "versions": [{"name": "v1", "served": true, "storage": true,
                           "schema": {"openAPIV3Schema": {"type": "object",
                                                          "x-kubernetes-preserve-unknown-fields": true}}}]}})")
                       .as_object();
  const boost::json::object stored_crd = cluster.create(crd);
  CHECK_FALSE(stored_crd.at("metadata").at("uid").as_string().empty());

  const auto gadget =
      boost::json::parse(R"({"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": "g"}, "size": 2})")
          .as_object();
  const boost::json::object stored = cluster.create(gadget);
  CHECK(stored.at("metadata").at("namespace").as_string() == "default");  // none given: "default"
  CHECK(stored.at("size").as_int64() == 2);
  CHECK(cluster.requests().empty());  // setup is not in the record of requests

  // The client sees what create() stored.
  const std::string size = cluster.with_client([](kopp::Client& client) -> boost::asio::awaitable<std::string> {
    kopp::ApiResource gadgets;
    gadgets.group = "example.com";
    gadgets.version = "v1";
    gadgets.kind = "Gadget";
    gadgets.plural = "gadgets";
    kopp::DynamicApi api(client, gadgets, "default");
    const auto found = co_await api.get("g");
    co_return boost::json::serialize(found.at("size"));
  });
  CHECK(size == "2");
  CHECK(cluster.requests().size() == 1);

  CHECK_THROWS_WITH(cluster.create(gadget),
                    Catch::Contains("Gadget g") && Catch::Contains("HTTP 409") && Catch::Contains("AlreadyExists"));
  const auto widget =
      boost::json::parse(R"({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}})")
          .as_object();
  CHECK_THROWS_WITH(cluster.create(widget), Catch::Contains("Widget w") &&
                                                Catch::Contains("does not serve kind Widget") &&
                                                Catch::Contains("install its CustomResourceDefinition first"));
  const auto nameless = boost::json::parse(R"({"metadata": {"name": "x"}})").as_object();
  CHECK_THROWS_WITH(cluster.create(nameless), Catch::Contains("apiVersion and kind are required"));
}

TEST_CASE("with_client returns what its coroutine returns and rethrows what it throws", "[fake_cluster]") {
  FakeCluster cluster;
  const ConfigMap created = cluster.with_client([](kopp::Client& client) -> boost::asio::awaitable<ConfigMap> {
    kopp::Api<ConfigMap> config_maps(client, "default");
    const ConfigMap object = config_map("settings", "slow");
    co_return co_await config_maps.create(object);
  });
  CHECK(created.metadata.name == "settings");
  const auto get_missing = [](kopp::Client& client) -> boost::asio::awaitable<ConfigMap> {
    kopp::Api<ConfigMap> config_maps(client, "default");
    co_return co_await config_maps.get("missing");
  };
  CHECK_THROWS_AS(cluster.with_client(get_missing), kopp::api_error);
}

TEST_CASE("a write whose effect another thread saw is already in requests() and count()", "[fake_cluster]") {
  // A watch's ready callback runs on the writing thread, inside the server's handling of the
  // write and before the request is recorded. This one tells the test's thread that the
  // effect is visible, then holds the writer there: count() must wait for the record, not
  // miss the write (memcached.unit's request counts failed on that in a loaded CI run).
  FakeCluster cluster;
  kopp::testing::FakeRequest watch_request;
  watch_request.target = "/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=" +
                         std::to_string(cluster.server().resource_version());
  auto opened = cluster.server().open_watch(watch_request);
  REQUIRE(std::holds_alternative<std::shared_ptr<kopp::testing::FakeWatch>>(opened));
  auto watch = std::get<std::shared_ptr<kopp::testing::FakeWatch>>(opened);
  std::promise<void> effect_visible;
  std::atomic<bool> first = true;
  watch->on_ready([&] {
    if (!first.exchange(false)) return;
    effect_visible.set_value();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  });
  std::thread writer([&] {
    cluster.with_client([](kopp::Client& client) -> boost::asio::awaitable<void> {
      kopp::Api<ConfigMap> config_maps(client, "default");
      const ConfigMap object = config_map("seen", "x");
      co_await config_maps.create(object);
    });
  });
  effect_visible.get_future().wait();
  const auto creates = cluster.count(RequestMatch().verb(http::verb::post).on("configmaps"));
  const auto recorded = cluster.requests().size();
  writer.join();
  watch->cancel();
  CHECK(creates == 1);
  CHECK(recorded == 1);
}
