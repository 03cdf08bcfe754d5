#include "support/fake_server.hpp"
#include "support/test_types.hpp"

#include <kopp/runtime/controller/action.hpp>
#include <kopp/runtime/controller/object_helpers.hpp>

#include <boost/describe/class.hpp>
#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

using kopp_test::ConfigMap;

namespace {
ConfigMap make(std::string ns, std::string name, std::string uid) {
  ConfigMap cm;
  cm.metadata.namespace_ = std::move(ns);
  cm.metadata.name = std::move(name);
  cm.metadata.uid = std::move(uid);
  return cm;
}
}  // namespace

TEST_CASE("set_controller_reference adds one controller reference, idempotently", "[runtime][owner]") {
  auto owner = make("ns", "owner", "uid-1");
  auto child = make("ns", "child", "");
  kopp::set_controller_reference(owner, child);
  kopp::set_controller_reference(owner, child);
  REQUIRE(child.metadata.ownerReferences.size() == 1);
  const auto& ref = child.metadata.ownerReferences[0];
  CHECK(ref.uid == "uid-1");
  CHECK(ref.kind == "ConfigMap");
  CHECK(ref.apiVersion == "v1");
  CHECK(ref.controller == true);
  CHECK(ref.blockOwnerDeletion == true);
}

TEST_CASE("set_controller_reference refuses a second controller and cross-namespace owners", "[runtime][owner]") {
  auto owner = make("ns", "owner", "uid-1");
  auto other = make("ns", "other", "uid-2");
  auto child = make("ns", "child", "");
  kopp::set_controller_reference(owner, child);
  CHECK_THROWS_AS(kopp::set_controller_reference(other, child), kopp::already_owned_error);
  auto elsewhere = make("elsewhere", "child", "");
  CHECK_THROWS_WITH(kopp::set_controller_reference(owner, elsewhere), Catch::Contains("cannot cross namespaces"));
  auto unsaved = make("ns", "new", "");
  CHECK_THROWS_WITH(kopp::set_controller_reference(unsaved, child), Catch::Contains("has no uid"));
}

TEST_CASE("actions", "[runtime][action]") {
  using namespace std::chrono_literals;
  CHECK_FALSE(kopp::Action::done().requeue());
  CHECK(kopp::Action::requeue_after(5s).requeue() == std::chrono::steady_clock::duration(5s));
  CHECK(kopp::Action::done() == kopp::Action::done());
  CHECK_FALSE(kopp::Action::done() == kopp::Action::requeue_after(1s));
}

// --- patch_status, against a scripted server -------------------------------------------

namespace status_test {

struct WidgetStatus {
  std::int32_t ready = 0;
  std::vector<std::string> nodes;
  std::optional<std::string> phase;
  friend bool operator==(const WidgetStatus&, const WidgetStatus&) = default;
};
BOOST_DESCRIBE_STRUCT(WidgetStatus, (), (ready, nodes, phase))

struct Widget {
  std::string apiVersion = "example.com/v1";
  std::string kind = "Widget";
  kopp::ObjectMeta metadata;
  std::optional<WidgetStatus> status;
};
BOOST_DESCRIBE_STRUCT(Widget, (), (apiVersion, kind, metadata, status))
KOPP_RESOURCE(Widget, "example.com", "v1", "Widget", "widgets", namespaced)

}  // namespace status_test

TEST_CASE("patch_status sends the whole new status and nulls what it dropped; nothing when unchanged",
          "[runtime][status]") {
  using status_test::Widget;
  using status_test::WidgetStatus;
  kopp_test::with_server([](kopp_test::FakeServer& server) -> boost::asio::awaitable<void> {
    server.script({kopp_test::http_response(
        200, R"({"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w","namespace":"ns",)"
             R"("resourceVersion":"8"},"status":{"ready":2}})")});
    kopp::Client client(co_await boost::asio::this_coro::executor, kopp_test::config_for(server));
    kopp::Api<Widget> widgets(client, "ns");
    Widget cached;
    cached.metadata.name = "w";
    cached.metadata.namespace_ = "ns";
    cached.status = WidgetStatus{1, {"a"}, "Running"};

    const Widget same = co_await kopp::patch_status(widgets, cached, *cached.status);
    CHECK(same.metadata.name == "w");
    CHECK(server.requests().empty());  // already so: no request

    WidgetStatus next;
    next.ready = 2;
    const Widget written = co_await kopp::patch_status(widgets, cached, next);
    CHECK(written.metadata.resourceVersion == "8");
    REQUIRE(server.requests().size() == 1);
    const auto& request = server.requests()[0];
    CHECK(request.method == "PATCH");
    CHECK(request.target == "/apis/example.com/v1/namespaces/ns/widgets/w/status");
    // Everything of the new status (ready, also when unchanged it would be), and null for
    // what it no longer has; nothing outside .status.
    CHECK(boost::json::parse(request.body) ==
          boost::json::parse(R"({"status":{"ready":2,"nodes":null,"phase":null}})"));
  });
}
