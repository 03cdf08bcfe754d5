// The HTTPS server behind webhooks, on a real socket: TLS with a generated or a directory
// certificate (reloaded when rotated), the limits it promises, and that it keeps serving
// after bad input.
#include <kopp/runtime/webhook/https_server.hpp>
#include <kopp/runtime/webhook/serving_certificate.hpp>
#include <kopp/testing/run.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <memory>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

struct Answer {
  unsigned status = 0;
  std::string body;
};

asio::ip::tcp::endpoint local(unsigned short port) { return {asio::ip::make_address("127.0.0.1"), port}; }

std::shared_ptr<ssl::context> client_context(const std::string& ca_pem) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
  context->add_certificate_authority(asio::buffer(ca_pem));
  context->set_verify_mode(ssl::verify_peer);
  context->set_verify_callback(ssl::host_name_verification("127.0.0.1"));
  return context;
}

asio::awaitable<std::unique_ptr<tls_stream>> connect(unsigned short port, std::shared_ptr<ssl::context> context) {
  auto stream = std::make_unique<tls_stream>(co_await asio::this_coro::executor, *context);
  co_await beast::get_lowest_layer(*stream).async_connect(local(port), asio::use_awaitable);
  co_await stream->async_handshake(ssl::stream_base::client, asio::use_awaitable);
  co_return stream;
}

asio::awaitable<Answer> post(tls_stream& stream, std::string target, std::string content_type, std::string body) {
  http::request<http::string_body> request(http::verb::post, target, 11);
  request.set(http::field::host, "127.0.0.1");
  request.set(http::field::content_type, content_type);
  request.body() = std::move(body);
  request.prepare_payload();
  co_await http::async_write(stream, request, asio::use_awaitable);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(1 << 20);
  co_await http::async_read(stream, buffer, parser, asio::use_awaitable);
  co_return Answer{parser.get().result_int(), parser.get().body()};
}

asio::awaitable<Answer> post_once(unsigned short port, std::shared_ptr<ssl::context> context, std::string target,
                                  std::string content_type = "application/json", std::string body = "{}") {
  auto stream = co_await connect(port, context);
  co_return co_await post(*stream, std::move(target), std::move(content_type), std::move(body));
}

kopp::HttpsServer::Handler echo() {
  return [](const kopp::HttpsRequest& request) -> asio::awaitable<kopp::HttpsResponse> {
    co_return kopp::HttpsResponse(200, request.method + " " + request.path + "?" + request.query + " " +
                                           std::string(request.header("content-type")) + " " + request.body);
  };
}

struct Fixture {
  explicit Fixture(std::shared_ptr<kopp::ServingCertificate> certificate,
                   kopp::HttpsServerOptions options = kopp::HttpsServerOptions())
      : server(io.get_executor(), local(0), std::move(certificate), options) {
    server.handle("/echo", echo());
    server.handle_sync("/boom",
                       [](const kopp::HttpsRequest&) -> kopp::HttpsResponse { throw std::runtime_error("x"); });
    asio::co_spawn(io, server.run(), asio::detached);
  }
  template <class Body>
  auto run(Body body) {
    return kopp::testing::run(io, std::move(body), std::chrono::seconds(30));
  }
  asio::io_context io;
  kopp::HttpsServer server;
};

std::filesystem::path temporary_directory() {
  auto dir = std::filesystem::temp_directory_path() / ("kopp-https-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  return dir;
}

}  // namespace

TEST_CASE("make_self_signed_certificate: a CA and a serving certificate for the hosts", "[runtime][webhook]") {
  const auto bundle = kopp::make_self_signed_certificate({"127.0.0.1", "webhook.kopp-system.svc"});
  CHECK(bundle.ca_pem.find("BEGIN CERTIFICATE") != std::string::npos);
  CHECK(bundle.certificate_pem.find("BEGIN CERTIFICATE") != std::string::npos);
  CHECK(bundle.private_key_pem.find("PRIVATE KEY") != std::string::npos);
  CHECK(bundle.ca_pem != bundle.certificate_pem);
  CHECK(kopp::make_self_signed_certificate({"127.0.0.1"}).ca_pem != bundle.ca_pem);  // a new CA each time
  CHECK_THROWS_WITH(kopp::make_self_signed_certificate({}), Catch::Contains("at least one host"));
  CHECK_THROWS_WITH(kopp::make_self_signed_certificate({"a b"}), Catch::Contains("'a b'"));
  CHECK_THROWS_WITH(kopp::ServingCertificate::from_pem(bundle.certificate_pem, "garbage"),
                    Catch::Contains("private key"));
  const auto other = kopp::make_self_signed_certificate({"127.0.0.1"});
  CHECK_THROWS_WITH(kopp::ServingCertificate::from_pem(bundle.certificate_pem, other.private_key_pem),
                    Catch::Contains("does not match"));
}

