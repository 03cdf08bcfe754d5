#pragma once
// kopp::Http1Transport: the Transport (kopp/client/transport.hpp) that speaks HTTP/1.1 to
// one API server with Boost.Beast, over TCP or TLS (OpenSSL), with a pool of
// keep-alive connections. The transport knows nothing of Kubernetes: it sends requests,
// returns statuses and bodies, and opens streaming responses for watches.
//
// TLS, certificate verification, the warnings about insecure configurations and the
// refusal to send a credential over plain HTTP to a host that is not loopback are the
// connector's (kopp/client/server_connector.hpp), shared with Http2Transport. Over plain
// HTTP a bearer token or client certificate is only sent to a loopback address
// (127.0.0.0/8, ::1, localhost); to any other host the request fails with
// errc::unsupported before a connection is made.
//
// Guarantees: a pooled connection is checked before reuse; one the server has closed (or
// that holds unexpected bytes) is dropped without writing to it. A request is sent a second
// time on a new connection only when that cannot duplicate its effect: an idempotent verb
// (GET, HEAD, PUT, DELETE) whose reused connection failed (a reset, EOF or a TLS error),
// or any verb whose write failed before a byte was written. POST and PATCH that may have
// reached the server are never re-sent; the error is reported. Interim 1xx responses are
// skipped (at most 16); the final response is returned. 101 Switching Protocols is an
// error and the connection is closed.
//
// Errors: every failure is a kopp::api_error naming the server and what failed (connect,
// TLS handshake with OpenSSL's verify reason, timeout, a closed connection, a limit of
// TransportOptions with its name and value: errc::response_too_large); a bearer token or
// key never appears in a message.

#include <kopp/core/detail/config.hpp>
#include <kopp/client/config.hpp>
#include <kopp/client/server_connector.hpp>
#include <kopp/client/transport.hpp>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace kopp {

namespace detail {

/// The body of a streaming HTTP/1.1 response. Owns its connection.
class Http1ResponseStream final : public ResponseStream {
 public:
  Http1ResponseStream(std::unique_ptr<Connection> connection, unsigned status, std::string content_type,
                      std::string description, std::chrono::milliseconds idle_timeout);
  ~Http1ResponseStream() override;

  boost::asio::awaitable<std::size_t> read_some(std::span<char> buffer) override;
  /// Closes the connection; a pending read_some completes with an error.
  void close() noexcept override;

 private:
  std::unique_ptr<Connection> connection_;
  std::string description_;
  std::chrono::milliseconds idle_timeout_;
};
}  // namespace detail

class Http1Transport final : public Transport {
 public:
  /// Throws api_error (errc::tls_setup_failed, errc::unsupported) when the config's TLS
  /// material is unusable or the server URL is not http(s).
  Http1Transport(boost::asio::any_io_executor executor, const Config& config, TransportOptions options = {});
  ~Http1Transport() override;

  /// Sends one request with a pooled connection and reads the whole response.
  boost::asio::awaitable<HttpResponse> send(HttpRequest request, Credential credential) override;

  /// Sends a request on a new connection, which the stream owns, and returns as soon as the
  /// response headers arrived.
  boost::asio::awaitable<std::unique_ptr<ResponseStream>> open_stream(HttpRequest request,
                                                                      Credential credential) override;

  const std::string& server() const noexcept override { return connector_.server(); }
  boost::asio::any_io_executor get_executor() const override { return executor_; }
  /// Idle connections kept for reuse (observable by tests).
  std::size_t idle_connections() const;

 private:
  boost::asio::awaitable<std::unique_ptr<detail::Connection>> connect(const Credential& credential);
  std::unique_ptr<detail::Connection> take_idle(const Credential& credential);
  void give_back(std::unique_ptr<detail::Connection> connection);
  std::string describe(const HttpRequest& request) const { return connector_.describe(request); }
  /// The api_error for a failed exchange, naming the limit when one was exceeded.
  api_error failure(const HttpRequest& request, const boost::system::error_code& ec) const;
  boost::beast::http::request<boost::beast::http::string_body> make_message(const HttpRequest& request,
                                                                            const Credential& credential) const;

  boost::asio::any_io_executor executor_;
  TransportOptions options_;
  detail::ServerConnector connector_;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<detail::Connection>> idle_;
};

}  // namespace kopp

#if KOPP_HEADER_ONLY
#include <kopp/client/impl/http1_transport.ipp>
#endif
