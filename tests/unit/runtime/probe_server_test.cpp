#include <kopp/runtime/probe_server.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>

TEST_CASE("bind addresses", "[runtime][probe]") {
  CHECK_FALSE(kopp::parse_bind_address("0"));
  auto all = kopp::parse_bind_address(":8080");
  REQUIRE(all);
  CHECK(all->port() == 8080);
  CHECK(all->address().to_string() == "0.0.0.0");
  CHECK(kopp::parse_bind_address("127.0.0.1:9")->address().to_string() == "127.0.0.1");
  CHECK(kopp::parse_bind_address("[::1]:9")->address().to_string() == "::1");
  CHECK_THROWS_WITH(kopp::parse_bind_address("8080"), Catch::Contains("needs a port"));
  CHECK_THROWS_WITH(kopp::parse_bind_address(":99999"), Catch::Contains("invalid port"));
  CHECK_THROWS_WITH(kopp::parse_bind_address("nohost:1"), Catch::Contains("invalid host"));
}

namespace {
boost::asio::awaitable<std::pair<unsigned, std::string>> http_get(unsigned short port, std::string target) {
  namespace http = boost::beast::http;
  boost::beast::tcp_stream stream(co_await boost::asio::this_coro::executor);
  co_await stream.async_connect(
      boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port), boost::asio::use_awaitable);
  http::request<http::empty_body> request(http::verb::get, target, 11);
  co_await http::async_write(stream, request, boost::asio::use_awaitable);
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> response;
  co_await http::async_read(stream, buffer, response, boost::asio::use_awaitable);
  co_return std::pair{response.result_int(), response.body()};
}
}  // namespace

TEST_CASE("probe server answers registered paths, 404 otherwise, 500 when a handler throws", "[runtime][probe]") {
  boost::asio::io_context io;
  kopp::ProbeServer server(io.get_executor(), *kopp::parse_bind_address("127.0.0.1:0"));
  bool ready = false;
  server.handle("/healthz", [] { return kopp::ProbeResponse(200, "ok\n"); });
  server.handle("/readyz", [&] { return ready ? kopp::ProbeResponse(200, "ok\n") : kopp::ProbeResponse(503, "not synced\n"); });
  server.handle("/boom", []() -> kopp::ProbeResponse { throw std::runtime_error("kaput"); });
  boost::asio::co_spawn(io, server.run(), boost::asio::detached);
  std::vector<std::pair<unsigned, std::string>> answers;
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        answers.push_back(co_await http_get(server.port(), "/healthz"));
        answers.push_back(co_await http_get(server.port(), "/readyz"));
        ready = true;
        answers.push_back(co_await http_get(server.port(), "/readyz?verbose"));
        answers.push_back(co_await http_get(server.port(), "/nope"));
        answers.push_back(co_await http_get(server.port(), "/boom"));
        server.stop();
      },
      boost::asio::detached);
  io.run();
  REQUIRE(answers.size() == 5);
  CHECK(answers[0] == std::pair<unsigned, std::string>{200, "ok\n"});
  CHECK(answers[1].first == 503);
  CHECK(answers[2].first == 200);
  CHECK(answers[3].first == 404);
  CHECK(answers[4].first == 500);
  CHECK(answers[4].second.find("kaput") != std::string::npos);
}
