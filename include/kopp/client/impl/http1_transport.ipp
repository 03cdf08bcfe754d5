#pragma once

#include <kopp/client/http1_transport.hpp>

#include <kopp/version.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <array>

namespace kopp {
namespace detail {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace asio = boost::asio;

/// Errors of a reused connection after which an idempotent request is sent again on a new
/// connection: the server closed or reset the kept-alive connection, or TLS on it failed
/// (a truncated stream, a bad record). Timeouts are not among them: the request's time
/// is spent.
KOPP_DECL bool is_reused_connection_error(const boost::system::error_code& ec) {
  return ec == http::error::end_of_stream || ec == http::error::partial_message || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::error::connection_aborted || ec == asio::ssl::error::stream_truncated ||
         ec.category() == asio::error::get_ssl_category();
}

template <class Message>
void apply_credential(Message& message, const Credential& credential) {
  if (auto authorization = authorization_value(credential))
    message.set(boost::beast::http::field::authorization, *authorization);
}

}  // namespace detail

// --- Http1ResponseStream -------------------------------------------------------------------

KOPP_DECL detail::Http1ResponseStream::Http1ResponseStream(std::unique_ptr<Connection> connection, unsigned status,
                                                           std::string content_type, std::string description,
                                                           std::chrono::milliseconds idle_timeout)
    : ResponseStream(status, std::move(content_type)),
      connection_(std::move(connection)),
      description_(std::move(description)),
      idle_timeout_(idle_timeout) {}

KOPP_DECL detail::Http1ResponseStream::~Http1ResponseStream() { Http1ResponseStream::close(); }

KOPP_DECL void detail::Http1ResponseStream::close() noexcept {
  if (connection_) connection_->close();
}

KOPP_DECL boost::asio::awaitable<std::size_t> detail::Http1ResponseStream::read_some(std::span<char> buffer) {
  namespace http = boost::beast::http;
  auto& parser = *connection_->stream_parser;
  if (parser.is_done() || buffer.empty()) co_return 0;
  // Beast may consume chunk framing without producing body bytes: read until it does.
  for (;;) {
    if (idle_timeout_.count() > 0)
      connection_->tcp().expires_after(idle_timeout_);
    else
      connection_->tcp().expires_never();
    parser.get().body().data = buffer.data();
    parser.get().body().size = buffer.size();
    auto [ec, ignored] = co_await connection_->with_stream([&](auto& stream) {
      return http::async_read_some(stream, connection_->buffer(), parser,
                                   boost::asio::as_tuple(boost::asio::use_awaitable));
    });
    (void)ignored;
    if (ec == http::error::need_buffer) ec = {};
    if (ec == boost::beast::error::timeout)
      throw api_error(make_error_code(errc::timeout),
                      description_ + ": no data for " + std::to_string(idle_timeout_.count()) + " ms");
    if (ec == boost::beast::http::error::buffer_overflow || ec == boost::beast::http::error::header_limit)
      throw api_error(make_error_code(errc::response_too_large),
                      description_ + ": a chunk header or trailer exceeds TransportOptions::max_header_bytes");
    if (ec) throw api_error(ec, description_ + ": stream broken: " + ec.message());
    const std::size_t filled = buffer.size() - parser.get().body().size;
    if (filled > 0 || parser.is_done()) co_return filled;
  }
}

// --- Http1Transport ------------------------------------------------------------------------

KOPP_DECL Http1Transport::Http1Transport(boost::asio::any_io_executor executor, const Config& config,
                                         TransportOptions options)
    : executor_(std::move(executor)), options_(std::move(options)), connector_(executor_, config, options_) {
  if (options_.user_agent.empty()) options_.user_agent = std::string("kopp/") + version_string;
}

KOPP_DECL Http1Transport::~Http1Transport() = default;

KOPP_DECL std::size_t Http1Transport::idle_connections() const {
  std::lock_guard lock(mutex_);
  return idle_.size();
}

KOPP_DECL boost::asio::awaitable<std::unique_ptr<detail::Connection>> Http1Transport::connect(
    const Credential& credential) {
  // No ALPN: a server that speaks both protocols answers HTTP/1.1 without it.
  return connector_.connect(credential, {});
}

KOPP_DECL std::unique_ptr<detail::Connection> Http1Transport::take_idle(const Credential& credential) {
  auto context = connector_.context_for(credential);
  std::lock_guard lock(mutex_);
  // Connections made with an older client certificate are not reused.
  std::erase_if(idle_, [&](const auto& c) { return c->context() != context; });
  for (auto it = idle_.rbegin(); it != idle_.rend(); ++it) {
    if ((*it)->context() == context) {
      auto connection = std::move(*it);
      idle_.erase(std::next(it).base());
      return connection;
    }
  }
  return nullptr;
}

KOPP_DECL void Http1Transport::give_back(std::unique_ptr<detail::Connection> connection) {
  std::lock_guard lock(mutex_);
  if (idle_.size() < options_.max_idle_connections) idle_.push_back(std::move(connection));
}

KOPP_DECL boost::beast::http::request<boost::beast::http::string_body> Http1Transport::make_message(
    const HttpRequest& request, const Credential& credential) const {
  namespace http = boost::beast::http;
  http::request<http::string_body> message{request.method, connector_.base_path() + request.target, 11};
  message.set(http::field::host, connector_.host());
  message.set(http::field::user_agent, options_.user_agent);
  message.set(http::field::accept, request.accept);
  detail::apply_credential(message, credential);
  if (!request.body.empty() || request.method == http::verb::post || request.method == http::verb::put ||
      request.method == http::verb::patch) {
    message.set(http::field::content_type,
                request.content_type.empty() ? std::string("application/json") : request.content_type);
    message.body() = request.body;
  }
  message.keep_alive(true);
  message.prepare_payload();
  return message;
}

KOPP_DECL api_error Http1Transport::failure(const HttpRequest& request, const boost::system::error_code& ec) const {
  namespace http = boost::beast::http;
  if (ec == boost::beast::error::timeout)
    return api_error(make_error_code(errc::timeout), describe(request) + ": no response within " +
                                                         std::to_string(options_.request_timeout.count()) + " ms");
  if (ec == http::error::body_limit)
    return api_error(make_error_code(errc::response_too_large),
                     describe(request) + ": the response body exceeds TransportOptions::max_response_body_bytes (" +
                         std::to_string(options_.max_response_body_bytes) + " bytes)");
  if (ec == http::error::header_limit || ec == http::error::buffer_overflow)
    return api_error(make_error_code(errc::response_too_large),
                     describe(request) +
                         ": the response headers, a chunk header or the trailer exceed "
                         "TransportOptions::max_header_bytes (" +
                         std::to_string(options_.max_header_bytes) + " bytes)");
  return api_error(ec, describe(request) + ": " + ec.message());
}

KOPP_DECL boost::asio::awaitable<HttpResponse> Http1Transport::send(HttpRequest request, Credential credential) {
  namespace http = boost::beast::http;
  namespace asio = boost::asio;
  connector_.check_credential_allowed(request, credential);
  auto message = make_message(request, credential);
  const bool idempotent = detail::idempotent_verb(request.method);

  // A second attempt on a new connection is made only when the first used a pooled
  // connection and sending again cannot duplicate the request's effect (see the header).
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<detail::Connection> connection;
    if (attempt == 0) {
      // Idle connections the server closed meanwhile are dropped unwritten.
      while ((connection = take_idle(credential)) && connection->unusable_when_idle()) connection->close();
    }
    const bool reused = connection != nullptr;
    if (!connection) connection = co_await connect(credential);
    auto& tcp = connection->tcp();
    if (options_.request_timeout.count() > 0)
      tcp.expires_after(options_.request_timeout);
    else
      tcp.expires_never();
    auto [wec, written] = co_await connection->with_stream(
        [&](auto& stream) { return http::async_write(stream, message, asio::as_tuple(asio::use_awaitable)); });
    const bool nothing_sent = wec && written == 0;
    std::optional<http::response_parser<http::string_body>> parser;
    auto fresh_parser = [&] {
      parser.emplace();
      parser->header_limit(options_.max_header_bytes);
      parser->body_limit(options_.max_response_body_bytes);
    };
    fresh_parser();
    boost::system::error_code rec = wec;
    // Interim 1xx answers (100 Continue, 103 Early Hints) precede the real one.
    for (int interim = 0; !rec; ++interim) {
      auto [ec, read] = co_await connection->with_stream([&](auto& stream) {
        return http::async_read(stream, connection->buffer(), *parser, asio::as_tuple(asio::use_awaitable));
      });
      (void)read;
      rec = ec;
      if (rec) break;
      const unsigned status = parser->get().result_int();
      if (!detail::is_http_status(status)) {
        connection->close();
        throw detail::invalid_status_error(describe(request), status);
      }
      if (status / 100 != 1) break;
      if (status == 101 || interim >= 16) {
        connection->close();
        throw api_error(make_error_code(errc::unexpected_status),
                        describe(request) + (status == 101 ? ": the server switched protocols (101), which kopp "
                                                             "never asks for"
                                                           : ": more than 16 interim 1xx responses"));
      }
      fresh_parser();
    }
    if (rec) {
      connection->close();
      if (attempt == 0 && reused && (nothing_sent || (idempotent && detail::is_reused_connection_error(rec)))) continue;
      throw failure(request, rec);
    }
    auto response = parser->release();
    HttpResponse result;
    result.status = response.result_int();
    result.content_type = std::string(response[http::field::content_type]);
    if (auto it = response.find(http::field::retry_after); it != response.end())
      result.retry_after = detail::parse_retry_after(it->value());
    result.body = std::move(response.body());
    if (response.keep_alive()) give_back(std::move(connection));
    co_return result;
  }
}

