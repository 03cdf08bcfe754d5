// Discovery against a scripted server: documents of the wrong shape fail with an error
// naming the path (never an unchecked as_object()), entries of the wrong shape are
// skipped, and a group or version that could change the request path is refused before
// any request.
#include "support/fake_server.hpp"

#include <kopp/client.hpp>
#include <kopp/client/discovery.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

using namespace kopp_test;
using boost::asio::awaitable;

namespace {

/// The error an awaitable throws, as {code, message}; {{}, ""} when it did not throw.
template <class T>
awaitable<std::pair<boost::system::error_code, std::string>> error_of(awaitable<T> op) {
  try {
    (void)co_await std::move(op);
  } catch (const kopp::api_error& e) {
    co_return std::pair{e.code(), std::string(e.what())};
  }
  co_return std::pair{boost::system::error_code(), std::string()};
}

}  // namespace

TEST_CASE("discovery: a document that is not an object fails naming the path", "[client][discovery]") {
  with_server([](FakeServer& server) -> awaitable<void> {
    server.script({http_response(200, R"(["not", "an", "object"])")});
    server.script({http_response(200, R"("a string")")});
    kopp::Client client(co_await boost::asio::this_coro::executor, config_for(server));
    kopp::Discovery discovery(client);
    // Awaitables are named before they enter co_await (GCC 12, docs/architecture.md).
    auto listing = discovery.group_versions();
    const auto versions = co_await error_of(std::move(listing));
    CHECK(versions.first == kopp::make_error_code(kopp::errc::malformed_response));
    CHECK(versions.second.find("/api") != std::string::npos);
    auto reading = discovery.resources("apps/v1");
    const auto resources = co_await error_of(std::move(reading));
    CHECK(resources.first == kopp::make_error_code(kopp::errc::malformed_response));
    CHECK(resources.second.find("/apis/apps/v1") != std::string::npos);
  });
}

TEST_CASE("discovery: entries of the wrong shape are skipped, the rest is used", "[client][discovery]") {
  with_server([](FakeServer& server) -> awaitable<void> {
    server.script({http_response(200, R"({"versions":["v1", 7]})")});
    server.script(
        {http_response(200, R"({"groups":[3, "x", {"name":"apps","versions":[1, {"groupVersion":"apps/v1"}],)"
                            R"("preferredVersion":"not-an-object"}, {"preferredVersion":{"groupVersion":"batch/v1"},)"
                            R"("versions":[{"groupVersion":"batch/v1"},{"groupVersion":"batch/v2"}]}]})")});
    server.script({http_response(200, R"({"resources":[1, "x", {"name":"deployments","kind":"Deployment",)"
                                      R"("namespaced":true}, {"name":"deployments/scale","kind":"Scale"},)"
                                      R"({"name":5,"kind":"Broken"}]})")});
    kopp::Client client(co_await boost::asio::this_coro::executor, config_for(server));
    kopp::Discovery discovery(client);
    const auto versions = co_await discovery.group_versions();
    CHECK(versions == std::vector<std::string>{"v1", "apps/v1", "batch/v1", "batch/v2"});
    const auto resources = co_await discovery.resources("apps/v1");
    REQUIRE(resources.size() == 1);
    CHECK(resources[0].plural == "deployments");
    CHECK(resources[0].namespaced);
  });
}

TEST_CASE("discovery: a group or version that is not a name is refused before any request", "[client][discovery]") {
  with_server([](FakeServer& server) -> awaitable<void> {
    kopp::Client client(co_await boost::asio::this_coro::executor, config_for(server));
    kopp::Discovery discovery(client);
    for (const char* bad : {"../api/v1", "apps/v1?watch=1", "apps/../v1", "Apps/v1", "/v1", "apps/", "apps/v1/x",
                            "apps/v 1", "apps%2fx/v1"}) {
      auto reading = discovery.resources(bad);
      const auto error = co_await error_of(std::move(reading));
      CHECK(error.first == kopp::make_error_code(kopp::errc::bad_request));
      CHECK(error.second.find(bad) != std::string::npos);
    }
    kopp::GroupVersionKind gvk;
    gvk.group = "x/../y";
    gvk.version = "v1";
    gvk.kind = "Thing";
    auto resolving = discovery.resolve(gvk);
    const auto resolved = co_await error_of(std::move(resolving));
    CHECK(resolved.first == kopp::make_error_code(kopp::errc::bad_request));
    CHECK(server.requests().empty());
  });
}
