#pragma once
// HTTP/1.1 to one API server with Boost.Beast, over TCP or TLS (OpenSSL), with a pool of
// keep-alive connections. The transport knows nothing of Kubernetes: it sends requests,
// returns statuses and bodies, and opens streaming responses for watches. Rate limits,
// retries and error mapping live in kopp::Client.
//
// TLS: the server certificate is verified against the configured CA (or the system's
// trust store) with hostname / IP-SAN checks; SNI is sent for DNS names;
// insecure_skip_tls_verify disables verification only when the config says so.
//
// insecure_skip_tls_verify and http:// servers other than loopback are warned about once,
// when the Transport is made (TransportOptions::on_warning). Over plain HTTP a bearer token or client certificate
// is only sent to a loopback address (127.0.0.0/8, ::1, localhost); to any other host the
// request fails with errc::unsupported before a connection is made.
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
#include <kopp/client/credentials.hpp>
#include <kopp/client/error.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kopp {

struct HttpRequest {
  HttpRequest() = default;  // not an aggregate: see "Params objects" in docs/architecture.md
  boost::beast::http::verb method = boost::beast::http::verb::get;
  std::string target;  ///< path and query, e.g. /api/v1/namespaces?limit=10
  std::string body;
  std::string content_type;  ///< required when body is not empty
  std::string accept = "application/json";
};

struct HttpResponse {
  HttpResponse() = default;  // not an aggregate: see "Params objects" in docs/architecture.md
  unsigned status = 0;
  std::string body;
  std::string content_type;
  std::optional<std::chrono::seconds> retry_after;  ///< from the Retry-After header
};

struct TransportOptions {
  TransportOptions() = default;  // not an aggregate: see "Params objects" in docs/architecture.md
  std::chrono::milliseconds connect_timeout{10'000};
  /// Whole request: write, wait and read. Zero means none.
  std::chrono::milliseconds request_timeout{60'000};
  /// A streaming response that sends nothing (not even a bookmark) for this long is
  /// treated as a dead connection. Zero means wait forever.
  std::chrono::milliseconds stream_idle_timeout{std::chrono::minutes(10)};
  std::size_t max_idle_connections = 32;
  std::string user_agent;
  /// Largest response body send() accepts (Content-Length or chunked). The API server
  /// caps a response at about 3 GiB, so the default admits every answer it can give while
  /// a broken or hostile server cannot make the client buffer without end. A larger body
  /// fails with errc::response_too_large naming this limit. DynamicApi::list applies the
  /// same limit to the sum of its pages. Streaming bodies (watches) are not bounded here:
  /// the watch decoder bounds one event line (64 MiB, WatchFrameDecoder).
  std::uint64_t max_response_body_bytes = std::uint64_t{3} << 30;
  /// Largest response header section, and the most bytes the connection buffers for HTTP
  /// framing: a chunk-size line with its extensions, or a trailer section. Beyond it the
  /// response fails with errc::response_too_large naming this limit.
  std::uint32_t max_header_bytes = 64 * 1024;
  /// Called with each warning (insecure-skip-tls-verify, plain HTTP to a host that is not
  /// loopback); each is given once, when the Transport is made. Empty: written to stderr with a "kopp: warning:" prefix.
  std::function<void(std::string_view)> on_warning;
};

namespace detail {
class Connection;

/// Retry-After values are clamped to this, so that converting one to any clock's duration
/// cannot overflow; kopp::Client caps the wait much lower (ClientOptions::max_retry_after).
inline constexpr std::chrono::seconds retry_after_ceiling{24 * 60 * 60};

/// A Retry-After header's delta-seconds, clamped to retry_after_ceiling; nullopt when it is
/// not one (an HTTP-date, which the API server never sends, included).
KOPP_DECL std::optional<std::chrono::seconds> parse_retry_after(std::string_view value);
}  // namespace detail

/// A response whose body is read incrementally (a watch). Owns its connection.
class ResponseStream {
 public:
  ResponseStream(std::unique_ptr<detail::Connection> connection, unsigned status, std::string content_type,
                 std::string description, std::chrono::milliseconds idle_timeout);
  ~ResponseStream();
  ResponseStream(const ResponseStream&) = delete;
  ResponseStream& operator=(const ResponseStream&) = delete;

  unsigned status() const noexcept { return status_; }
  const std::string& content_type() const noexcept { return content_type_; }

  /// Reads the next piece of the body into `buffer`; returns 0 at the end of the body.
  /// Throws api_error on a transport failure or idle timeout.
  boost::asio::awaitable<std::size_t> read_some(std::span<char> buffer);

  /// Reads the rest of the body (used for error responses).
  boost::asio::awaitable<std::string> read_all(std::size_t limit = 1u << 20);

  /// Closes the connection; a pending read_some completes with an error. Callable from
  /// the stream's executor while another coroutine waits in read_some.
  void close() noexcept;

 private:
  std::unique_ptr<detail::Connection> connection_;
  unsigned status_;
  std::string content_type_;
  std::string description_;
  std::chrono::milliseconds idle_timeout_;
};

class Transport {
 public:
  /// Throws api_error (errc::tls_setup_failed, errc::unsupported) when the config's TLS
  /// material is unusable or the server URL is not http(s).
  Transport(boost::asio::any_io_executor executor, const Config& config, TransportOptions options = {});
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  /// Sends one request with a pooled connection and reads the whole response. The request
  /// and credential are taken by value: the coroutine keeps its own copies, so a temporary
  /// argument cannot dangle while it runs.
  boost::asio::awaitable<HttpResponse> send(HttpRequest request, Credential credential);

  /// Sends a request and returns as soon as the response headers arrived (by value, as send).
  boost::asio::awaitable<std::unique_ptr<ResponseStream>> open_stream(HttpRequest request, Credential credential);

  /// "https://127.0.0.1:6443" — for messages.
  const std::string& server() const noexcept { return server_; }
  boost::asio::any_io_executor get_executor() const { return executor_; }
  /// Idle connections kept for reuse (observable by tests).
  std::size_t idle_connections() const;

 private:
  struct Target;
  boost::asio::awaitable<std::unique_ptr<detail::Connection>> connect(const Credential& credential);
  std::shared_ptr<boost::asio::ssl::context> context_for(const Credential& credential);
  std::unique_ptr<detail::Connection> take_idle(const Credential& credential);
  void give_back(std::unique_ptr<detail::Connection> connection);
  std::string describe(const HttpRequest& request) const;
  /// The api_error for a failed exchange, naming the limit when one was exceeded.
  api_error failure(const HttpRequest& request, const boost::system::error_code& ec) const;
  /// Throws when the credential would go over plain HTTP to a host that is not loopback.
  void check_credential_allowed(const HttpRequest& request, const Credential& credential) const;
  boost::beast::http::request<boost::beast::http::string_body> make_message(const HttpRequest& request,
                                                                            const Credential& credential) const;

  boost::asio::any_io_executor executor_;
  TransportOptions options_;
  std::string server_;
  bool tls_ = true;
  std::string host_;
  std::string port_;
  std::string base_path_;
  std::string verify_name_;  ///< name or IP checked against the certificate
  bool insecure_ = false;
  std::string ca_pem_;
  std::string static_cert_pem_, static_key_pem_;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<detail::Connection>> idle_;
  /// One SSL context per client certificate in use (exec plugins may rotate it).
  std::shared_ptr<boost::asio::ssl::context> context_;
  std::string context_cert_pem_;
};

}  // namespace kopp

#if KOPP_HEADER_ONLY
#include <kopp/client/impl/transport.ipp>
#endif
