#pragma once

#include <kopp/client/server_connector.hpp>

#include <kopp/client/detail/tcp_keepalive.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/url/parse.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <sys/socket.h>

#include <cerrno>
#include <iostream>

namespace kopp::detail {

// --- Connection ------------------------------------------------------------------------------

KOPP_DECL Connection::Connection(boost::asio::any_io_executor ex, std::shared_ptr<boost::asio::ssl::context> context,
                                 std::size_t buffer_limit)
    : context_(std::move(context)), buffer_(buffer_limit) {
  if (context_)
    tls_.emplace(ex, *context_);
  else
    plain_.emplace(ex);
}

KOPP_DECL bool idle_socket_unusable(int fd) noexcept {
  char byte;
  const ssize_t n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return false;
  return true;  // 0: closed by the peer; > 0: unexpected bytes; < 0: reset or broken
}

KOPP_DECL bool Connection::unusable_when_idle() {
  return buffer_.size() != 0 || idle_socket_unusable(tcp().socket().native_handle());
}

KOPP_DECL void Connection::close() noexcept {
  boost::system::error_code ignored;
  tcp().socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  tcp().socket().close(ignored);
}

// --- helpers ---------------------------------------------------------------------------------

KOPP_DECL bool is_loopback_host(std::string_view host) {
  if (host == "localhost" || host.ends_with(".localhost")) return true;
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(std::string(host), ec);
  return !ec && address.is_loopback();
}

KOPP_DECL bool is_ip_literal(std::string_view host) {
  boost::system::error_code ec;
  (void)boost::asio::ip::make_address(std::string(host), ec);
  return !ec;
}

KOPP_DECL bool is_valid_header_value(std::string_view value) noexcept {
  for (unsigned char c : value)
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  return true;
}

KOPP_DECL std::optional<std::string> authorization_value(const Credential& credential) {
  if (!credential.bearer_token) return std::nullopt;
  // The credential providers refuse such tokens already; this keeps a custom provider
  // from injecting headers. The token itself is never part of the message.
  if (!is_valid_header_value(*credential.bearer_token))
    throw config_error(
        "the bearer token contains a control character (CR, LF or another); "
        "refusing to send it");
  return "Bearer " + *credential.bearer_token;
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

KOPP_DECL bool is_http_status(unsigned status) noexcept { return status >= 100 && status <= 599; }

KOPP_DECL api_error invalid_status_error(const std::string& request, unsigned status) {
  return api_error(make_error_code(errc::unexpected_status),
                   request + ": the response's status " + std::to_string(status) + " is not an HTTP status (100-599)");
}

KOPP_DECL bool idempotent_verb(boost::beast::http::verb method) noexcept {
  using boost::beast::http::verb;
  return method == verb::get || method == verb::head || method == verb::put || method == verb::delete_;
}

// --- ServerConnector -------------------------------------------------------------------------

KOPP_DECL ServerConnector::ServerConnector(boost::asio::any_io_executor executor, const Config& config,
                                           const TransportOptions& options)
    : executor_(std::move(executor)),
      connect_timeout_(options.connect_timeout),
      buffer_limit_(std::size_t{options.max_header_bytes} + 64 * 1024) {
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
  authority_ = std::string(parsed->encoded_host_and_port());
  server_ = std::string(scheme) + "://" + authority_;
  verify_name_ = config.tls_server_name.empty() ? host_ : config.tls_server_name;
  insecure_ = config.insecure_skip_tls_verify;
  ca_pem_ = config.ca_pem;
  static_cert_pem_ = config.client_cert_pem;
  static_key_pem_ = config.client_key_pem;
  if (tls_) context_for(Credential{});  // fail now, not at the first request, on bad PEM
  auto warn = [&](const std::string& text) {
    if (options.on_warning)
      options.on_warning(text);
    else
      std::cerr << "kopp: warning: " << text << std::endl;
  };
  const std::string from = config.source.empty() ? std::string() : " (" + config.source + ")";
  if (tls_ && insecure_)
    warn("insecure-skip-tls-verify is set for " + server_ + from +
         ": the server's certificate is not verified, so anyone on the path can read and change "
         "the traffic, credentials included");
  // Plain HTTP to loopback (kubectl proxy, a local test server) never leaves the machine.
  if (!tls_ && !is_loopback_host(host_))
    warn("the server " + server_ + from +
         " is plain HTTP: nothing is encrypted, and credentials will not be sent to it");
}

KOPP_DECL void ServerConnector::check_credential_allowed(const HttpRequest& request,
                                                         const Credential& credential) const {
  if (tls_ || is_loopback_host(host_)) return;
  if (credential.bearer_token || !credential.client_cert_pem.empty() || !static_cert_pem_.empty())
    throw api_error(make_error_code(errc::unsupported),
                    describe(request) +
                        ": refusing to send a credential over plain HTTP to a host that is not "
                        "loopback; use https");
}

KOPP_DECL std::string ServerConnector::describe(const HttpRequest& request) const {
  return std::string(boost::beast::http::to_string(request.method)) + " " + server_ + base_path_ + request.target;
}

KOPP_DECL std::shared_ptr<boost::asio::ssl::context> ServerConnector::context_for(const Credential& credential) {
  namespace ssl = boost::asio::ssl;
  if (!tls_) return nullptr;
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
                      "the certificate authority for " + server_ + " is unusable: " + openssl_error_text());
  }
  if (!cert.empty() || !key.empty()) {
    context->use_certificate_chain(boost::asio::buffer(cert), ec);
    if (ec)
      throw api_error(make_error_code(errc::tls_setup_failed),
                      "the client certificate for " + server_ + " is unusable: " + openssl_error_text());
    context->use_private_key(boost::asio::buffer(key), ssl::context::pem, ec);
    if (ec)  // the key itself is never printed
      throw api_error(make_error_code(errc::tls_setup_failed),
                      "the client key for " + server_ + " is unusable or does not match the certificate");
  }
  context_ = context;
  context_cert_pem_ = cert;
  return context_;
}

