#pragma once

#include <kopp/client/http1_transport.hpp>

#include <kopp/client/detail/tcp_keepalive.hpp>
#include <kopp/version.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/url/parse.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <iostream>

namespace kopp {
namespace detail {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace asio = boost::asio;

/// One TCP or TLS connection to the API server and its read buffer.
class Connection {
 public:
  using tls_stream = beast::ssl_stream<beast::tcp_stream>;

  /// `buffer_limit` bounds the bytes read but not yet parsed: a header section, a chunk
  /// header or a trailer that never ends fails with http::error::buffer_overflow instead of
  /// growing the buffer without end.
  Connection(asio::any_io_executor ex, std::shared_ptr<asio::ssl::context> context, std::size_t buffer_limit)
      : context_(std::move(context)), buffer_(buffer_limit) {
    if (context_)
      tls_.emplace(ex, *context_);
    else
      plain_.emplace(ex);
  }

  beast::tcp_stream& tcp() { return tls_ ? beast::get_lowest_layer(*tls_) : *plain_; }
  tls_stream* tls() { return tls_ ? &*tls_ : nullptr; }
  beast::flat_buffer& buffer() { return buffer_; }
  const std::shared_ptr<asio::ssl::context>& context() const { return context_; }

  /// The parser of a streaming response, kept between read_some calls.
  std::optional<http::response_parser<http::buffer_body>> stream_parser;

  /// Calls f with the stream to read and write (the TLS stream or the TCP stream). Both
  /// branches return the same awaitable type.
  template <class F>
  auto with_stream(F&& f) {
    if (tls_) return f(*tls_);
    return f(*plain_);
  }

