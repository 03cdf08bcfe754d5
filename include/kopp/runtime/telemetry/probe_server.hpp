#pragma once
// A small HTTP/1.1 server for what a manager exposes: /healthz, /readyz and /metrics. It
// serves GET only, one request per connection at a time, with short timeouts; handlers are
// plain functions evaluated per request.
//
// Guarantees (it faces the network): at most ProbeServerOptions::max_connections
// connections are served at once (more are accepted and closed at once); a request head
// over 8 KiB or any request body over 4 KiB closes the connection; a connection idle for
// 10 s is closed; an accept error (EMFILE, ENFILE, ENOBUFS) pauses accepting for 100 ms
// and never ends the server; a handler's exception is logged and answered with a plain
// "500 internal error" (its text may name internals and stays in the log); stop() is
// thread-safe.
//
// Addresses: "host:port", ":port" (all interfaces, what a pod needs so the kubelet and
// Prometheus can reach it), "0" disables the server (controller-runtime's convention).

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>

#include <kopp/core/detail/config.hpp>
#include <kopp/runtime/telemetry/log.hpp>

#include <atomic>
#include <chrono>
#include <vector>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace kopp {

struct ProbeResponse {
  ProbeResponse() = default;
  ProbeResponse(unsigned s, std::string b, std::string ct = "text/plain; charset=utf-8")
      : status(s), body(std::move(b)), content_type(std::move(ct)) {}
  unsigned status = 200;
  std::string body;
  std::string content_type = "text/plain; charset=utf-8";
};

class ProbeServerOptions {
 public:
  ProbeServerOptions() = default;
  std::size_t max_connections = 64;
  std::chrono::milliseconds idle_timeout{10'000};
};

/// Parses "host:port" / ":port" / "[::1]:port"; std::nullopt for "0" (disabled). Throws
/// std::invalid_argument naming the address when it is malformed.
std::optional<boost::asio::ip::tcp::endpoint> parse_bind_address(std::string_view address);

class ProbeServer {
 public:
  using Handler = std::function<ProbeResponse()>;

  ProbeServer(boost::asio::any_io_executor executor, boost::asio::ip::tcp::endpoint endpoint,
              ProbeServerOptions options = ProbeServerOptions(), Logger logger = Logger());

  void handle(std::string path, Handler handler) { handlers_[std::move(path)] = std::move(handler); }
  /// The bound port (useful with port 0 in tests).
  unsigned short port() const { return acceptor_.local_endpoint().port(); }
  /// Accepts until stop(). Spawn it with co_spawn(server.executor(), server.run(), ...)
  /// (any executor works; the server runs on its own strand).
  boost::asio::awaitable<void> run();
  /// Stops accepting and closes open connections. Thread-safe.
  void stop();
  /// Connections being served now.
  std::size_t open_connections() const noexcept { return open_->load(); }
  boost::asio::strand<boost::asio::any_io_executor> executor() const { return strand_; }

 private:
  boost::asio::awaitable<void> serve(std::shared_ptr<boost::asio::ip::tcp::socket> socket);
  boost::asio::strand<boost::asio::any_io_executor> strand_;
  boost::asio::ip::tcp::acceptor acceptor_;
  ProbeServerOptions options_;
  Logger log_;
  std::map<std::string, Handler, std::less<>> handlers_;
  // Shared with each connection's coroutine: one still suspended when the server is
  // destroyed is destroyed later, with its io_context, and counts itself out then.
  std::shared_ptr<std::atomic<std::size_t>> open_ = std::make_shared<std::atomic<std::size_t>>(0);
  bool stopped_ = false;                                              // on strand_
  std::vector<std::weak_ptr<boost::asio::ip::tcp::socket>> sockets_;  // on strand_
};

}  // namespace kopp

#if KOPP_HEADER_ONLY
#include <kopp/runtime/telemetry/impl/probe_server.ipp>
#endif
