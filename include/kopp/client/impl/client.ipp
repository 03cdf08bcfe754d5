#pragma once

#include <kopp/client/client.hpp>

#include <kopp/client/http1_transport.hpp>
#include <kopp/client/http2_transport.hpp>

#include <kopp/core/json.hpp>
#include <kopp/client/detail/message_text.hpp>

#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>

#include <cstdlib>
#include <stdexcept>

namespace kopp {

KOPP_DECL bool is_idempotent(boost::beast::http::verb method) noexcept {
  using boost::beast::http::verb;
  return method == verb::get || method == verb::head || method == verb::put || method == verb::delete_;
}

namespace detail {
KOPP_DECL bool http2_disabled_by_environment() {
  const char* value = std::getenv("KOPP_DISABLE_HTTP2");
  if (!value) return false;
  const std::string_view text(value);
  return text == "1" || text == "true" || text == "TRUE" || text == "True";
}
}  // namespace detail

KOPP_DECL std::unique_ptr<Transport> make_transport(boost::asio::any_io_executor executor, const Config& config,
                                                    const TransportOptions& options) {
  if (options.protocol == HttpProtocol::http1 || detail::http2_disabled_by_environment())
    return std::make_unique<Http1Transport>(std::move(executor), config, options);
  return std::make_unique<Http2Transport>(std::move(executor), config, options);
}

KOPP_DECL Client::Client(boost::asio::any_io_executor executor, Config config, ClientOptions options)
    : config_(std::move(config)),
      options_(std::move(options)),
      transport_(make_transport(std::move(executor), config_, options_.transport)),
      rate_limiter_(config_.qps, config_.burst) {}

KOPP_DECL Client::Client(std::unique_ptr<Transport> transport, Config config, ClientOptions options)
    : config_(std::move(config)),
      options_(std::move(options)),
      transport_(std::move(transport)),
      rate_limiter_(config_.qps, config_.burst) {
  if (!transport_) throw std::invalid_argument("kopp::Client: the transport is null");
}

KOPP_DECL boost::asio::awaitable<Credential> Client::credential() {
  // Asynchronous: an exec plugin may run for seconds, and the io thread serves others meanwhile.
  if (!config_.credentials) co_return Credential{};
  co_return co_await config_.credentials->async_current();
}

KOPP_DECL boost::asio::awaitable<void> Client::sleep(std::chrono::steady_clock::duration d) {
  if (d <= std::chrono::steady_clock::duration::zero()) co_return;
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, d);
  co_await timer.async_wait(boost::asio::use_awaitable);
}

KOPP_DECL boost::asio::awaitable<void> Client::wait_for_rate_limit() {
  co_await sleep(rate_limiter_.reserve(TokenBucket::clock::now()));
}

KOPP_DECL void Client::record(const HttpRequest& request, unsigned status, std::chrono::steady_clock::time_point start,
                              unsigned attempt) {
  ++requests_sent_;
  if (!options_.on_request) return;
  std::string_view path = request.target;
  path = path.substr(0, path.find('?'));
  options_.on_request(RequestRecord{request.method, path, status, std::chrono::steady_clock::now() - start, attempt});
}

KOPP_DECL api_error Client::error_from_response(const HttpRequest& request, unsigned status, std::string_view body,
                                                std::optional<std::chrono::seconds> retry_after) {
  std::optional<Status> server_status;
  boost::system::error_code ec;
  auto parsed = boost::json::parse(body, ec);
  if (!ec && parsed.is_object() && parsed.as_object().contains("kind")) {
    try {
      server_status = from_json<Status>(parsed);
    } catch (const std::exception&) {
      server_status.reset();
    }
  }
  std::string reason = server_status ? server_status->reason : std::string();
  std::string message = std::string(boost::beast::http::to_string(request.method)) + " " +
                        request.target.substr(0, request.target.find('?')) + ": " + std::to_string(status);
  if (!reason.empty()) message += " " + reason;
  // Server text is escaped to one line and bounded: a body must not forge log lines.
  if (server_status && !server_status->message.empty())
    message += ": " + detail::quote_for_message(server_status->message, 1024);
  else if (!server_status && !body.empty())
    message += ": " + detail::quote_for_message(body, 200);
  if (retry_after && server_status) {
    if (!server_status->details) server_status->details.emplace();
    if (server_status->details->retryAfterSeconds <= 0)
      server_status->details->retryAfterSeconds = static_cast<std::int32_t>(retry_after->count());
  }
  return api_error(make_error_code(errc_from_http(status, reason)), std::move(message), std::move(server_status),
                   status);
}

