#pragma once
// The transport seam: what kopp::Client needs from the layer that carries its requests to
// an API server. A Transport sends a request and returns the whole response, or opens a
// response whose body is read as it arrives (a watch). It knows nothing of Kubernetes:
// rate limits, retries, credentials' refresh and error mapping live in kopp::Client, above
// the seam, so they are the same whatever carries the bytes.
//
// Implementations: kopp::Http2Transport (HTTP/2 over TLS, every request and watch a stream
// of one connection, falling back to HTTP/1.1; kopp/client/http2_transport.hpp),
// kopp::Http1Transport (HTTP/1.1 over TCP or TLS, a pool of keep-alive connections;
// kopp/client/http1_transport.hpp), and the test kit's in-memory API server
// (kopp/testing/fake_cluster.hpp). One request or stream per call, each independently
// cancellable by closing its stream, so a multiplexed transport fits as well as a pool.
//
// Contract for an implementation:
// - send() completes with the final response whatever its status (a 4xx/5xx is a
//   response, not an error); it throws kopp::api_error only when no response arrived (the
//   connection failed, a timeout, a limit of TransportOptions), naming the server and what
//   failed, never a token or key. It may re-send a request only when that cannot duplicate
//   its effect.
// - open_stream() completes once the response's status and headers are known; the body is
//   then read with ResponseStream::read_some, which returns 0 at its end.
// - ResponseStream::close() may be called from the stream's executor while a read_some is
//   pending, which then completes (with an error or 0); destroying a stream closes it.
// - Both take the request and credential by value: the coroutine keeps its own copies.

#include <kopp/core/detail/config.hpp>
#include <kopp/client/credentials.hpp>
#include <kopp/client/error.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/verb.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

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

/// The HTTP version a Client speaks (TransportOptions::protocol).
enum class HttpProtocol {
  /// HTTP/2 when the server chooses it by ALPN (https only; the API server does), else
  /// HTTP/1.1 (kopp::Http2Transport). Opt-in for now (see TransportOptions::protocol).
  automatic,
  /// HTTP/1.1 always (kopp::Http1Transport), as client-go's DISABLE_HTTP2; the default for
  /// now. The environment variable KOPP_DISABLE_HTTP2=1 (or true) forces it for every
  /// Client made with make_transport, without recompiling.
  http1,
};

struct TransportOptions {
  TransportOptions() = default;  // not an aggregate: see "Params objects" in docs/architecture.md
  /// HTTP/1.1 by default for now: with HTTP/2 the default, one integration test
  /// (controller_cancellation_test) hung once in a cold CI run and the cause is not found
  /// yet (issue 17). Set HttpProtocol::automatic for HTTP/2.
  HttpProtocol protocol = HttpProtocol::http1;
  std::chrono::milliseconds connect_timeout{10'000};
  /// Whole request: write, wait and read. Zero means none.
  std::chrono::milliseconds request_timeout{60'000};
  /// A streaming response that sends nothing (not even a bookmark) for this long is
  /// treated as a dead connection. Zero means wait forever.
  std::chrono::milliseconds stream_idle_timeout{std::chrono::minutes(10)};
  /// HTTP/1.1 only: keep-alive connections kept for reuse.
  std::size_t max_idle_connections = 32;
  /// HTTP/2 only: a connection on which no frame arrived for this long is sent a PING
  /// (client-go's ReadIdleTimeout); zero turns the health check off.
  std::chrono::milliseconds http2_read_idle_timeout{30'000};
  /// HTTP/2 only: a PING unanswered for this long closes the connection (client-go's
  /// PingTimeout): its requests fail, and watches resume on a new connection.
  std::chrono::milliseconds http2_ping_timeout{15'000};
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
/// Retry-After values are clamped to this, so that converting one to any clock's duration
/// cannot overflow; kopp::Client caps the wait much lower (ClientOptions::max_retry_after).
inline constexpr std::chrono::seconds retry_after_ceiling{24 * 60 * 60};

/// A Retry-After header's delta-seconds, clamped to retry_after_ceiling; nullopt when it is
/// not one (an HTTP-date, which the API server never sends, included).
KOPP_DECL std::optional<std::chrono::seconds> parse_retry_after(std::string_view value);
}  // namespace detail

/// A response whose body is read incrementally (a watch).
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;
  ResponseStream(const ResponseStream&) = delete;
  ResponseStream& operator=(const ResponseStream&) = delete;

  unsigned status() const noexcept { return status_; }
  const std::string& content_type() const noexcept { return content_type_; }

  /// Reads the next piece of the body into `buffer`; returns 0 at the end of the body.
  /// Throws api_error on a transport failure or idle timeout.
  virtual boost::asio::awaitable<std::size_t> read_some(std::span<char> buffer) = 0;

  /// Reads the rest of the body, at most `limit` bytes (used for error responses).
  boost::asio::awaitable<std::string> read_all(std::size_t limit = 1u << 20);

  /// Ends the stream; a pending read_some completes. Callable from the stream's executor
  /// while another coroutine waits in read_some.
  virtual void close() noexcept = 0;

 protected:
  ResponseStream(unsigned status, std::string content_type) : status_(status), content_type_(std::move(content_type)) {}

 private:
  unsigned status_;
  std::string content_type_;
};

class Transport {
 public:
  virtual ~Transport() = default;
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  /// Sends one request and reads the whole response (see the contract above).
  virtual boost::asio::awaitable<HttpResponse> send(HttpRequest request, Credential credential) = 0;

  /// Sends a request and returns as soon as the response headers arrived.
  virtual boost::asio::awaitable<std::unique_ptr<ResponseStream>> open_stream(HttpRequest request,
                                                                              Credential credential) = 0;

  /// "https://127.0.0.1:6443" — for messages.
  virtual const std::string& server() const noexcept = 0;
  virtual boost::asio::any_io_executor get_executor() const = 0;

 protected:
  Transport() = default;
};

}  // namespace kopp

#if KOPP_HEADER_ONLY
#include <kopp/client/impl/transport.ipp>
#endif
