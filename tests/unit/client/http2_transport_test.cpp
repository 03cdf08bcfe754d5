// kopp::Http2Transport's failure handling against a scripted HTTP/2 server
// (tests/support/fake_http2_server.hpp): what the real kube-apiserver cannot be made to do
// on demand. The transport's normal operation is proven against kube-apiserver
// (tests/integration/http2_test.cpp and every other integration test, HTTP/2 being the
// default).
#include "support/fake_http2_server.hpp"
#include "support/fake_server.hpp"
#include "support/test_types.hpp"

#include <kopp/client/api.hpp>
#include <kopp/client/http2_transport.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>

#include <catch2/catch.hpp>

#include <ctime>
#include <future>
#include <thread>

using namespace kopp_test;
using namespace std::chrono_literals;
using boost::asio::awaitable;

namespace {

// A named object, not `kopp::Credential{}` inside co_await: GCC 12 miscompiles brace-
// initialised temporaries there (docs/architecture.md).
const kopp::Credential no_credential;

kopp::Config config_for(const FakeHttp2Server& server) {
  kopp::Config config;
  config.server = server.url();
  config.qps = 0;
  config.insecure_skip_tls_verify = true;
  config.credentials = kopp::static_token("fake-token");
  return config;
}

kopp::TransportOptions quiet_options() {
  kopp::TransportOptions options;
  options.on_warning = [](std::string_view) {};
  return options;
}

kopp::HttpRequest get(std::string target) {
  kopp::HttpRequest request;
  request.target = std::move(target);
  return request;
}

kopp::HttpRequest post(std::string target, std::string body) {
  kopp::HttpRequest request;
  request.method = boost::beast::http::verb::post;
  request.target = std::move(target);
  request.body = std::move(body);
  request.content_type = "application/json";
  return request;
}

bool contains(const std::exception& e, std::string_view text) {
  return std::string_view(e.what()).find(text) != std::string_view::npos;
}

/// Runs body(server, transport) on an io_context of its own; rethrows what it threw.
template <class F>
void with_http2(F body, kopp::TransportOptions options = quiet_options()) {
  boost::asio::io_context io;
  FakeHttp2Server server(io.get_executor());
  kopp::Http2Transport transport(io.get_executor(), config_for(server), options);
  std::exception_ptr failure;
  boost::asio::co_spawn(io, body(server, transport), [&](std::exception_ptr e) {
    failure = e;
    server.stop();
  });
  io.run();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace

TEST_CASE("HTTP/2: requests share one connection; bodies go both ways", "[client][http2]") {
  with_http2([](FakeHttp2Server& server, kopp::Http2Transport& transport) -> awaitable<void> {
    server.script(Http2Action::respond(200, R"({"first":true})"));
    server.script(Http2Action::respond(201, R"({"created":true})"));
    auto first = co_await transport.send(get("/api/v1/namespaces"), no_credential);
    CHECK(first.status == 200);
    CHECK(first.body == R"({"first":true})");
    CHECK(first.content_type == "application/json");
    auto second = co_await transport.send(post("/api/v1/namespaces", R"({"kind":"Namespace"})"), no_credential);
    CHECK(second.status == 201);
    REQUIRE(server.requests().size() == 2);
    CHECK(server.requests()[1].method == "POST");
    CHECK(server.requests()[1].body == R"({"kind":"Namespace"})");
    CHECK(server.connections() == 1);
    CHECK_FALSE(transport.uses_http1());
  });
}

TEST_CASE("HTTP/2: a stream refused by GOAWAY is sent again on a new connection, even a POST", "[client][http2]") {
  with_http2([](FakeHttp2Server& server, kopp::Http2Transport& transport) -> awaitable<void> {
    server.script(Http2Action::of(Http2Action::Kind::goaway));
    server.script(Http2Action::respond(201, R"({"created":true})"));
    auto response = co_await transport.send(post("/api/v1/namespaces", "{}"), no_credential);
    CHECK(response.status == 201);
    CHECK(server.connections() == 2);
    REQUIRE(server.requests().size() == 2);
    CHECK(server.requests()[0].connection == 1);
    CHECK(server.requests()[1].connection == 2);
    // The GOAWAY'd connection takes no new streams.
    co_await transport.send(get("/version"), no_credential);
    CHECK(server.requests().back().connection == 2);
  });
}

TEST_CASE("HTTP/2: a stream reset by the server fails alone; the connection goes on", "[client][http2]") {
  with_http2([](FakeHttp2Server& server, kopp::Http2Transport& transport) -> awaitable<void> {
    server.script(Http2Action::of(Http2Action::Kind::reset, 2 /* INTERNAL_ERROR */));
    bool threw = false;
    try {
      co_await transport.send(post("/api/v1/namespaces", "{}"), no_credential);
    } catch (const kopp::api_error& e) {
      threw = true;
      CHECK(e.code() == kopp::make_error_code(kopp::errc::stream_reset));
      CHECK(contains(e, "POST https://127.0.0.1:"));
      CHECK(contains(e, "INTERNAL_ERROR"));
    }
    CHECK(threw);
    auto next = co_await transport.send(get("/version"), no_credential);
    CHECK(next.status == 200);
    CHECK(server.connections() == 1);
  });
}

TEST_CASE("HTTP/2: a connection that stops answering is noticed by PING and the GET retried", "[client][http2]") {
  auto options = quiet_options();
  options.http2_read_idle_timeout = 100ms;
  options.http2_ping_timeout = 200ms;
  options.request_timeout = 30s;  // the health check, not the request's timeout, ends the wait
  with_http2(
      [](FakeHttp2Server& server, kopp::Http2Transport& transport) -> awaitable<void> {
        co_await transport.send(get("/version"), no_credential);
        server.script(Http2Action::of(Http2Action::Kind::freeze));
        const auto start = std::chrono::steady_clock::now();
        auto response = co_await transport.send(get("/version"), no_credential);
        CHECK(response.status == 200);
        CHECK(std::chrono::steady_clock::now() - start < 5s);
        CHECK(server.connections() == 2);
        CHECK(transport.connections() == 1);
      },
      options);
}

TEST_CASE("HTTP/2: a cancelled request resets its stream at once; the connection goes on", "[client][http2]") {
  with_http2([](FakeHttp2Server& server, kopp::Http2Transport& transport) -> awaitable<void> {
    server.script(Http2Action::of(Http2Action::Kind::hold));
    auto executor = co_await boost::asio::this_coro::executor;
    boost::asio::cancellation_signal signal;
    std::exception_ptr outcome;
    bool done = false;
    auto record = [&](std::exception_ptr e, kopp::HttpResponse) {
      outcome = e;
      done = true;
    };
    boost::asio::co_spawn(executor, transport.send(get("/never-answered"), no_credential),
                          boost::asio::bind_cancellation_slot(signal.slot(), record));
    boost::asio::steady_timer timer(executor);
    timer.expires_after(50ms);
    co_await timer.async_wait(boost::asio::use_awaitable);
    CHECK_FALSE(done);
    signal.emit(boost::asio::cancellation_type::terminal);
    timer.expires_after(50ms);
    co_await timer.async_wait(boost::asio::use_awaitable);
    CHECK(done);
    bool aborted = false;
    try {
      if (outcome) std::rethrow_exception(outcome);
    } catch (const kopp::api_error& e) {
      aborted = e.code() == boost::asio::error::operation_aborted;
    }
    CHECK(aborted);
    auto next = co_await transport.send(get("/version"), no_credential);
    CHECK(next.status == 200);
    CHECK(server.cancelled_streams() == 1);
    CHECK(server.connections() == 1);
  });
}

TEST_CASE("HTTP/2: a POST whose connection dies unanswered is not sent again", "[client][http2]") {
  auto options = quiet_options();
  options.http2_read_idle_timeout = 100ms;
  options.http2_ping_timeout = 200ms;
  with_http2(
      [](FakeHttp2Server& server, kopp::Http2Transport& transport) -> awaitable<void> {
        server.script(Http2Action::of(Http2Action::Kind::freeze));
        bool threw = false;
        try {
          co_await transport.send(post("/api/v1/namespaces", "{}"), no_credential);
        } catch (const kopp::api_error& e) {
          threw = true;
          CHECK(e.code() == kopp::make_error_code(kopp::errc::timeout));
          CHECK(contains(e, "no answer to a PING"));
        }
        CHECK(threw);
        CHECK(server.requests().size() == 1);
      },
      options);
}

TEST_CASE("HTTP/2: limits of TransportOptions hold", "[client][http2]") {
  auto options = quiet_options();
  options.max_response_body_bytes = 1000;
  options.max_header_bytes = 2000;
  with_http2(
      [](FakeHttp2Server& server, kopp::Http2Transport& transport) -> awaitable<void> {
        server.script(Http2Action::respond(200, std::string(5000, 'x')));
        auto big_header = Http2Action::respond(200, "{}");
        big_header.header_name = "x-filler";
        big_header.header_value = std::string(4000, 'y');
        server.script(big_header);
        for (const char* limit : {"max_response_body_bytes", "max_header_bytes"}) {
          bool threw = false;
          try {
            co_await transport.send(get("/api/v1/configmaps"), no_credential);
          } catch (const kopp::api_error& e) {
            threw = true;
            CHECK(e.code() == kopp::make_error_code(kopp::errc::response_too_large));
            CHECK(contains(e, limit));
          }
          CHECK(threw);
        }
        auto after = co_await transport.send(get("/version"), no_credential);
        CHECK(after.status == 200);
      },
      options);
}

TEST_CASE("HTTP/2: a streaming response is read as it arrives; closing it resets only its stream", "[client][http2]") {
  with_http2([](FakeHttp2Server& server, kopp::Http2Transport& transport) -> awaitable<void> {
    server.script(Http2Action::respond(200, "line one\nline two\n"));
    auto stream = co_await transport.open_stream(get("/api/v1/configmaps?watch=true"), no_credential);
    CHECK(stream->status() == 200);
    auto body = co_await stream->read_all();
    CHECK(body == "line one\nline two\n");
    stream->close();
    auto next = co_await transport.send(get("/version"), no_credential);
    CHECK(next.status == 200);
    CHECK(server.connections() == 1);
  });
}

TEST_CASE("HTTP/2: an idle connection holds no pending operation; one the server closed meanwhile is replaced",
          "[client][http2]") {
  // The server on a thread of its own, so that the client's io_context has only the
  // client's work: run() must return once the response is in, the transport still alive.
  boost::asio::io_context server_io;
  FakeHttp2Server server(server_io.get_executor());
  auto server_work = boost::asio::make_work_guard(server_io);
  std::thread server_thread([&] { server_io.run(); });
  boost::asio::io_context io;
  kopp::Http2Transport transport(io.get_executor(), config_for(server), quiet_options());
  auto version = [&]() -> awaitable<unsigned> {
    auto response = co_await transport.send(get("/version"), no_credential);
    co_return response.status;
  };
  unsigned status = 0;
  std::exception_ptr failure;
  auto done = [&](std::exception_ptr e, unsigned s) {
    failure = e;
    status = s;
  };
  boost::asio::co_spawn(io, version(), done);
  io.run();  // returns: an idle HTTP/2 connection is not being read
  CHECK(status == 200);
  CHECK(transport.connections() == 1);

  std::promise<void> closed;
  boost::asio::post(server_io, [&] {
    server.close_connections();
    closed.set_value();
  });
  closed.get_future().wait();
  std::this_thread::sleep_for(50ms);  // the FIN reaches the client's socket
  status = 0;
  io.restart();
  boost::asio::co_spawn(io, version(), done);
  io.run();
  CHECK(status == 200);

  boost::asio::post(server_io, [&] { server.stop(); });
  server_work.reset();
  server_thread.join();
  if (failure) std::rethrow_exception(failure);
  CHECK(server.connections() == 2);
  REQUIRE(server.requests().size() == 2);
  CHECK(server.requests()[1].connection == 2);  // nothing was written to the closed one
}

TEST_CASE("HTTP/2: a connection that went idle and busy again does not spin", "[client][http2]") {
  // Each request on an idle connection restarts its reader and health check; a health
  // check left over from an earlier reader once kept running beside the new one, and the
  // two woke each other in a busy loop: the process burnt a core while a watch waited.
  with_http2([](FakeHttp2Server& server, kopp::Http2Transport& transport) -> awaitable<void> {
    for (int i = 0; i < 5; ++i) co_await transport.send(get("/version"), no_credential);
    server.script(Http2Action::of(Http2Action::Kind::hold));
    auto executor = co_await boost::asio::this_coro::executor;
    boost::asio::co_spawn(executor, transport.send(get("/held"), no_credential),
                          [](std::exception_ptr, kopp::HttpResponse) {});
    const std::clock_t cpu_before = std::clock();
    boost::asio::steady_timer timer(executor);
    timer.expires_after(500ms);
    co_await timer.async_wait(boost::asio::use_awaitable);
    const double cpu_ms = 1000.0 * static_cast<double>(std::clock() - cpu_before) / CLOCKS_PER_SEC;
    INFO("CPU while one request waited 500 ms: " << cpu_ms << " ms");
    CHECK(cpu_ms < 150);
    server.stop();  // ends the held request
  });
}

TEST_CASE("HTTP/2: a server that does not choose h2 by ALPN gets HTTP/1.1", "[client][http2]") {
  boost::asio::io_context io;
  auto tls = std::make_shared<boost::asio::ssl::context>(boost::asio::ssl::context::tls_server);
  const std::string pki = std::string(KOPP_TEST_DATA_DIR) + "/kubeconfig/pki/";
  tls->use_certificate_chain_file(pki + "client.crt");
  tls->use_private_key_file(pki + "client.key", boost::asio::ssl::context::pem);
  FakeServer server(io.get_executor(), tls);  // HTTP/1.1 only, no ALPN
  server.script({http_response(200, R"({"one":1})")});
  server.script({http_response(200, R"({"two":2})")});
  kopp::Config config;
  config.server = server.url();
  config.insecure_skip_tls_verify = true;
  kopp::Http2Transport transport(io.get_executor(), config, quiet_options());
  std::exception_ptr failure;
  auto body = [&]() -> awaitable<void> {
    auto first = co_await transport.send(get("/version"), no_credential);
    CHECK(first.body == R"({"one":1})");
    auto second = co_await transport.send(get("/version"), no_credential);
    CHECK(second.body == R"({"two":2})");
    CHECK(transport.uses_http1());
    CHECK(transport.connections() == 0);
    // The ALPN probe, then one keep-alive connection for both requests.
    CHECK(server.connections() == 2);
  };
  boost::asio::co_spawn(io, body(), [&](std::exception_ptr e) {
    failure = e;
    server.stop();
  });
  io.run();
  if (failure) std::rethrow_exception(failure);
}