  /// True when this idle connection must not be reused: the server closed or reset it, or
  /// sent bytes nobody asked for (a late response, a TLS alert). Checked without blocking
  /// and before anything is written, so a request on a dead connection provably never
  /// reached the server.
  bool unusable_when_idle() {
    if (buffer_.size() != 0) return true;
    char byte;
    const ssize_t n = ::recv(tcp().socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return false;
    return true;  // 0: closed by the peer; > 0: unexpected bytes; < 0: reset or broken
  }

  void close() noexcept {
    boost::system::error_code ignored;
    tcp().socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    tcp().socket().close(ignored);
  }

 private:
  std::shared_ptr<asio::ssl::context> context_;
  std::optional<tls_stream> tls_;
  std::optional<beast::tcp_stream> plain_;
  beast::flat_buffer buffer_;
};

/// Beast accepts any three digits as a status; HTTP defines 100-599 (RFC 9110 section 15),
/// and a response outside it is malformed, not an answer to map (found by tests/fuzz: a
/// status 000 reached callers as a response with status 0).
KOPP_DECL bool is_http_status(unsigned status) noexcept { return status >= 100 && status <= 599; }

KOPP_DECL api_error invalid_status_error(const std::string& request, unsigned status) {
  return api_error(make_error_code(errc::unexpected_status),
                   request + ": the response's status " + std::to_string(status) + " is not an HTTP status (100-599)");
}

/// True for verbs that can be sent twice with the effect of once (as kopp::is_idempotent).
KOPP_DECL bool idempotent_verb(boost::beast::http::verb method) noexcept {
  using boost::beast::http::verb;
  return method == verb::get || method == verb::head || method == verb::put || method == verb::delete_;
}

/// Hosts to which a token may go over plain HTTP: the traffic never leaves the machine.
KOPP_DECL bool is_loopback_host(std::string_view host) {
  if (host == "localhost" || host.ends_with(".localhost")) return true;
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(std::string(host), ec);
  return !ec && address.is_loopback();
}

KOPP_DECL bool is_ip_literal(std::string_view host) {
  boost::system::error_code ec;
  (void)asio::ip::make_address(std::string(host), ec);
  return !ec;
}

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

/// A header field value must not hold CR, LF or other control characters: they would end
/// the header early and let the value write headers of its own.
KOPP_DECL bool is_valid_header_value(std::string_view value) noexcept {
  for (unsigned char c : value)
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  return true;
}

template <class Message>
void apply_credential(Message& message, const Credential& credential) {
  if (credential.bearer_token) {
    // The credential providers refuse such tokens already; this keeps a custom provider
    // from injecting headers. The token itself is never part of the message.
    if (!is_valid_header_value(*credential.bearer_token))
      throw config_error(
          "the bearer token contains a control character (CR, LF or another); "
          "refusing to send it");
    message.set(http::field::authorization, "Bearer " + *credential.bearer_token);
  }
}

KOPP_DECL std::string openssl_error_text() {
  std::string text;
  while (unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    if (!text.empty()) text += "; ";
    text += buffer;
  }
  return text.empty() ? "unknown OpenSSL error" : text;
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
    : executor_(std::move(executor)), options_(std::move(options)) {
  if (options_.user_agent.empty()) options_.user_agent = std::string("kopp/") + version_string;
  auto parsed = boost::urls::parse_uri(config.server);
  if (!parsed)
    throw api_error(make_error_code(errc::unsupported), "server URL '" + config.server + "' (" + config.source +
                                                            ") is not a URL: " + parsed.error().message());
  const auto scheme = parsed->scheme();
  if (scheme != "https" && scheme != "http")
    throw api_error(make_error_code(errc::unsupported), "server URL '" + config.server + "' must be http or https");
  if (!config.proxy_url.empty())
    throw api_error(make_error_code(errc::unsupported),
                    "proxy-url in " + config.source + " is not supported by kopp yet");
  tls_ = scheme == "https";
  host_ = parsed->host_address();  // IPv6 without brackets
  port_ = parsed->has_port() ? std::string(parsed->port()) : (tls_ ? "443" : "80");
  base_path_ = parsed->path();
  while (!base_path_.empty() && base_path_.back() == '/') base_path_.pop_back();
  server_ = std::string(scheme) + "://" + std::string(parsed->encoded_host_and_port());
  verify_name_ = config.tls_server_name.empty() ? host_ : config.tls_server_name;
  insecure_ = config.insecure_skip_tls_verify;
  ca_pem_ = config.ca_pem;
  static_cert_pem_ = config.client_cert_pem;
  static_key_pem_ = config.client_key_pem;
  if (tls_) context_for(Credential{});  // fail now, not at the first request, on bad PEM
  auto warn = [&](const std::string& text) {
    if (options_.on_warning)
      options_.on_warning(text);
    else
      std::cerr << "kopp: warning: " << text << std::endl;
  };
  const std::string from = config.source.empty() ? std::string() : " (" + config.source + ")";
  if (tls_ && insecure_)
    warn("insecure-skip-tls-verify is set for " + server_ + from +
         ": the server's certificate is not verified, so anyone on the path can read and change "
         "the traffic, credentials included");
  // Plain HTTP to loopback (kubectl proxy, a local test server) never leaves the machine.
  if (!tls_ && !detail::is_loopback_host(host_))
    warn("the server " + server_ + from +
         " is plain HTTP: nothing is encrypted, and credentials will not be sent to it");
}

KOPP_DECL void Http1Transport::check_credential_allowed(const HttpRequest& request,
                                                        const Credential& credential) const {
  if (tls_ || detail::is_loopback_host(host_)) return;
  if (credential.bearer_token || !credential.client_cert_pem.empty() || !static_cert_pem_.empty())
    throw api_error(make_error_code(errc::unsupported),
                    describe(request) +
                        ": refusing to send a credential over plain HTTP to a host that is not "
                        "loopback; use https");
}

KOPP_DECL Http1Transport::~Http1Transport() = default;

KOPP_DECL std::size_t Http1Transport::idle_connections() const {
  std::lock_guard lock(mutex_);
  return idle_.size();
}

KOPP_DECL std::shared_ptr<boost::asio::ssl::context> Http1Transport::context_for(const Credential& credential) {
  namespace ssl = boost::asio::ssl;
  const std::string& cert = credential.client_cert_pem.empty() ? static_cert_pem_ : credential.client_cert_pem;
  const std::string& key = credential.client_key_pem.empty() ? static_key_pem_ : credential.client_key_pem;
  std::lock_guard lock(mutex_);
  if (context_ && context_cert_pem_ == cert) return context_;
  auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                       ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  boost::system::error_code ec;
  if (insecure_) {
    context->set_verify_mode(ssl::verify_none);
  } else {
    context->set_verify_mode(ssl::verify_peer);
    if (ca_pem_.empty())
      context->set_default_verify_paths(ec);
    else
      context->add_certificate_authority(boost::asio::buffer(ca_pem_), ec);
    if (ec)
      throw api_error(make_error_code(errc::tls_setup_failed),
                      "the certificate authority for " + server_ + " is unusable: " + detail::openssl_error_text());
  }
  if (!cert.empty() || !key.empty()) {
    context->use_certificate_chain(boost::asio::buffer(cert), ec);
    if (ec)
      throw api_error(make_error_code(errc::tls_setup_failed),
                      "the client certificate for " + server_ + " is unusable: " + detail::openssl_error_text());
    context->use_private_key(boost::asio::buffer(key), ssl::context::pem, ec);
    if (ec)  // the key itself is never printed
      throw api_error(make_error_code(errc::tls_setup_failed),
                      "the client key for " + server_ + " is unusable or does not match the certificate");
  }
  context_ = context;
  context_cert_pem_ = cert;
  {
    // Connections made with an older certificate are not reused.
    std::erase_if(idle_, [&](const auto& c) { return c->context() != context_; });
  }
  return context_;
}

KOPP_DECL boost::asio::awaitable<std::unique_ptr<detail::Connection>> Http1Transport::connect(
    const Credential& credential) {
  namespace asio = boost::asio;
  auto context = tls_ ? context_for(credential) : nullptr;
  auto connection =
      std::make_unique<detail::Connection>(executor_, context, std::size_t{options_.max_header_bytes} + 64 * 1024);
  asio::ip::tcp::resolver resolver(executor_);
  auto [rec, endpoints] = co_await resolver.async_resolve(host_, port_, asio::as_tuple(asio::use_awaitable));
  if (rec) throw api_error(rec, "cannot resolve " + server_ + ": " + rec.message());
  connection->tcp().expires_after(options_.connect_timeout);
  auto [cec, endpoint] = co_await connection->tcp().async_connect(endpoints, asio::as_tuple(asio::use_awaitable));
  (void)endpoint;
  if (cec == boost::beast::error::timeout)
    throw api_error(make_error_code(errc::timeout), "connect to " + server_ + " timed out");
  if (cec) throw api_error(cec, "cannot connect to " + server_ + ": " + cec.message());
  // A half-open connection (a watch above all) fails within about a minute instead of
  // never: see client/detail/tcp_keepalive.hpp.
  detail::enable_tcp_keepalive(connection->tcp().socket());
  if (auto* tls = connection->tls()) {
    SSL* ssl = tls->native_handle();
    const bool ip = detail::is_ip_literal(verify_name_);
    if (!ip) SSL_set_tlsext_host_name(ssl, verify_name_.c_str());
    if (!insecure_) {
      X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
      X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      const int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, verify_name_.c_str())
                        : X509_VERIFY_PARAM_set1_host(param, verify_name_.c_str(), 0);
      if (ok != 1)
        throw api_error(make_error_code(errc::tls_setup_failed), "cannot verify the name '" + verify_name_ + "'");
    }
    auto [hec] = co_await tls->async_handshake(asio::ssl::stream_base::client, asio::as_tuple(asio::use_awaitable));
    if (hec) {
      std::string reason = hec.message();
      const long verify = SSL_get_verify_result(ssl);
      if (verify != X509_V_OK) reason = X509_verify_cert_error_string(verify);
      if (hec == boost::beast::error::timeout) reason = "timed out";
      throw api_error(hec, "TLS handshake with " + server_ + " failed: " + reason +
                               (verify != X509_V_OK ? " (verifying the server as '" + verify_name_ + "')" : ""));
    }
  }
  co_return connection;
}

KOPP_DECL std::unique_ptr<detail::Connection> Http1Transport::take_idle(const Credential& credential) {
  auto context = tls_ ? context_for(credential) : nullptr;
  std::lock_guard lock(mutex_);
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
  if (idle_.size() < options_.max_idle_connections && (!tls_ || connection->context() == context_))
    idle_.push_back(std::move(connection));
}

KOPP_DECL std::string Http1Transport::describe(const HttpRequest& request) const {
  return std::string(boost::beast::http::to_string(request.method)) + " " + server_ + base_path_ + request.target;
}

KOPP_DECL boost::beast::http::request<boost::beast::http::string_body> Http1Transport::make_message(
    const HttpRequest& request, const Credential& credential) const {
  namespace http = boost::beast::http;
  http::request<http::string_body> message{request.method, base_path_ + request.target, 11};
  message.set(http::field::host, host_);
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
  check_credential_allowed(request, credential);
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
  check_credential_allowed(request, credential);
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
