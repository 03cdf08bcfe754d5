#include <kopp/runtime/telemetry/probe_server.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <thread>

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
  co_await stream.async_connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port),
                                boost::asio::use_awaitable);
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
  server.handle("/readyz",
                [&] { return ready ? kopp::ProbeResponse(200, "ok\n") : kopp::ProbeResponse(503, "not synced\n"); });
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
  CHECK(answers[4].second == "internal error\n");  // the exception's text stays in the log
}

namespace {

namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

/// Reads one response from `socket`, or gives up (closing it) after `timeout`: {0, ""}
/// when the connection ended without an answer.
boost::asio::awaitable<std::pair<unsigned, std::string>> read_answer(tcp::socket& socket,
                                                                     std::chrono::milliseconds timeout) {
  boost::asio::steady_timer guard(socket.get_executor(), timeout);
  guard.async_wait([&socket](const boost::system::error_code& ec) {
    boost::system::error_code ignored;
    if (!ec) socket.close(ignored);
  });
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> response;
  auto [ec, n] = co_await http::async_read(socket, buffer, response, boost::asio::as_tuple(boost::asio::use_awaitable));
  (void)n;
  guard.cancel();
  if (ec) co_return std::pair<unsigned, std::string>{0, ""};
  co_return std::pair{response.result_int(), response.body()};
}

boost::asio::awaitable<void> send_get(tcp::socket& socket, std::string target) {
  http::request<http::empty_body> request(http::verb::get, target, 11);
  co_await http::async_write(socket, request, boost::asio::use_awaitable);
}

tcp::endpoint local(unsigned short port) { return {boost::asio::ip::make_address("127.0.0.1"), port}; }

/// The lowest file descriptor number free now (the next open() gets it).
int lowest_free_fd() {
  const int fd = ::open("/dev/null", O_RDONLY);
  ::close(fd);
  return fd;
}

}  // namespace

TEST_CASE("probe server: an accept error (EMFILE) pauses accepting but never ends the server", "[runtime][probe]") {
  boost::asio::io_context io;
  kopp::ProbeServer server(io.get_executor(), *kopp::parse_bind_address("127.0.0.1:0"));
  server.handle("/healthz", [] { return kopp::ProbeResponse(200, "ok\n"); });
  boost::asio::co_spawn(io, server.run(), boost::asio::detached);
  std::pair<unsigned, std::string> answer;
  rlimit saved{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved) == 0);
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        // One full exchange first: the sanitizers' runtime needs a descriptor (a pipe) the
        // first time it checks each polymorphic type, so every type of the exchange below
        // is checked once while descriptors are still available.
        tcp::socket warm_up(io);
        co_await warm_up.async_connect(local(server.port()), boost::asio::use_awaitable);
        co_await send_get(warm_up, "/healthz");
        const auto first = co_await read_answer(warm_up, std::chrono::seconds(3));
        REQUIRE(first.first == 200);
        warm_up.close();
        boost::asio::steady_timer settle(io, std::chrono::milliseconds(50));
        co_await settle.async_wait(boost::asio::use_awaitable);
        tcp::socket client(io);
        client.open(tcp::v4());  // its descriptor exists before the limit drops
        rlimit tight = saved;
        tight.rlim_cur = static_cast<rlim_t>(lowest_free_fd());
        REQUIRE(::setrlimit(RLIMIT_NOFILE, &tight) == 0);
        co_await client.async_connect(local(server.port()), boost::asio::use_awaitable);  // queued in the backlog
        co_await send_get(client, "/healthz");
        boost::asio::steady_timer wait(io, std::chrono::milliseconds(300));
        co_await wait.async_wait(boost::asio::use_awaitable);  // accept fails with EMFILE meanwhile
        REQUIRE(::setrlimit(RLIMIT_NOFILE, &saved) == 0);
        answer = co_await read_answer(client, std::chrono::seconds(3));
        server.stop();
      },
      [&](std::exception_ptr e) {
        ::setrlimit(RLIMIT_NOFILE, &saved);
        if (e) std::rethrow_exception(e);
      });
  io.run();
  CHECK(answer == std::pair<unsigned, std::string>{200, "ok\n"});
}

