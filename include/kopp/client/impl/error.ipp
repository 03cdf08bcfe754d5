#pragma once

#include <kopp/client/error.hpp>

namespace kopp {

KOPP_DECL std::string error_category_impl::message(int ev) const {
  switch (static_cast<errc>(ev)) {
    case errc::bad_request:
      return "bad request";
    case errc::unauthorized:
      return "unauthorized (credentials missing, wrong or expired)";
    case errc::forbidden:
      return "forbidden (RBAC denied the request)";
    case errc::not_found:
      return "not found";
    case errc::method_not_allowed:
      return "method not allowed";
    case errc::already_exists:
      return "already exists";
    case errc::conflict:
      return "conflict";
    case errc::gone:
      return "gone (resourceVersion too old)";
    case errc::invalid:
      return "invalid object";
    case errc::too_many_requests:
      return "too many requests";
    case errc::server_error:
      return "server error";
    case errc::unexpected_status:
      return "unexpected HTTP status";
    case errc::malformed_response:
      return "malformed response body";
    case errc::watch_frame_malformed:
      return "malformed watch event";
    case errc::watch_stream_truncated:
      return "watch stream truncated mid-event";
    case errc::frame_too_large:
      return "watch event too large";
    case errc::timeout:
      return "timed out";
    case errc::tls_setup_failed:
      return "TLS setup failed";
    case errc::unsupported:
      return "unsupported configuration";
    case errc::retries_exhausted:
      return "retries exhausted";
    case errc::response_too_large:
      return "response too large";
    case errc::stream_reset:
      return "stream reset";
  }
  return "unknown kopp error";
}

KOPP_DECL const boost::system::error_category& error_category() noexcept {
  static const error_category_impl instance;
  return instance;
}

KOPP_DECL errc errc_from_http(unsigned http_status, std::string_view reason) noexcept {
  switch (http_status) {
    case 400:
      return errc::bad_request;
    case 401:
      return errc::unauthorized;
    case 403:
      return errc::forbidden;
    case 404:
      return errc::not_found;
    case 405:
      return errc::method_not_allowed;
    case 409:
      return reason == "AlreadyExists" ? errc::already_exists : errc::conflict;
    case 410:
      return errc::gone;
    case 422:
      return errc::invalid;
    case 429:
      return errc::too_many_requests;
    default:
      break;
  }
  if (reason == "Expired" || reason == "Gone") return errc::gone;
  return http_status >= 500 ? errc::server_error : errc::unexpected_status;
}

KOPP_DECL api_error::api_error(boost::system::error_code ec, std::string what, std::optional<Status> status,
                               unsigned http_status)
    : boost::system::system_error(ec, what), status_(std::move(status)), http_status_(http_status) {}

KOPP_DECL std::optional<std::chrono::seconds> api_error::retry_after() const noexcept {
  if (status_ && status_->details && status_->details->retryAfterSeconds > 0)
    return std::chrono::seconds(status_->details->retryAfterSeconds);
  return std::nullopt;
}

#define KOPP_DEFINE_ERROR_PREDICATE(name, value)                                                             \
  KOPP_DECL bool name(const boost::system::error_code& ec) noexcept { return ec == make_error_code(value); } \
  KOPP_DECL bool name(const api_error& e) noexcept { return name(e.code()); }
KOPP_DEFINE_ERROR_PREDICATE(is_not_found, errc::not_found)
KOPP_DEFINE_ERROR_PREDICATE(is_conflict, errc::conflict)
KOPP_DEFINE_ERROR_PREDICATE(is_already_exists, errc::already_exists)
KOPP_DEFINE_ERROR_PREDICATE(is_gone, errc::gone)
KOPP_DEFINE_ERROR_PREDICATE(is_invalid, errc::invalid)
KOPP_DEFINE_ERROR_PREDICATE(is_forbidden, errc::forbidden)
KOPP_DEFINE_ERROR_PREDICATE(is_unauthorized, errc::unauthorized)
KOPP_DEFINE_ERROR_PREDICATE(is_too_many_requests, errc::too_many_requests)
#undef KOPP_DEFINE_ERROR_PREDICATE

KOPP_DECL void ignore_not_found(const api_error& e) {
  if (!is_not_found(e)) throw e;
}

}  // namespace kopp
