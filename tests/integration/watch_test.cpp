// Watches against the real kube-apiserver: order of events, bookmarks, resuming.
#include "support/integration.hpp"

using namespace kopp_test;
using boost::asio::awaitable;
namespace json = boost::json;

namespace {
struct Seen {
  kopp::WatchEventType type;
  std::string name;
  std::string mode;
};

awaitable<Seen> next_change(kopp::WatchStream<ConfigMap>& watch) {
  for (;;) {
    auto event = co_await watch.next();
    REQUIRE(event);
    if (event->type == kopp::WatchEventType::bookmark) continue;
    auto it = event->object.data.find("mode");
    co_return Seen{event->type, event->object.metadata.name, it == event->object.data.end() ? "" : it->second};
  }
}
}  // namespace

TEST_CASE("watch sees ADDED, MODIFIED and DELETED in order", "[integration]") {
  TestNamespace ns("kopp-watch");
  run<void>([&]() -> awaitable<void> {
    kopp::Client client(co_await boost::asio::this_coro::executor, admin_config());
    kopp::Api<ConfigMap> configmaps(client, ns.name());
    // The label keeps out kube-root-ca.crt, which kube-controller-manager adds to every
    // new namespace at a moment of its choosing.
    auto start = co_await configmaps.list(kopp::ListParams().labels("test=watch"));
    auto watch = co_await configmaps.watch(
        kopp::ListParams().labels("test=watch").at_version(start.metadata.resourceVersion).timeout(60));

    ConfigMap cm;
    cm.metadata.name = "watched";
    cm.metadata.labels["test"] = "watch";
    cm.data["mode"] = "1";
    auto created = co_await configmaps.create(cm);
    created.data["mode"] = "2";
    co_await configmaps.replace(created);
    co_await configmaps.delete_("watched");

    auto added = co_await next_change(watch);
    CHECK(added.type == kopp::WatchEventType::added);
    CHECK(added.name == "watched");
    CHECK(added.mode == "1");
    auto modified = co_await next_change(watch);
    CHECK(modified.type == kopp::WatchEventType::modified);
    CHECK(modified.mode == "2");
    auto deleted = co_await next_change(watch);
    CHECK(deleted.type == kopp::WatchEventType::deleted);
    CHECK(deleted.name == "watched");
    watch.close();
    auto awaited_1 = co_await watch.next();  // co_await outside Catch macros: GCC 12 evaluates it twice there
    CHECK_FALSE(awaited_1.has_value());
  });
}

TEST_CASE("watch resumes from a bookmark's resourceVersion without losing events", "[integration]") {
  TestNamespace ns("kopp-resume");
  run<void>([&]() -> awaitable<void> {
    kopp::Client client(co_await boost::asio::this_coro::executor, admin_config());
    kopp::Api<ConfigMap> configmaps(client, ns.name());
    ConfigMap before;
    before.metadata.name = "before";
    before.metadata.labels["test"] = "resume";
    co_await configmaps.create(before);

    // A streaming list: the current objects as ADDED, then a BOOKMARK that marks the end
    // of the initial state and carries the resourceVersion to resume from.
    auto watch = co_await configmaps.watch(kopp::ListParams().labels("test=resume").timeout(60).initial_events());
    auto initial = co_await watch.next();
    REQUIRE(initial);
    CHECK(initial->type == kopp::WatchEventType::added);
    CHECK(initial->object.metadata.name == "before");
    auto bookmark = co_await watch.next();
    REQUIRE(bookmark);
    REQUIRE(bookmark->type == kopp::WatchEventType::bookmark);
    const std::string resume_from = bookmark->object.metadata.resourceVersion;
    REQUIRE_FALSE(resume_from.empty());
    CHECK(bookmark->object.metadata.annotations.at("k8s.io/initial-events-end") == "true");
    watch.close();

    // Changes made while nobody watches are delivered when the watch resumes.
    ConfigMap during;
    during.metadata.name = "while-disconnected";
    during.metadata.labels["test"] = "resume";
    co_await configmaps.create(during);
    co_await configmaps.delete_("before");

    auto resumed =
        co_await configmaps.watch(kopp::ListParams().labels("test=resume").at_version(resume_from).timeout(60));
    auto first = co_await next_change(resumed);
    CHECK(first.type == kopp::WatchEventType::added);
    CHECK(first.name == "while-disconnected");
    auto second = co_await next_change(resumed);
    CHECK(second.type == kopp::WatchEventType::deleted);
    CHECK(second.name == "before");
  });
}

TEST_CASE("a watch that the server ends by timeoutSeconds ends cleanly", "[integration]") {
  TestNamespace ns("kopp-timeout");
  run<void>([&]() -> awaitable<void> {
    kopp::Client client(co_await boost::asio::this_coro::executor, admin_config());
    kopp::Api<ConfigMap> configmaps(client, ns.name());
    auto watch = co_await configmaps.watch(kopp::ListParams().labels("test=nothing").bookmarks(false).timeout(1));
    const auto start = std::chrono::steady_clock::now();
    auto awaited_2 = co_await watch.next();  // co_await outside Catch macros: GCC 12 evaluates it twice there
    CHECK_FALSE(awaited_2.has_value());
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(30));
  });
}