TEST_CASE("probe server: connections over max_connections are closed; a freed slot serves again", "[runtime][probe]") {
  boost::asio::io_context io;
  kopp::ProbeServerOptions options;
  options.max_connections = 2;
  kopp::ProbeServer server(io.get_executor(), *kopp::parse_bind_address("127.0.0.1:0"), options);
  server.handle("/healthz", [] { return kopp::ProbeResponse(200, "ok\n"); });
  boost::asio::co_spawn(io, server.run(), boost::asio::detached);
  std::vector<std::pair<unsigned, std::string>> answers;
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        tcp::socket a(io), b(io), c(io), d(io);
        co_await a.async_connect(local(server.port()), boost::asio::use_awaitable);
        co_await b.async_connect(local(server.port()), boost::asio::use_awaitable);
        boost::asio::steady_timer wait(io, std::chrono::milliseconds(100));
        co_await wait.async_wait(boost::asio::use_awaitable);
        CHECK(server.open_connections() == 2);
        co_await c.async_connect(local(server.port()), boost::asio::use_awaitable);
        co_await send_get(c, "/healthz");
        answers.push_back(co_await read_answer(c, std::chrono::seconds(3)));  // closed: over the cap
        co_await send_get(a, "/healthz");
        answers.push_back(co_await read_answer(a, std::chrono::seconds(3)));  // still served
        a.close();
        wait.expires_after(std::chrono::milliseconds(100));
        co_await wait.async_wait(boost::asio::use_awaitable);
        co_await d.async_connect(local(server.port()), boost::asio::use_awaitable);
        co_await send_get(d, "/healthz");
        answers.push_back(co_await read_answer(d, std::chrono::seconds(3)));  // a slot was freed
        server.stop();
      },
      boost::asio::detached);
  io.run();
  REQUIRE(answers.size() == 3);
  CHECK(answers[0].first == 0);
  CHECK(answers[1].first == 200);
  CHECK(answers[2].first == 200);
}

TEST_CASE("probe server: a request body over 4 KiB closes the connection unanswered", "[runtime][probe]") {
  boost::asio::io_context io;
  kopp::ProbeServer server(io.get_executor(), *kopp::parse_bind_address("127.0.0.1:0"));
  server.handle("/healthz", [] { return kopp::ProbeResponse(200, "ok\n"); });
  boost::asio::co_spawn(io, server.run(), boost::asio::detached);
  std::pair<unsigned, std::string> answer{1, "unset"};
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        tcp::socket client(io);
        co_await client.async_connect(local(server.port()), boost::asio::use_awaitable);
        http::request<http::string_body> request(http::verb::get, "/healthz", 11);
        request.body() = std::string(64 * 1024, 'x');
        request.prepare_payload();
        auto [wec, n] = co_await http::async_write(client, request, boost::asio::as_tuple(boost::asio::use_awaitable));
        (void)wec;
        (void)n;
        answer = co_await read_answer(client, std::chrono::seconds(3));
        server.stop();
      },
      boost::asio::detached);
  io.run();
  CHECK(answer.first == 0);
}

TEST_CASE("probe server: stop() from another thread ends run() and closes idle connections", "[runtime][probe]") {
  boost::asio::io_context io;
  kopp::ProbeServer server(io.get_executor(), *kopp::parse_bind_address("127.0.0.1:0"));
  std::atomic<bool> finished{false};
  boost::asio::co_spawn(io, server.run(), [&](std::exception_ptr) { finished = true; });
  tcp::socket idle(io);
  idle.connect(local(server.port()));
  std::thread runner([&] { io.run(); });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (server.open_connections() == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  server.stop();
  runner.join();  // returns only when nothing is left: the accept loop and the connection ended
  CHECK(finished.load());
  CHECK(server.open_connections() == 0);
}

TEST_CASE("a connection still writing when the server is destroyed ends with its io_context", "[runtime][probe]") {
  // The client asks for a large answer and never reads it: the server's write stays
  // suspended. Destroying the server, then the io_context, destroys that connection's
  // coroutine after the server is gone; it must not touch the server's memory then
  // (AddressSanitizer and ThreadSanitizer reported a use after free here).
  auto io = std::make_unique<boost::asio::io_context>();
  auto server = std::make_unique<kopp::ProbeServer>(io->get_executor(), *kopp::parse_bind_address("127.0.0.1:0"));
  server->handle("/large", [] { return kopp::ProbeResponse(200, std::string(16 * 1024 * 1024, 'x')); });
  boost::asio::co_spawn(*io, server->run(), boost::asio::detached);
  auto client = std::make_unique<boost::asio::ip::tcp::socket>(*io);
  client->connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), server->port()));
  const std::string request = "GET /large HTTP/1.1\r\nHost: x\r\n\r\n";
  boost::asio::write(*client, boost::asio::buffer(request));
  // Run until the server accepted and is writing (its connection counts as open).
  for (int i = 0; i < 200 && server->open_connections() == 0; ++i) io->run_for(std::chrono::milliseconds(5));
  io->run_for(std::chrono::milliseconds(20));
  REQUIRE(server->open_connections() == 1);
  server.reset();
  client.reset();
  io.reset();  // destroys the suspended connection coroutine
  SUCCEED("the connection's coroutine was destroyed after its server without touching it");
}
