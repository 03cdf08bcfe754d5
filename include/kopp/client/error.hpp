#pragma once
// Errors of the client layer: one error enum (kopp::errc) for everything the client can
// report, and kopp::api_error, which carries the API server's Status when there is one.

#include <kopp/core/detail/config.hpp>
#include <kopp/core/status.hpp>

#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <type_traits>

namespace kopp {

/// Every failure the client reports. HTTP failures of the API server map to the
/// reason-like values (not_found, conflict, ...); the rest are local.
enum class errc {
  // The API server answered with an error status.
  bad_request = 1,     ///< 400
  unauthorized,        ///< 401: missing, wrong or expired credentials
  forbidden,           ///< 403: RBAC denied the request
  not_found,           ///< 404
  method_not_allowed,  ///< 405
  already_exists,      ///< 409 with reason AlreadyExists
  conflict,            ///< 409: stale resourceVersion or apply conflict
  gone,                ///< 410: resourceVersion too old (expired); relist
  invalid,             ///< 422: the object failed validation
  too_many_requests,   ///< 429: server-side throttling (Retry-After honoured)
  server_error,        ///< 5xx
  unexpected_status,   ///< any other non-2xx status
  // Local failures.
  malformed_response,      ///< a 2xx body that is not the JSON the request expects
  watch_frame_malformed,   ///< a watch event that is not valid JSON or lacks type/object
  watch_stream_truncated,  ///< the watch stream ended in the middle of an event
  frame_too_large,         ///< a watch event larger than the decoder's limit
  timeout,                 ///< connect or request timeout
  tls_setup_failed,        ///< a CA, client certificate or key that OpenSSL refused
  unsupported,             ///< a configuration kopp does not support (e.g. proxy-url)
  retries_exhausted,       ///< retryable failures until the retry budget ran out
  response_too_large,      ///< a response body or header/framing beyond TransportOptions' limits
  stream_reset,            ///< the server reset an HTTP/2 stream (RST_STREAM) or the connection
};

class error_category_impl : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "kopp"; }
  std::string message(int ev) const override;
};

const boost::system::error_category& error_category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), error_category()}; }

/// The errc for an HTTP status and the Status reason the server sent with it.
errc errc_from_http(unsigned http_status, std::string_view reason) noexcept;

/// A failed request. `code()` is a kopp::errc (or an Asio/SSL error for transport
/// failures); status() is the server's Status when the server sent one. The message names
/// the request (verb and path) and the server's message; it never contains credentials.
class api_error : public boost::system::system_error {
 public:
  api_error(boost::system::error_code ec, std::string what, std::optional<Status> status = {},
            unsigned http_status = 0);

  const std::optional<Status>& status() const noexcept { return status_; }
  unsigned http_status() const noexcept { return http_status_; }
  /// Seconds the server asked us to wait (429 Retry-After or Status.details).
  std::optional<std::chrono::seconds> retry_after() const noexcept;

 private:
  std::optional<Status> status_;
  unsigned http_status_ = 0;
};

bool is_not_found(const boost::system::error_code& ec) noexcept;
bool is_conflict(const boost::system::error_code& ec) noexcept;
bool is_already_exists(const boost::system::error_code& ec) noexcept;
bool is_gone(const boost::system::error_code& ec) noexcept;
bool is_invalid(const boost::system::error_code& ec) noexcept;
bool is_forbidden(const boost::system::error_code& ec) noexcept;
bool is_unauthorized(const boost::system::error_code& ec) noexcept;
bool is_too_many_requests(const boost::system::error_code& ec) noexcept;

bool is_not_found(const api_error& e) noexcept;
bool is_conflict(const api_error& e) noexcept;
bool is_already_exists(const api_error& e) noexcept;
bool is_gone(const api_error& e) noexcept;
bool is_invalid(const api_error& e) noexcept;
bool is_forbidden(const api_error& e) noexcept;
bool is_unauthorized(const api_error& e) noexcept;
bool is_too_many_requests(const api_error& e) noexcept;

/// Rethrows everything but not-found: `catch (const api_error& e) { ignore_not_found(e); }`.
void ignore_not_found(const api_error& e);

}  // namespace kopp

template <>
struct boost::system::is_error_code_enum<kopp::errc> : std::true_type {};

#if KOPP_HEADER_ONLY
#include <kopp/client/impl/error.ipp>
#endif
