// The client against a scripted server: retries, Retry-After, keep-alive reuse after the
// server closed an idle connection, and broken watch streams.
#include "support/fake_server.hpp"
#include "support/test_types.hpp"

#include <kopp/client.hpp>

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

using namespace kopp_test;
using boost::asio::awaitable;
using namespace std::chrono_literals;

namespace {

const std::string cm_json =
    R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","namespace":"ns","resourceVersion":"5"},"data":{"k":"v"}})";

kopp::ClientOptions fast_retries() {
  kopp::ClientOptions options;
  options.retry_backoff = {1ms, 5ms, 2.0, 0.0};
  options.max_retries = 3;
  return options;
}

/// Runs `body` with a fake server on one io_context.
}  // namespace

TEST_CASE("429 is retried after Retry-After, also for POST", "[client][faults]") {
  with_server([](FakeServer& server) -> awaitable<void> {
    server.script(
        {http_response(429, R"({"kind":"Status","reason":"TooManyRequests","code":429})", "Retry-After: 1\r\n")});
    server.script({http_response(201, cm_json)});
    kopp::Client client(co_await boost::asio::this_coro::executor, config_for(server), fast_retries());
    ConfigMap cm;
    cm.metadata.name = "a";
    const auto start = std::chrono::steady_clock::now();
    auto created = co_await kopp::Api<ConfigMap>(client, "ns").create(cm);
    CHECK(std::chrono::steady_clock::now() - start >= 1s);  // Retry-After honoured
    CHECK(created.data.at("k") == "v");
    REQUIRE(server.requests().size() == 2);
    CHECK(server.requests()[1].method == "POST");
    CHECK(server.requests()[1].authorization == "Bearer fake-token");
  });
}

TEST_CASE("5xx is retried for GET but not for POST", "[client][faults]") {
  with_server([](FakeServer& server) -> awaitable<void> {
    server.script({http_response(503, R"({"kind":"Status","reason":"ServiceUnavailable","code":503})")});
    server.script({http_response(200, cm_json)});
    server.script({http_response(500, R"({"kind":"Status","reason":"InternalError","message":"boom","code":500})")});
    kopp::Client client(co_await boost::asio::this_coro::executor, config_for(server), fast_retries());
    kopp::Api<ConfigMap> api(client, "ns");
    auto got = co_await api.get("a");
    CHECK(got.metadata.resourceVersion == "5");
    try {
      co_await api.create(got);
      FAIL("POST answered 500 did not throw");
    } catch (const kopp::api_error& e) {
      CHECK(e.code() == kopp::make_error_code(kopp::errc::server_error));
      CHECK(std::string(e.what()).find("boom") != std::string::npos);
    }
    CHECK(server.requests().size() == 3);
  });
}

TEST_CASE("retries stop after max_retries and report the last answer", "[client][faults]") {
  with_server([](FakeServer& server) -> awaitable<void> {
    for (int i = 0; i < 4; ++i)
      server.script({http_response(503, R"({"kind":"Status","reason":"ServiceUnavailable","code":503})")});
    kopp::Client client(co_await boost::asio::this_coro::executor, config_for(server), fast_retries());
    try {
      co_await kopp::Api<ConfigMap>(client, "ns").get("a");
      FAIL("no error after exhausting retries");
    } catch (const kopp::api_error& e) {
      CHECK(e.http_status() == 503);
    }
    CHECK(server.requests().size() == 4);  // the first try and 3 retries
  });
}

TEST_CASE("a kept-alive connection closed by the server is replaced transparently", "[client][faults]") {
  with_server([](FakeServer& server) -> awaitable<void> {
    server.script({http_response(200, cm_json), true});  // answer, then close the idle connection
    server.script({http_response(200, cm_json)});
    kopp::ClientOptions no_retries = fast_retries();
    no_retries.max_retries = 0;
    kopp::Client client(co_await boost::asio::this_coro::executor, config_for(server), no_retries);
    kopp::Api<ConfigMap> api(client, "ns");
    co_await api.get("a");
    // Give the close time to arrive so the pooled connection is stale, not in flight.
    boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, 50ms);
    co_await t.async_wait(boost::asio::use_awaitable);
    co_await api.get("a");  // throws (and fails the test) if the stale connection is not replaced
    CHECK(server.connections() == 2);
  });
}

