// The transport against a scripted server, as an attacker or a broken proxy would answer:
// requests that must not be sent twice, interim 1xx answers, unbounded framing and bodies,
// huge Retry-After values, and credentials over plain HTTP.
#include "support/fake_server.hpp"
#include "support/test_types.hpp"

#include <kopp/client.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <catch2/catch.hpp>

using namespace kopp_test;
using boost::asio::awaitable;
using namespace std::chrono_literals;

namespace {

std::string cm_json(int rv) {
  return R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","namespace":"ns","resourceVersion":")" +
         std::to_string(rv) + R"("},"data":{"k":"v"}})";
}

kopp::ClientOptions fast_retries() {
  kopp::ClientOptions options;
  options.retry_backoff = {1ms, 5ms, 2.0, 0.0};
  options.max_retries = 3;
  return options;
}

bool contains(const std::exception& e, std::string_view text) {
  return std::string_view(e.what()).find(text) != std::string_view::npos;
}

}  // namespace

TEST_CASE("a POST whose pooled connection breaks after the write is not sent again", "[client][transport]") {
  with_server([](FakeServer& server) -> awaitable<void> {
    server.script({http_response(201, cm_json(5))});
    server.script({"", true});                        // reads the second POST, then closes without an answer
    server.script({http_response(201, cm_json(6))});  // what a re-sent POST would get
    kopp::Client client(co_await boost::asio::this_coro::executor, config_for(server), fast_retries());
    kopp::Api<ConfigMap> api(client, "ns");
    ConfigMap cm;
    cm.metadata.name = "a";
    co_await api.create(cm);
    bool threw = false;
    try {
      co_await api.create(cm);
    } catch (const kopp::api_error& e) {
      threw = true;
      CHECK(contains(e, "POST"));
    }
    CHECK(threw);
    CHECK(server.requests().size() == 2);  // the server saw the POST exactly once
  });
}

TEST_CASE("a GET whose pooled connection breaks after the write is sent again", "[client][transport]") {
  with_server([](FakeServer& server) -> awaitable<void> {
    server.script({http_response(200, cm_json(5))});
    server.script({"", true});
    server.script({http_response(200, cm_json(6))});
    kopp::ClientOptions no_retries = fast_retries();
    no_retries.max_retries = 0;  // the transport's own re-send, not the client's retry
    kopp::Client client(co_await boost::asio::this_coro::executor, config_for(server), no_retries);
    kopp::Api<ConfigMap> api(client, "ns");
    co_await api.get("a");
    auto second = co_await api.get("a");
    CHECK(second.metadata.resourceVersion == "6");
    CHECK(server.requests().size() == 3);
  });
}

TEST_CASE("interim 1xx responses are skipped and the pooled connection stays in step", "[client][transport]") {
  with_server([](FakeServer& server) -> awaitable<void> {
    server.script({"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n" +
                   http_response(200, cm_json(5))});
    server.script({http_response(200, cm_json(6))});
    kopp::Client client(co_await boost::asio::this_coro::executor, config_for(server), fast_retries());
    kopp::Api<ConfigMap> api(client, "ns");
    auto first = co_await api.get("a");
    auto second = co_await api.get("a");
    CHECK(first.metadata.resourceVersion == "5");
    CHECK(second.metadata.resourceVersion == "6");
    CHECK(server.connections() == 1);
    CHECK(server.requests().size() == 2);
  });
}

TEST_CASE("101 Switching Protocols is an error", "[client][transport]") {
  with_server([](FakeServer& server) -> awaitable<void> {
    server.script({"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n"});
    kopp::Client client(co_await boost::asio::this_coro::executor, config_for(server), fast_retries());
    try {
      co_await kopp::Api<ConfigMap>(client, "ns").get("a");
      FAIL("a 101 was taken as the answer");
    } catch (const kopp::api_error& e) {
      CHECK(e.code() == kopp::make_error_code(kopp::errc::unexpected_status));
      CHECK(contains(e, "101"));
    }
  });
}