KOPP_DECL boost::asio::awaitable<std::unique_ptr<Connection>> ServerConnector::connect(const Credential& credential,
                                                                                       std::string_view alpn) {
  namespace asio = boost::asio;
  auto context = context_for(credential);
  auto connection = std::make_unique<Connection>(executor_, context, buffer_limit_);
  asio::ip::tcp::resolver resolver(executor_);
  auto [rec, endpoints] = co_await resolver.async_resolve(host_, port_, asio::as_tuple(asio::use_awaitable));
  if (rec) throw api_error(rec, "cannot resolve " + server_ + ": " + rec.message());
  connection->tcp().expires_after(connect_timeout_);
  auto [cec, endpoint] = co_await connection->tcp().async_connect(endpoints, asio::as_tuple(asio::use_awaitable));
  (void)endpoint;
  if (cec == boost::beast::error::timeout)
    throw api_error(make_error_code(errc::timeout), "connect to " + server_ + " timed out");
  if (cec) throw api_error(cec, "cannot connect to " + server_ + ": " + cec.message());
  // A half-open connection (a watch above all) fails within about a minute instead of
  // never: see client/detail/tcp_keepalive.hpp.
  enable_tcp_keepalive(connection->tcp().socket());
  // Requests are written whole, so Nagle's algorithm has nothing to coalesce; it would
  // only hold a request behind an unacknowledged small frame (an HTTP/2 WINDOW_UPDATE or
  // PING) for the peer's delayed ACK. Go's dialer, and so client-go, disables it too.
  boost::system::error_code nodelay_error;
  connection->tcp().socket().set_option(asio::ip::tcp::no_delay(true), nodelay_error);
  if (auto* tls = connection->tls()) {
    SSL* ssl = tls->native_handle();
    const bool ip = is_ip_literal(verify_name_);
    if (!ip) SSL_set_tlsext_host_name(ssl, verify_name_.c_str());
    if (!alpn.empty() && SSL_set_alpn_protos(ssl, reinterpret_cast<const unsigned char*>(alpn.data()),
                                             static_cast<unsigned>(alpn.size())) != 0)
      throw api_error(make_error_code(errc::tls_setup_failed), "cannot offer ALPN protocols to " + server_);
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
    const unsigned char* chosen = nullptr;
    unsigned chosen_length = 0;
    SSL_get0_alpn_selected(ssl, &chosen, &chosen_length);
    if (chosen) connection->set_alpn_protocol(std::string(reinterpret_cast<const char*>(chosen), chosen_length));
  }
  co_return connection;
}

}  // namespace kopp::detail
