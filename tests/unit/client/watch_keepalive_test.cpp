// TCP keep-alive on the client's connections: a watch whose peer vanished must fail in
// about a minute, not never. Observed through the kernel's own table of sockets.
#include "support/fake_server.hpp"

#include <kopp/client.hpp>
#include <kopp/client/detail/tcp_keepalive.hpp>

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

using namespace kopp_test;
using boost::asio::awaitable;

namespace {

/// The timer column ("tr") of the IPv4 socket connected to 127.0.0.1:`remote_port`, from
/// /proc/net/tcp; -1 when there is none. 2 means the keep-alive timer is armed.
int timer_of_connection_to(unsigned short remote_port) {
  std::ifstream table("/proc/net/tcp");
  std::string line;
  std::getline(table, line);  // header
  char wanted[16];
  std::snprintf(wanted, sizeof wanted, "0100007F:%04X", remote_port);
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state, queues, timer;
    fields >> slot >> local >> remote >> state >> queues >> timer;
    if (remote == wanted && state == "01") return std::stoi(timer.substr(0, 2), nullptr, 16);
  }
  return -1;
}

int int_option(int fd, int level, int name) {
  int value = -1;
  socklen_t size = sizeof value;
  ::getsockopt(fd, level, name, &value, &size);
  return value;
}

}  // namespace

TEST_CASE("enable_tcp_keepalive sets SO_KEEPALIVE and the probe timing", "[client][keepalive]") {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  socket.open(boost::asio::ip::tcp::v4());
  kopp::detail::enable_tcp_keepalive(socket);
  const int fd = socket.native_handle();
  CHECK(int_option(fd, SOL_SOCKET, SO_KEEPALIVE) == 1);
  CHECK(int_option(fd, IPPROTO_TCP, TCP_KEEPIDLE) == 30);
  CHECK(int_option(fd, IPPROTO_TCP, TCP_KEEPINTVL) == 10);
  CHECK(int_option(fd, IPPROTO_TCP, TCP_KEEPCNT) == 3);
}

TEST_CASE("a watch connection has TCP keep-alive armed", "[client][keepalive]") {
  std::ifstream probe("/proc/net/tcp");
  if (!probe) {
    WARN("no /proc/net/tcp: skipped");
    return;
  }
  boost::asio::io_context io;
  FakeServer server(io.get_executor());
  int timer = -1;
  std::exception_ptr failure;
  auto body = [&]() -> awaitable<void> {
    kopp::Config config;
    config.server = server.url();
    config.qps = 0;
    config.credentials = kopp::static_token("fake-token");
    kopp::Client client(co_await boost::asio::this_coro::executor, config);
    // Headers, then silence: the connection stays open and idle.
    server.script({chunked_response({}, false)});
    kopp::HttpRequest request;
    request.target = "/api/v1/namespaces/ns/configmaps?watch=1";
    auto stream = co_await client.stream(request);
    const auto port = static_cast<unsigned short>(std::stoi(server.url().substr(server.url().rfind(':') + 1)));
    timer = timer_of_connection_to(port);
    stream->close();
  };
  boost::asio::co_spawn(io, body(), [&](std::exception_ptr e) {
    failure = e;
    server.stop();
  });
  io.run();
  if (failure) std::rethrow_exception(failure);
  CHECK(timer == 2);  // the keep-alive timer (0 = none, as without SO_KEEPALIVE)
}
