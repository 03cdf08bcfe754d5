#pragma once
// An HTTPS/1.1 server for what the API server and Prometheus call on an operator: admission
// and conversion webhooks (and, behind --metrics-secure, metrics). One port, several paths,
// each answered by an asynchronous handler.
//
// Guarantees (it faces the network): TLS 1.2 or 1.3 only, with the certificate of a
// ServingCertificate taken per connection (a rotated certificate serves new connections
// without a restart); at most HttpsServerOptions::max_connections connections at once
// (more are accepted and closed); the TLS handshake and each request (head and body) must
// arrive within request_timeout, so a slow client is cut off and holds nothing; a request
// head over 16 KiB is answered 431, a body over max_body_bytes 413, a malformed request 400,
// an unknown path 404, and the connection is closed after each of those; a handler's
// exception is logged and answered 500 "internal error" (its text may name internals); an
// accept error (EMFILE, ...) pauses accepting for 100 ms and never ends the server;
// stop() is thread-safe and closes every open connection.
//
// Requests on different connections are served concurrently (each connection on its own
// strand of the executor); one connection's requests are answered in order.

#include <kopp/core/detail/config.hpp>
#include <kopp/runtime/telemetry/log.hpp>
#include <kopp/runtime/webhook/serving_certificate.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace kopp {

/// What a handler sees of a request.
struct HttpsRequest {
  std::string method;  // "POST", "GET", ...
  std::string path;    // the target without its query
  std::string query;   // after '?', undecoded; "" when none
  /// Header fields by lower-case name (a repeated field's values joined with ", ").
  std::map<std::string, std::string, std::less<>> headers;
  std::string body;

  /// The field's value, or "" when absent. `name` in lower case.
  std::string_view header(std::string_view name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string_view() : std::string_view(it->second);
  }
};

struct HttpsResponse {
  HttpsResponse() = default;
  HttpsResponse(unsigned s, std::string b, std::string ct = "text/plain; charset=utf-8")
      : status(s), body(std::move(b)), content_type(std::move(ct)) {}
  unsigned status = 200;
  std::string body;
  std::string content_type = "text/plain; charset=utf-8";
};

struct HttpsServerOptions {
  HttpsServerOptions() = default;
  std::size_t max_connections = 256;
  /// Larger bodies are refused with 413. An AdmissionReview carries the object and its old
  /// version, each up to etcd's 1.5 MiB.
  std::size_t max_body_bytes = 8 * 1024 * 1024;
  /// For the TLS handshake, for each request to arrive, for each answer to be taken, and
  /// for the next request on an idle connection.
  std::chrono::milliseconds request_timeout{10'000};
};

class HttpsServer {
 public:
  using Handler = std::function<boost::asio::awaitable<HttpsResponse>(const HttpsRequest&)>;

  /// Binds `endpoint` now (throws boost::system::system_error when it cannot).
  HttpsServer(boost::asio::any_io_executor executor, boost::asio::ip::tcp::endpoint endpoint,
              std::shared_ptr<ServingCertificate> certificate, HttpsServerOptions options = HttpsServerOptions(),
              Logger logger = Logger());
  ~HttpsServer();
  HttpsServer(const HttpsServer&) = delete;
  HttpsServer& operator=(const HttpsServer&) = delete;

  /// Serves `path` (exact match) with `handler`. Register before run().
  void handle(std::string path, Handler handler);
  /// A synchronous handler, for answers that need no I/O.
  void handle_sync(std::string path, std::function<HttpsResponse(const HttpsRequest&)> handler);
  /// The registered paths.
  std::vector<std::string> paths() const;

  unsigned short port() const { return port_; }
  /// Accepts until stop(). co_spawn it on any executor: the acceptor runs on its own strand.
  boost::asio::awaitable<void> run();
  /// Stops accepting and closes open connections. Thread-safe.
  void stop();
  std::size_t open_connections() const noexcept { return state_->open.load(); }
  boost::asio::strand<boost::asio::any_io_executor> executor() const { return strand_; }

 private:
  struct Connection;
  // Shared with every connection coroutine, which may outlive the server object when its
  // io_context destroys it later.
  struct State {
    std::atomic<std::size_t> open{0};
    std::mutex mutex;
    bool stopped = false;
    std::vector<std::weak_ptr<Connection>> connections;
    std::map<std::string, Handler, std::less<>> handlers;
  };
  static boost::asio::awaitable<void> serve(std::shared_ptr<State> state, std::shared_ptr<Connection> connection,
                                            HttpsServerOptions options, Logger log);

  boost::asio::any_io_executor executor_;
  boost::asio::strand<boost::asio::any_io_executor> strand_;
  boost::asio::ip::tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  std::shared_ptr<ServingCertificate> certificate_;
  HttpsServerOptions options_;
  Logger log_;
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

}  // namespace kopp

#if KOPP_HEADER_ONLY
#include <kopp/runtime/webhook/impl/https_server.ipp>
#endif