TEST_CASE("a status outside 100-599 is an error, not an answer (found by tests/fuzz)", "[client][transport]") {
  with_server([](FakeServer& server) -> awaitable<void> {
    server.script({"HTTP/1.1 000 Nothing\r\nContent-Length: 2\r\n\r\n{}"});
    server.script({"HTTP/1.1 999 Beyond\r\nContent-Type: application/json\r\n\r\n"});
    kopp::Client client(co_await boost::asio::this_coro::executor, config_for(server), fast_retries());
    try {
      kopp::Api<ConfigMap> api(client, "ns");
      co_await api.get("a");
      FAIL("status 000 was taken as the answer");
    } catch (const kopp::api_error& e) {
      CHECK(e.code() == kopp::make_error_code(kopp::errc::unexpected_status));
      CHECK(contains(e, "status 0 is not an HTTP status"));
    }
    kopp::Http1Transport transport(co_await boost::asio::this_coro::executor, config_for(server));
    kopp::HttpRequest request;
    request.target = "/api/v1/namespaces/ns/configmaps?watch=true";
    const kopp::Credential credential;
    try {
      auto stream = co_await transport.open_stream(request, credential);
      FAIL("a watch answered with status 999 was opened");
    } catch (const kopp::api_error& e) {
      CHECK(e.code() == kopp::make_error_code(kopp::errc::unexpected_status));
      CHECK(contains(e, "status 999 is not an HTTP status"));
    }
  });
}