TEST_CASE("https server: verified TLS, handlers by path, 404, 500", "[runtime][webhook]") {
  const auto bundle = kopp::make_self_signed_certificate({"127.0.0.1"});
  Fixture f(kopp::ServingCertificate::from_pem(bundle.certificate_pem, bundle.private_key_pem));
  auto trusted = client_context(bundle.ca_pem);
  f.run([&]() -> asio::awaitable<void> {
    auto stream = co_await connect(f.server.port(), trusted);
    // Two requests on one connection (keep-alive).
    auto first = co_await post(*stream, "/echo?x=1", "application/json", "{\"a\":1}");
    auto second = co_await post(*stream, "/echo", "text/plain", "b");
    CHECK(first.status == 200);
    CHECK(first.body == "POST /echo?x=1 application/json {\"a\":1}");
    CHECK(second.body == "POST /echo? text/plain b");
    auto missing = co_await post_once(f.server.port(), trusted, "/nope");
    CHECK(missing.status == 404);
    auto boom = co_await post_once(f.server.port(), trusted, "/boom");
    CHECK(boom.status == 500);
    CHECK(boom.body == "internal error\n");
    // A client that trusts another CA refuses the server.
    auto untrusted = client_context(kopp::make_self_signed_certificate({"127.0.0.1"}).ca_pem);
    bool refused = false;
    try {
      co_await connect(f.server.port(), untrusted);
    } catch (const boost::system::system_error&) {
      refused = true;
    }
    CHECK(refused);
    f.server.stop();
  });
}

TEST_CASE("https server: limits answer 4xx and the server keeps serving", "[runtime][webhook]") {
  const auto bundle = kopp::make_self_signed_certificate({"127.0.0.1"});
  kopp::HttpsServerOptions options;
  options.max_body_bytes = 1024;
  options.request_timeout = std::chrono::milliseconds(300);
  Fixture f(kopp::ServingCertificate::from_pem(bundle.certificate_pem, bundle.private_key_pem), options);
  auto trusted = client_context(bundle.ca_pem);
  f.run([&]() -> asio::awaitable<void> {
    auto huge = co_await post_once(f.server.port(), trusted, "/echo", "application/json", std::string(4096, 'x'));
    CHECK(huge.status == 413);
    // A malformed request line.
    {
      auto stream = co_await connect(f.server.port(), trusted);
      co_await asio::async_write(*stream, asio::buffer(std::string("GARBAGE\r\n\r\n")), asio::use_awaitable);
      beast::flat_buffer buffer;
      http::response<http::string_body> response;
      co_await http::async_read(*stream, buffer, response, asio::use_awaitable);
      CHECK(response.result_int() == 400);
    }
    // A slow client: half a request head, then nothing. The server closes the connection
    // after request_timeout.
    {
      auto stream = co_await connect(f.server.port(), trusted);
      co_await asio::async_write(*stream, asio::buffer(std::string("POST /echo HTTP/1.1\r\nHost: x\r\n")),
                                 asio::use_awaitable);
      const auto started = std::chrono::steady_clock::now();
      char byte;
      auto [ec, n] = co_await stream->async_read_some(asio::buffer(&byte, 1), asio::as_tuple(asio::use_awaitable));
      CHECK(ec);  // closed, nothing answered
      CHECK(n == 0);
      CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
    }
    // A TCP client that never starts TLS is cut off too.
    {
      beast::tcp_stream raw(co_await asio::this_coro::executor);
      co_await raw.async_connect(local(f.server.port()), asio::use_awaitable);
      char byte;
      auto [ec, n] = co_await raw.socket().async_read_some(asio::buffer(&byte, 1), asio::as_tuple(asio::use_awaitable));
      CHECK(ec);
      (void)n;
    }
    auto after = co_await post_once(f.server.port(), trusted, "/echo");
    CHECK(after.status == 200);
    f.server.stop();
  });
  f.io.restart();
  f.io.run_for(std::chrono::seconds(2));  // the connections' coroutines end after stop()
  CHECK(f.server.open_connections() == 0);
}

TEST_CASE("https server: a rotated certificate in the directory serves new connections", "[runtime][webhook]") {
  const auto dir = temporary_directory();
  const auto first = kopp::make_self_signed_certificate({"127.0.0.1"});
  kopp::write_certificate_directory(first, dir);
  CHECK((std::filesystem::status(dir / "tls.key").permissions() & std::filesystem::perms::group_read) ==
        std::filesystem::perms::none);
  auto certificate =
      kopp::ServingCertificate::from_directory(dir, "tls.crt", "tls.key", kopp::Logger(), std::chrono::milliseconds(0));
  Fixture f(certificate);
  f.run([&]() -> asio::awaitable<void> {
    CHECK((co_await post_once(f.server.port(), client_context(first.ca_pem), "/echo")).status == 200);

    // A half-rotated directory (a key that does not match the certificate) keeps the old pair.
    const auto second = kopp::make_self_signed_certificate({"127.0.0.1"});
    { std::ofstream(dir / "tls.key", std::ios::trunc) << second.private_key_pem; }
    CHECK((co_await post_once(f.server.port(), client_context(first.ca_pem), "/echo")).status == 200);
    CHECK(certificate->reloads() == 0);

    kopp::write_certificate_directory(second, dir);
    CHECK((co_await post_once(f.server.port(), client_context(second.ca_pem), "/echo")).status == 200);
    CHECK(certificate->reloads() == 1);
    bool old_refused = false;
    try {
      co_await connect(f.server.port(), client_context(first.ca_pem));
    } catch (const boost::system::system_error&) {
      old_refused = true;
    }
    CHECK(old_refused);
    f.server.stop();
  });
  std::filesystem::remove_all(dir);
  CHECK_THROWS_WITH(kopp::ServingCertificate::from_directory(dir), Catch::Contains((dir / "tls.crt").string()));
}