KOPP_DECL boost::asio::awaitable<std::unique_ptr<ResponseStream>> Http1Transport::open_stream(HttpRequest request,
                                                                                              Credential credential) {
  namespace http = boost::beast::http;
  namespace asio = boost::asio;
  connector_.check_credential_allowed(request, credential);
  auto message = make_message(request, credential);
  // A stream owns its connection for its whole life: always a new one.
  auto connection = co_await connect(credential);
  auto& tcp = connection->tcp();
  if (options_.request_timeout.count() > 0) tcp.expires_after(options_.request_timeout);
  auto [wec, written] = co_await connection->with_stream(
      [&](auto& stream) { return http::async_write(stream, message, asio::as_tuple(asio::use_awaitable)); });
  (void)written;
  if (wec) throw api_error(wec, describe(request) + ": " + wec.message());
  // Interim 1xx answers precede the real one; each is a complete message without a body.
  for (int interim = 0;; ++interim) {
    auto& parser = connection->stream_parser.emplace();
    parser.header_limit(options_.max_header_bytes);
    parser.body_limit(boost::none);  // a watch never ends; the decoder bounds each event
    auto [rec, read] = co_await connection->with_stream([&](auto& stream) {
      return http::async_read_header(stream, connection->buffer(), parser, asio::as_tuple(asio::use_awaitable));
    });
    (void)read;
    if (rec == boost::beast::error::timeout)
      throw api_error(make_error_code(errc::timeout), describe(request) + ": no response headers in time");
    if (rec) throw failure(request, rec);
    const unsigned status = parser.get().result_int();
    if (!detail::is_http_status(status)) throw detail::invalid_status_error(describe(request), status);
    if (status / 100 != 1) break;
    if (status == 101 || interim >= 16)
      throw api_error(make_error_code(errc::unexpected_status),
                      describe(request) + (status == 101 ? ": the server switched protocols (101), which kopp "
                                                           "never asks for"
                                                         : ": more than 16 interim 1xx responses"));
  }
  const auto& header = connection->stream_parser->get();
  co_return std::make_unique<detail::Http1ResponseStream>(std::move(connection), header.result_int(),
                                                          std::string(header[http::field::content_type]),
                                                          describe(request), options_.stream_idle_timeout);
}

}  // namespace kopp