TEST_CASE("a 401 refreshes the credential once", "[client][faults]") {
  struct Rotating : kopp::CredentialProvider {
    int generation = 0;
    kopp::Credential current() override { return {"token-" + std::to_string(generation), {}, {}, {}}; }
    void invalidate() override { ++generation; }
    std::string describe() const override { return "rotating test token"; }
  };
  with_server([](FakeServer& server) -> awaitable<void> {
    server.script({http_response(401, R"({"kind":"Status","reason":"Unauthorized","code":401})")});
    server.script({http_response(200, cm_json)});
    auto config = config_for(server);
    config.credentials = std::make_shared<Rotating>();
    kopp::Client client(co_await boost::asio::this_coro::executor, config, fast_retries());
    co_await kopp::Api<ConfigMap>(client, "ns").get("a");
    REQUIRE(server.requests().size() == 2);
    CHECK(server.requests()[0].authorization == "Bearer token-0");
    CHECK(server.requests()[1].authorization == "Bearer token-1");
  });
}

TEST_CASE("a watch stream cut mid-event is an error after the complete events", "[client][faults]") {
  const std::string event = R"({"type":"ADDED","object":)" + cm_json + "}\n";
  with_server([&](FakeServer& server) -> awaitable<void> {
    server.script({chunked_response({event, event.substr(0, 20)}, false), true});
    kopp::Client client(co_await boost::asio::this_coro::executor, config_for(server), fast_retries());
    auto watch = co_await kopp::Api<ConfigMap>(client, "ns").watch();
    auto first = co_await watch.next();
    REQUIRE(first);
    CHECK(first->type == kopp::WatchEventType::added);
    CHECK(first->object.metadata.name == "a");
    try {
      co_await watch.next();
      FAIL("a truncated stream ended without an error");
    } catch (const kopp::api_error& e) {
      CHECK(e.code() == kopp::make_error_code(kopp::errc::watch_stream_truncated));
    }
    auto awaited_6 = co_await watch.next();  // co_await outside Catch macros: GCC 12 evaluates it twice there
    CHECK_FALSE(awaited_6.has_value());      // over, cleanly
    CHECK(server.requests()[0].target.find("watch=1") != std::string::npos);
  });
}

TEST_CASE("garbage in a watch stream is an error, not a skipped event", "[client][faults]") {
  const std::string event = R"({"type":"ADDED","object":)" + cm_json + "}\n";
  with_server([&](FakeServer& server) -> awaitable<void> {
    server.script({chunked_response({event + "<html>proxy error</html>\n" + event}, true)});
    kopp::Client client(co_await boost::asio::this_coro::executor, config_for(server), fast_retries());
    auto watch = co_await kopp::Api<ConfigMap>(client, "ns").watch();
    auto awaited_7 = co_await watch.next();  // co_await outside Catch macros: GCC 12 evaluates it twice there
    CHECK(awaited_7.has_value());
    try {
      co_await watch.next();
      FAIL("garbage was skipped");
    } catch (const kopp::api_error& e) {
      CHECK(e.code() == kopp::make_error_code(kopp::errc::watch_frame_malformed));
      CHECK(std::string(e.what()).find("proxy error") != std::string::npos);
    }
  });
}

TEST_CASE("a watch event whose object does not fit the type names the JSON path", "[client][faults]") {
  const std::string bad = R"({"type":"MODIFIED","object":{"kind":"ConfigMap","metadata":{"name":"a"},"data":{"k":7}}})";
  with_server([&](FakeServer& server) -> awaitable<void> {
    server.script({chunked_response({bad + "\n"}, true)});
    kopp::Client client(co_await boost::asio::this_coro::executor, config_for(server), fast_retries());
    auto watch = co_await kopp::Api<ConfigMap>(client, "ns").watch();
    try {
      co_await watch.next();
      FAIL("a mistyped object was accepted");
    } catch (const kopp::api_error& e) {
      CHECK(e.code() == kopp::make_error_code(kopp::errc::malformed_response));
      CHECK(std::string(e.what()).find("data.k") != std::string::npos);
    }
  });
}