TEST_CASE("Retry-After is clamped when parsed and capped when waited", "[client][transport]") {
  CHECK(kopp::detail::parse_retry_after("3") == std::chrono::seconds(3));
  CHECK(kopp::detail::parse_retry_after("9223372036854775807") == kopp::detail::retry_after_ceiling);
  CHECK(kopp::detail::parse_retry_after("99999999999999999999999999") == kopp::detail::retry_after_ceiling);
  CHECK_FALSE(kopp::detail::parse_retry_after("-1").has_value());
  CHECK_FALSE(kopp::detail::parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT").has_value());
  with_server([](FakeServer& server) -> awaitable<void> {
    server.script(
        {http_response(429, R"({"kind":"Status","reason":"TooManyRequests","code":429})", "Retry-After: 3600\r\n")});
    server.script({http_response(429, R"({"kind":"Status","reason":"TooManyRequests","code":429})",
                                 "Retry-After: 9223372036854775807\r\n")});
    server.script({http_response(200, cm_json(5))});
    auto options = fast_retries();
    options.max_retry_after = 200ms;
    kopp::Client client(co_await boost::asio::this_coro::executor, config_for(server), options);
    const auto start = std::chrono::steady_clock::now();
    auto got = co_await kopp::Api<ConfigMap>(client, "ns").get("a");
    const auto elapsed = std::chrono::steady_clock::now() - start;
    CHECK(got.metadata.resourceVersion == "5");
    CHECK(elapsed >= 400ms);  // both waits honoured up to the cap
    CHECK(elapsed < 5s);
  });
}

TEST_CASE("a Retry-After longer than the request timeout waits the request timeout", "[client][transport]") {
  with_server([](FakeServer& server) -> awaitable<void> {
    server.script(
        {http_response(429, R"({"kind":"Status","reason":"TooManyRequests","code":429})", "Retry-After: 120\r\n")});
    server.script({http_response(200, cm_json(5))});
    auto options = fast_retries();
    options.transport.request_timeout = 300ms;
    kopp::Client client(co_await boost::asio::this_coro::executor, config_for(server), options);
    const auto start = std::chrono::steady_clock::now();
    co_await kopp::Api<ConfigMap>(client, "ns").get("a");
    CHECK(std::chrono::steady_clock::now() - start < 5s);
  });
}

TEST_CASE("a chunk extension that never ends fails at max_header_bytes", "[client][transport][limits]") {
  with_server([](FakeServer& server) -> awaitable<void> {
    server.script({"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n1;ext=" +
                   std::string(1u << 20, 'a')});
    auto options = fast_retries();
    options.max_retries = 0;
    options.transport.max_header_bytes = 4096;
    options.transport.request_timeout = 20s;  // the limit, not the timeout, must end it
    kopp::Client client(co_await boost::asio::this_coro::executor, config_for(server), options);
    const auto start = std::chrono::steady_clock::now();
    try {
      co_await kopp::Api<ConfigMap>(client, "ns").get("a");
      FAIL("an endless chunk extension was accepted");
    } catch (const kopp::api_error& e) {
      CHECK(e.code() == kopp::make_error_code(kopp::errc::response_too_large));
      CHECK(contains(e, "max_header_bytes (4096 bytes)"));
    }
    CHECK(std::chrono::steady_clock::now() - start < 10s);
  });
}

TEST_CASE("a watch trailer that never ends fails at max_header_bytes", "[client][transport][limits]") {
  const std::string event = R"({"type":"ADDED","object":)" + cm_json(5) + "}\n";
  with_server([&](FakeServer& server) -> awaitable<void> {
    server.script({chunked_response({event}, false) + "0\r\nX-Trailer: " + std::string(1u << 20, 'a')});
    auto options = fast_retries();
    options.transport.max_header_bytes = 4096;
    options.transport.stream_idle_timeout = 20s;
    kopp::Client client(co_await boost::asio::this_coro::executor, config_for(server), options);
    auto watch = co_await kopp::Api<ConfigMap>(client, "ns").watch();
    auto first = co_await watch.next();
    CHECK(first.has_value());
    try {
      co_await watch.next();
      FAIL("an endless trailer was accepted");
    } catch (const kopp::api_error& e) {
      // The watch reports a broken stream; its message carries the transport's reason.
      CHECK(e.code() == kopp::make_error_code(kopp::errc::watch_stream_truncated));
      CHECK(contains(e, "max_header_bytes"));
    }
  });
}

TEST_CASE("response headers beyond max_header_bytes are refused", "[client][transport][limits]") {
  with_server([](FakeServer& server) -> awaitable<void> {
    server.script({http_response(200, cm_json(5), "X-Big: " + std::string(10000, 'b') + "\r\n")});
    auto options = fast_retries();
    options.max_retries = 0;
    options.transport.max_header_bytes = 4096;
    kopp::Client client(co_await boost::asio::this_coro::executor, config_for(server), options);
    try {
      co_await kopp::Api<ConfigMap>(client, "ns").get("a");
      FAIL("a header section beyond the limit was accepted");
    } catch (const kopp::api_error& e) {
      CHECK(e.code() == kopp::make_error_code(kopp::errc::response_too_large));
    }
  });
}

TEST_CASE("a body beyond max_response_body_bytes is refused naming the limit", "[client][transport][limits]") {
  CHECK(kopp::TransportOptions().max_response_body_bytes == (std::uint64_t{3} << 30));
  with_server([](FakeServer& server) -> awaitable<void> {
    server.script({http_response(200, cm_json(5))});
    auto options = fast_retries();
    options.max_retries = 0;
    options.transport.max_response_body_bytes = 64;
    kopp::Client client(co_await boost::asio::this_coro::executor, config_for(server), options);
    try {
      co_await kopp::Api<ConfigMap>(client, "ns").get("a");
      FAIL("a body beyond the limit was accepted");
    } catch (const kopp::api_error& e) {
      CHECK(e.code() == kopp::make_error_code(kopp::errc::response_too_large));
      CHECK(contains(e, "max_response_body_bytes (64 bytes)"));
    }
  });
}

TEST_CASE("DynamicApi::list bounds the sum of its pages", "[client][transport][limits]") {
  auto page = [](std::string_view cont) {
    return R"({"apiVersion":"v1","kind":"ConfigMapList","metadata":{"resourceVersion":"9","continue":")" +
           std::string(cont) + R"("},"items":[)" + cm_json(5) + "]}";
  };
  with_server([&](FakeServer& server) -> awaitable<void> {
    server.script({http_response(200, page("next"))});
    server.script({http_response(200, page("next2"))});
    server.script({http_response(200, page(""))});
    auto options = fast_retries();
    options.transport.max_response_body_bytes = page("next").size() * 2 + 10;  // each page fits
    kopp::Client client(co_await boost::asio::this_coro::executor, config_for(server), options);
    try {
      co_await kopp::Api<ConfigMap>(client, "ns").list();
      FAIL("three pages beyond the limit were accepted");
    } catch (const kopp::api_error& e) {
      CHECK(e.code() == kopp::make_error_code(kopp::errc::response_too_large));
      CHECK(contains(e, "max_response_body_bytes"));
    }
    CHECK(server.requests().size() == 3);
  });
}

