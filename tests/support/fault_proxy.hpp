#pragma once
// A fault-injecting TCP proxy on 127.0.0.1 for tests against the real kube-apiserver: kopp
// connects to the proxy, the proxy forwards bytes (TLS included, untouched) to the server.
// A test can
//   - stall(): stop forwarding in both directions without closing anything, so requests
//     hang as they do over a half-open connection or behind a frozen server;
//   - resume(): forward again (bytes held back during the stall are delivered);
//   - cut(): close every open connection at once (mid-stream for watches);
//   - slow(bytes_per_second): throttle what flows from the server to kopp.
// It runs its own io_context on its own thread, so a test whose io_context is busy (or a
// Manager's) cannot stall the proxy by accident. It is only ever a pipe to the real
// server, never a stand-in for it.

#include <kopp/client/config.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/url/parse.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace kopp_test {

class FaultProxy {
 public:
  /// Proxies to `upstream_host:upstream_port` (the API server's address).
  FaultProxy(std::string upstream_host, unsigned short upstream_port)
      : upstream_(boost::asio::ip::make_address(upstream_host), upstream_port),
        acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    boost::asio::co_spawn(io_, accept_loop(), boost::asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }

  /// Proxies to the server of `config` (an https://IP:port address).
  explicit FaultProxy(const kopp::Config& config) : FaultProxy(host_of(config), port_of(config)) {}

  ~FaultProxy() {
    stalled_ = false;
    std::promise<void> closed;
    auto finished = closed.get_future();
    boost::asio::post(io_, [this, &closed] {
      stopping_ = true;
      boost::system::error_code ignored;
      acceptor_.close(ignored);
      close_all();
      closed.set_value();
    });
    finished.wait();
    io_.stop();
    thread_.join();
  }
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  unsigned short port() const { return acceptor_.local_endpoint().port(); }

  /// `config` with its server address pointed at this proxy (same scheme, CA and
  /// credentials: the API server's certificate names 127.0.0.1).
  kopp::Config route(kopp::Config config) const {
    config.server = "https://127.0.0.1:" + std::to_string(port());
    return config;
  }

  void stall() { stalled_ = true; }
  void resume() { stalled_ = false; }
  /// Closes every connection open now; new ones are accepted as usual.
  void cut() {
    std::promise<void> done;
    auto finished = done.get_future();
    boost::asio::post(io_, [this, &done] {
      close_all();
      done.set_value();
    });
    finished.wait();
  }
  /// Limits server-to-client bytes per second (0: no limit).
  void slow(std::size_t bytes_per_second) { bytes_per_second_ = bytes_per_second; }

  /// Connections accepted so far, and open now.
  int accepted() const { return accepted_.load(); }
  int open() const { return open_.load(); }

 private:
  using tcp = boost::asio::ip::tcp;

  static std::string host_of(const kopp::Config& config) {
    auto url = boost::urls::parse_uri(config.server);
    if (!url) throw std::invalid_argument("FaultProxy: cannot parse " + config.server);
    return std::string(url->host_address());
  }
  static unsigned short port_of(const kopp::Config& config) {
    auto url = boost::urls::parse_uri(config.server);
    if (!url || url->port().empty()) throw std::invalid_argument("FaultProxy: no port in " + config.server);
    return static_cast<unsigned short>(url->port_number());
  }

  struct Connection {
    explicit Connection(boost::asio::io_context& io) : client(io), server(io) {}
    tcp::socket client;
    tcp::socket server;
  };

  void close_all() {
    boost::system::error_code ignored;
    for (auto& weak : connections_)
      if (auto c = weak.lock()) {
        c->client.close(ignored);
        c->server.close(ignored);
      }
    connections_.clear();
  }

  boost::asio::awaitable<void> wait_while_stalled() {
    while (stalled_ && !stopping_) {
      boost::asio::steady_timer poll(io_, std::chrono::milliseconds(20));
      co_await poll.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    }
  }

  boost::asio::awaitable<void> accept_loop() {
    for (;;) {
      auto c = std::make_shared<Connection>(io_);
      auto [ec] = co_await acceptor_.async_accept(c->client, boost::asio::as_tuple(boost::asio::use_awaitable));
      if (ec) co_return;
      ++accepted_;
      connections_.push_back(c);
      boost::asio::co_spawn(io_, serve(c), boost::asio::detached);
    }
  }

  boost::asio::awaitable<void> serve(std::shared_ptr<Connection> c) {
    ++open_;
    co_await wait_while_stalled();
    auto [ec] = co_await c->server.async_connect(upstream_, boost::asio::as_tuple(boost::asio::use_awaitable));
    if (!ec) {
      boost::asio::co_spawn(io_, pump(c, c->client, c->server, false), boost::asio::detached);
      co_await pump(c, c->server, c->client, true);
    }
    boost::system::error_code ignored;
    c->client.close(ignored);
    c->server.close(ignored);
    --open_;
  }

  /// Copies `from` to `to` until either side ends; the first end closes both.
  boost::asio::awaitable<void> pump(std::shared_ptr<Connection> c, tcp::socket& from, tcp::socket& to, bool to_client) {
    std::array<char, 16 * 1024> buffer;
    for (;;) {
      co_await wait_while_stalled();
      std::size_t chunk = buffer.size();
      const std::size_t limit = bytes_per_second_.load();
      if (to_client && limit > 0) chunk = std::max<std::size_t>(1, std::min(chunk, limit / 10));
      auto [rec, n] = co_await from.async_read_some(boost::asio::buffer(buffer.data(), chunk),
                                                    boost::asio::as_tuple(boost::asio::use_awaitable));
      if (rec) break;
      co_await wait_while_stalled();  // bytes read just before a stall are held back too
      auto [wec, written] = co_await boost::asio::async_write(to, boost::asio::buffer(buffer.data(), n),
                                                              boost::asio::as_tuple(boost::asio::use_awaitable));
      (void)written;
      if (wec) break;
      if (to_client && limit > 0) {
        boost::asio::steady_timer pace(io_, std::chrono::milliseconds(100));
        co_await pace.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
      }
    }
    boost::system::error_code ignored;
    c->client.close(ignored);
    c->server.close(ignored);
  }

  boost::asio::io_context io_;
  tcp::endpoint upstream_;
  tcp::acceptor acceptor_;
  std::vector<std::weak_ptr<Connection>> connections_;
  std::atomic<bool> stalled_{false};
  std::atomic<std::size_t> bytes_per_second_{0};
  std::atomic<int> accepted_{0};
  std::atomic<int> open_{0};
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace kopp_test