KOPP_DECL boost::asio::awaitable<HttpResponse> Client::send(HttpRequest request) {
  ExponentialBackoff backoff(options_.retry_backoff);
  bool refreshed_credential = false;
  for (unsigned attempt = 0;; ++attempt) {
    co_await wait_for_rate_limit();
    const auto start = std::chrono::steady_clock::now();
    const bool may_retry = attempt < options_.max_retries;
    HttpResponse response;
    bool failed_before_answer = false;
    const Credential current_credential = co_await credential();
    try {
      response = co_await transport_->send(request, current_credential);
    } catch (const api_error& e) {
      record(request, 0, start, attempt);
      // Failures before the server answered (refused or reset connections, timeouts) are
      // retried for idempotent verbs; a broken TLS setup, an answer kopp cannot use (101)
      // or one beyond a limit never heals by retrying. (The transport has already re-sent
      // once on a new connection after a TLS error on a reused one.)
      if (!may_retry || !is_idempotent(request.method) || e.code() == make_error_code(errc::tls_setup_failed) ||
          e.code() == make_error_code(errc::unsupported) || e.code() == make_error_code(errc::unexpected_status) ||
          e.code() == make_error_code(errc::response_too_large) ||
          e.code().category() == boost::asio::error::get_ssl_category())
        throw;
      failed_before_answer = true;
    }
    if (failed_before_answer) {
      co_await sleep(backoff.next());
      continue;
    }
    record(request, response.status, start, attempt);
    if (response.status == 401 && !refreshed_credential && config_.credentials) {
      refreshed_credential = true;
      config_.credentials->invalidate();
      continue;
    }
    const bool throttled = response.status == 429;
    const bool transient = response.status >= 500 && response.status != 501 && is_idempotent(request.method);
    if (may_retry && (throttled || transient)) {
      auto delay = std::chrono::duration_cast<std::chrono::steady_clock::duration>(backoff.next());
      if (response.retry_after) {
        // Bounded: the server's wish is honoured up to max_retry_after and the request
        // timeout (parse_retry_after already clamps it to a day, so no conversion overflows).
        std::chrono::steady_clock::duration wanted = *response.retry_after;
        wanted = std::min<std::chrono::steady_clock::duration>(wanted, options_.max_retry_after);
        if (options_.transport.request_timeout.count() > 0)
          wanted = std::min<std::chrono::steady_clock::duration>(wanted, options_.transport.request_timeout);
        delay = std::max(delay, wanted);
      }
      co_await sleep(delay);
      continue;
    }
    co_return response;
  }
}

KOPP_DECL boost::asio::awaitable<boost::json::value> Client::request_json(HttpRequest request,
                                                                          boost::json::storage_ptr storage,
                                                                          std::size_t* body_bytes) {
  auto response = co_await send(request);
  if (body_bytes) *body_bytes = response.body.size();
  if (response.status < 200 || response.status >= 300)
    throw error_from_response(request, response.status, response.body, response.retry_after);
  boost::system::error_code ec;
  auto value = boost::json::parse(response.body, ec, std::move(storage), json_parse_options());
  if (ec)
    throw api_error(make_error_code(errc::malformed_response),
                    std::string(boost::beast::http::to_string(request.method)) + " " + request.target +
                        ": response is not JSON: " + ec.message());
  co_return value;
}

KOPP_DECL boost::asio::awaitable<std::unique_ptr<ResponseStream>> Client::stream(HttpRequest request) {
  ExponentialBackoff backoff(options_.retry_backoff);
  bool refreshed_credential = false;
  for (unsigned attempt = 0;; ++attempt) {
    co_await wait_for_rate_limit();
    const auto start = std::chrono::steady_clock::now();
    const Credential current_credential = co_await credential();
    auto stream = co_await transport_->open_stream(request, current_credential);
    record(request, stream->status(), start, attempt);
    if (stream->status() >= 200 && stream->status() < 300) co_return stream;
    const std::string body = co_await stream->read_all();
    if (stream->status() == 401 && !refreshed_credential && config_.credentials) {
      refreshed_credential = true;
      config_.credentials->invalidate();
      continue;
    }
    if (stream->status() == 429 && attempt < options_.max_retries) {
      co_await sleep(backoff.next());
      continue;
    }
    throw error_from_response(request, stream->status(), body);
  }
}

}  // namespace kopp