TEST_CASE("plain HTTP: a warning once, and no credential to a host that is not loopback", "[client][transport]") {
  boost::asio::io_context io;
  std::vector<std::string> warnings;
  kopp::TransportOptions options;
  options.on_warning = [&](std::string_view w) { warnings.emplace_back(w); };
  options.connect_timeout = 5s;
  kopp::Config config;
  config.server = "http://192.0.2.1:8080";  // TEST-NET-1: never answers
  config.source = "test";
  kopp::Http1Transport transport(io.get_executor(), config, options);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("plain HTTP") != std::string::npos);
  kopp::Credential credential;
  credential.bearer_token = "secret-token-value";
  std::exception_ptr failure;
  const auto start = std::chrono::steady_clock::now();
  // Temporaries die when co_spawn returns, before the coroutine runs: send() takes its
  // arguments by value so this is safe (by reference it was a stack-use-after-scope).
  boost::asio::co_spawn(io, transport.send(kopp::HttpRequest(), kopp::Credential(credential)),
                        [&](std::exception_ptr e, kopp::HttpResponse) { failure = e; });
  io.run();
  CHECK(std::chrono::steady_clock::now() - start < 2s);  // refused before connecting
  REQUIRE(failure);
  try {
    std::rethrow_exception(failure);
  } catch (const kopp::api_error& e) {
    CHECK(e.code() == kopp::make_error_code(kopp::errc::unsupported));
    CHECK(contains(e, "plain HTTP"));
    CHECK_FALSE(contains(e, "secret-token-value"));
  }
  CHECK(warnings.size() == 1);
}

TEST_CASE("insecure-skip-tls-verify is warned about once", "[client][transport]") {
  boost::asio::io_context io;
  std::vector<std::string> warnings;
  kopp::TransportOptions options;
  options.on_warning = [&](std::string_view w) { warnings.emplace_back(w); };
  kopp::Config config;
  config.server = "https://127.0.0.1:6443";
  config.source = "test";
  config.insecure_skip_tls_verify = true;
  kopp::Http1Transport transport(io.get_executor(), config, options);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("insecure-skip-tls-verify") != std::string::npos);
  config.insecure_skip_tls_verify = false;
  warnings.clear();
  kopp::Http1Transport verified(io.get_executor(), config, options);
  CHECK(warnings.empty());
}

