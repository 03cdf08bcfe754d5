#pragma once
// kopp::Client: the one object a program makes to talk to an API server. It adds to the
// transport what every request needs: credentials (refreshed after a 401), the client-side
// rate limit (QPS + burst), retries with backoff for throttling and transient failures,
// and the mapping of error responses to kopp::api_error with the server's Status.
//
// Retries: a 429 is retried for every verb (the server did not act on it), honouring
// Retry-After up to ClientOptions::max_retry_after (and never longer than the transport's
// request_timeout), so one answer cannot park a request indefinitely; a 5xx or a broken connection only for GET, HEAD, PUT and DELETE, which are
// idempotent. A 401 refreshes the credential (exec plugin, rotated token file) and is
// retried once.
//
// Thread-safety: a Client may be shared by coroutines on any executor and thread.

#include <kopp/core/detail/config.hpp>
#include <kopp/client/backoff.hpp>
#include <kopp/client/config.hpp>
#include <kopp/client/token_bucket.hpp>
#include <kopp/client/transport.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>

#include <atomic>
#include <functional>
#include <memory>

namespace kopp {

/// What a request did, reported to ClientOptions::on_request (metrics, tests, benchmarks).
struct RequestRecord {
  boost::beast::http::verb method;
  std::string_view path;  ///< without the query
  unsigned status;        ///< 0 when no response arrived
  std::chrono::steady_clock::duration latency;
  unsigned attempt;  ///< 0 for the first try
};

struct ClientOptions {
  ClientOptions() = default;  // not an aggregate: see "Params objects" in docs/architecture.md
  TransportOptions transport;
  BackoffPolicy retry_backoff{std::chrono::milliseconds(100), std::chrono::milliseconds(10'000), 2.0, 0.5};
  unsigned max_retries = 5;
  /// The longest a Retry-After header makes a retry wait; a larger value waits this long.
  /// The wait is also never longer than transport.request_timeout (when that is not zero).
  std::chrono::milliseconds max_retry_after{30'000};
  /// Called after every HTTP exchange (including retried ones). Must be cheap.
  std::function<void(const RequestRecord&)> on_request;
};

class Client {
 public:
  /// A client of config.server over make_transport(): HTTP/2 when the server offers it,
  /// else HTTP/1.1. Throws api_error when the config's TLS material or server URL is
  /// unusable.
  Client(boost::asio::any_io_executor executor, Config config, ClientOptions options = {});
  /// A client over another transport (the test kit's in-memory cluster, another protocol).
  /// `config` still gives the credentials and the rate limit; options.transport is the
  /// transport's own business.
  Client(std::unique_ptr<Transport> transport, Config config, ClientOptions options = {});

  const Config& config() const noexcept { return config_; }
  const ClientOptions& options() const noexcept { return options_; }
  const std::string& default_namespace() const noexcept { return config_.default_namespace; }
  boost::asio::any_io_executor get_executor() const { return transport_->get_executor(); }
  Transport& transport() noexcept { return *transport_; }

  /// Sends a request with rate limiting, credentials and retries; returns the final
  /// response whatever its status.
  boost::asio::awaitable<HttpResponse> send(HttpRequest request);

  /// send(), then: a 2xx body parsed as JSON into `storage`, or api_error for any other
  /// status. A monotonic_resource as storage makes a large answer that is read once and
  /// dropped (a list page an informer decodes) several times faster to parse, and frees it
  /// in one piece instead of thousands of small blocks. `body_bytes`, when given, receives
  /// the size of the response body (DynamicApi::list bounds the sum of its pages with it).
  boost::asio::awaitable<boost::json::value> request_json(HttpRequest request,
                                                          boost::json::storage_ptr storage = boost::json::storage_ptr(),
                                                          std::size_t* body_bytes = nullptr);

  /// Opens a streaming response (watch). A non-2xx answer is read and thrown as api_error.
  boost::asio::awaitable<std::unique_ptr<ResponseStream>> stream(HttpRequest request);

  /// Requests sent so far, retries included.
  std::uint64_t requests_sent() const noexcept { return requests_sent_.load(); }

  /// The api_error for a non-2xx response: code from the status and the Status' reason,
  /// message "<VERB> <path>: <code> <reason>: <server message>".
  static api_error error_from_response(const HttpRequest& request, unsigned status, std::string_view body,
                                       std::optional<std::chrono::seconds> retry_after = {});

 private:
  boost::asio::awaitable<Credential> credential();
  boost::asio::awaitable<void> wait_for_rate_limit();
  boost::asio::awaitable<void> sleep(std::chrono::steady_clock::duration d);
  void record(const HttpRequest& request, unsigned status, std::chrono::steady_clock::time_point start,
              unsigned attempt);

  Config config_;
  ClientOptions options_;
  std::unique_ptr<Transport> transport_;
  TokenBucket rate_limiter_;
  std::atomic<std::uint64_t> requests_sent_{0};
};

/// The default transport for `config`: kopp::Http2Transport (HTTP/2 by ALPN, falling back
/// to HTTP/1.1), or kopp::Http1Transport when options.protocol is HttpProtocol::http1 or
/// the environment has KOPP_DISABLE_HTTP2=1 (or true).
std::unique_ptr<Transport> make_transport(boost::asio::any_io_executor executor, const Config& config,
                                          const TransportOptions& options);

/// True for verbs that can be sent twice with the effect of once.
bool is_idempotent(boost::beast::http::verb method) noexcept;

}  // namespace kopp

#if KOPP_HEADER_ONLY
#include <kopp/client/impl/client.ipp>
#endif