TEST_CASE("names that do not address one object are refused before any request", "[client][names]") {
  with_server([](FakeServer& server) -> awaitable<void> {
    kopp::Client client(co_await boost::asio::this_coro::executor, config_for(server), fast_retries());
    kopp::Api<ConfigMap> api(client, "ns");
    for (std::string name : {"", ".", "..", "a/b", "a%2Fb", "%2e%2e"}) {
      INFO("name: \"" << name << "\"");
      int refused = 0;
      try {
        co_await api.get(name);
      } catch (const std::invalid_argument& e) {
        ++refused;
        CHECK(contains(e, "\"" + name + "\""));
      }
      try {
        co_await api.delete_(name);
      } catch (const std::invalid_argument&) {
        ++refused;
      }
      try {
        co_await api.get_opt(name);
      } catch (const std::invalid_argument&) {
        ++refused;
      }
      try {
        co_await api.patch(name, kopp::Patch::merge(boost::json::object{}));
      } catch (const std::invalid_argument&) {
        ++refused;
      }
      try {
        co_await api.get_status(name);
      } catch (const std::invalid_argument&) {
        ++refused;
      }
      ConfigMap cm;
      cm.metadata.name = name;
      try {
        co_await api.replace(cm);
      } catch (const std::invalid_argument&) {
        ++refused;
      }
      CHECK(refused == 6);
    }
    for (std::string ns : {std::string(".."), std::string("a/b"), std::string("UPPER"), std::string("-x"),
                           std::string(64, 'a'), std::string("a%2F")}) {
      INFO("namespace: \"" << ns << "\"");
      try {
        kopp::Api<ConfigMap> bad(client, ns);
        FAIL("an invalid namespace was accepted");
      } catch (const std::invalid_argument& e) {
        CHECK(contains(e, "\"" + ns + "\""));
      }
      ConfigMap cm;
      cm.metadata.name = "a";
      cm.metadata.namespace_ = ns;
      auto all = kopp::Api<ConfigMap>::all(client);
      bool refused = false;
      try {
        co_await all.create(cm);
      } catch (const std::invalid_argument&) {
        refused = true;
      }
      CHECK(refused);
    }
    CHECK(server.requests().empty());
  });
}

TEST_CASE("a TLS error on a reused connection re-sends an idempotent request", "[client][transport][tls]") {
  boost::asio::io_context io;
  auto tls = std::make_shared<boost::asio::ssl::context>(boost::asio::ssl::context::tls_server);
  const std::string pki = std::string(KOPP_TEST_DATA_DIR) + "/kubeconfig/pki/";
  tls->use_certificate_chain_file(pki + "client.crt");
  tls->use_private_key_file(pki + "client.key", boost::asio::ssl::context::pem);
  FakeServer server(io.get_executor(), tls);
  server.script({http_response(200, cm_json(5))});
  // Plain bytes inside the TLS stream: the client's TLS layer fails on the reused connection.
  server.script({"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", true, true});
  server.script({http_response(200, cm_json(6))});
  server.script({http_response(201, cm_json(7))});
  server.script({"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", true, true});
  server.script({http_response(201, cm_json(8))});
  kopp::Config config;
  config.server = server.url();
  config.qps = 0;
  config.insecure_skip_tls_verify = true;
  config.credentials = kopp::static_token("fake-token");
  auto options = fast_retries();
  options.max_retries = 0;  // the transport's re-send, not the client's retry policy
  options.transport.on_warning = [](std::string_view) {};
  // HTTP/1.1's pool under test; the default transport would first probe for HTTP/2 with a
  // connection of its own (this server declines it), which the count below would include.
  options.transport.protocol = kopp::HttpProtocol::http1;
  std::exception_ptr failure;
  auto body = [&]() -> awaitable<void> {
    kopp::Client client(co_await boost::asio::this_coro::executor, config, options);
    kopp::Api<ConfigMap> api(client, "ns");
    co_await api.get("a");
    auto second = co_await api.get("a");
    CHECK(second.metadata.resourceVersion == "6");
    CHECK(server.connections() == 2);
    ConfigMap cm;
    cm.metadata.name = "a";
    co_await api.create(cm);  // on the second connection, which stays pooled
    bool threw = false;
    try {
      co_await api.create(cm);  // a POST is not re-sent: it may have been acted on
    } catch (const kopp::api_error&) {
      threw = true;
    }
    CHECK(threw);
    CHECK(server.requests().size() == 5);
  };
  boost::asio::co_spawn(io, body(), [&](std::exception_ptr e) {
    failure = e;
    server.stop();
  });
  io.run();
  if (failure) std::rethrow_exception(failure);
}
