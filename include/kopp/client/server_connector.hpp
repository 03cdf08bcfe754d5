#pragma once
// kopp::detail::ServerConnector: opens TCP or TLS connections to the API server a Config
// names, for the transports (Http1Transport, Http2Transport). It owns what both protocols
// share: the parsed server URL, the TLS context (one per client certificate in use, since
// an exec plugin may rotate it), certificate and host-name verification, the warnings
// about insecure configurations, and the refusal to send a credential over plain HTTP to
// a host that is not loopback.
//
// TLS: the server certificate is verified against the configured CA (or the system's
// trust store) with hostname / IP-SAN checks; SNI is sent for DNS names;
// insecure_skip_tls_verify disables verification only when the config says so. ALPN offers
// the protocols the transport names (HTTP/2's "h2" first when it wants HTTP/2); the one the
// server chose is on the connection.
//
// Errors: api_error naming the server and what failed (resolve, connect, timeout, TLS
// handshake with OpenSSL's verify reason); a key or token never appears in a message.

#include <kopp/core/detail/config.hpp>
#include <kopp/client/config.hpp>
#include <kopp/client/credentials.hpp>
#include <kopp/client/error.hpp>
#include <kopp/client/transport.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace kopp::detail {

/// One TCP or TLS connection to the API server and its read buffer.
class Connection {
 public:
  using tls_stream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

  /// `buffer_limit` bounds the bytes read but not yet parsed: a header section, a chunk
  /// header or a trailer that never ends fails with http::error::buffer_overflow instead of
  /// growing the buffer without end.
  Connection(boost::asio::any_io_executor ex, std::shared_ptr<boost::asio::ssl::context> context,
             std::size_t buffer_limit);

  boost::beast::tcp_stream& tcp() { return tls_ ? boost::beast::get_lowest_layer(*tls_) : *plain_; }
  tls_stream* tls() { return tls_ ? &*tls_ : nullptr; }
  boost::beast::flat_buffer& buffer() { return buffer_; }
  const std::shared_ptr<boost::asio::ssl::context>& context() const { return context_; }
  /// The protocol the server chose with ALPN ("h2", "http/1.1"), empty when it chose none.
  const std::string& alpn_protocol() const { return alpn_protocol_; }
  void set_alpn_protocol(std::string protocol) { alpn_protocol_ = std::move(protocol); }

  /// The parser of a streaming HTTP/1.1 response, kept between read_some calls.
  std::optional<boost::beast::http::response_parser<boost::beast::http::buffer_body>> stream_parser;

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
  bool unusable_when_idle();

  void close() noexcept;

 private:
  std::shared_ptr<boost::asio::ssl::context> context_;
  std::optional<tls_stream> tls_;
  std::optional<boost::beast::tcp_stream> plain_;
  boost::beast::flat_buffer buffer_;
  std::string alpn_protocol_;
};

class ServerConnector {
 public:
  /// Throws api_error (errc::tls_setup_failed, errc::unsupported) when the config's TLS
  /// material is unusable or the server URL is not http(s). Warnings go to
  /// options.on_warning (or stderr), once.
  ServerConnector(boost::asio::any_io_executor executor, const Config& config, const TransportOptions& options);

  /// A new connection, TLS handshake done. `alpn` is the ALPN protocol list in wire format
  /// ("\x02h2\x08http/1.1"), empty to offer none.
  boost::asio::awaitable<std::unique_ptr<Connection>> connect(const Credential& credential, std::string_view alpn);

  /// The TLS context for `credential`'s client certificate (the config's when it has none);
  /// null for plain HTTP. A new certificate makes a new context: connections made with the
  /// old one must not be reused.
  std::shared_ptr<boost::asio::ssl::context> context_for(const Credential& credential);

  /// Throws when the credential would go over plain HTTP to a host that is not loopback.
  void check_credential_allowed(const HttpRequest& request, const Credential& credential) const;

  /// "GET https://127.0.0.1:6443/api/v1/pods" — for messages.
  std::string describe(const HttpRequest& request) const;

  const std::string& server() const noexcept { return server_; }
  const std::string& host() const noexcept { return host_; }
  const std::string& port() const noexcept { return port_; }
  /// host:port as in the URL (IPv6 in brackets): HTTP/2's :authority.
  const std::string& authority() const noexcept { return authority_; }
  /// The URL's path, without a trailing slash; prefixed to every request's target.
  const std::string& base_path() const noexcept { return base_path_; }
  bool tls() const noexcept { return tls_; }

 private:
  boost::asio::any_io_executor executor_;
  std::chrono::milliseconds connect_timeout_;
  std::size_t buffer_limit_;
  std::string server_;
  bool tls_ = true;
  std::string host_;
  std::string port_;
  std::string authority_;
  std::string base_path_;
  std::string verify_name_;  ///< name or IP checked against the certificate
  bool insecure_ = false;
  std::string ca_pem_;
  std::string static_cert_pem_, static_key_pem_;
  std::mutex mutex_;
  std::shared_ptr<boost::asio::ssl::context> context_;
  std::string context_cert_pem_;
};

/// True when an idle socket must not be reused: the peer closed or reset it, or sent bytes
/// nobody asked for. A non-blocking peek: nothing is read or written.
KOPP_DECL bool idle_socket_unusable(int fd) noexcept;

/// Hosts to which a token may go over plain HTTP: the traffic never leaves the machine.
KOPP_DECL bool is_loopback_host(std::string_view host);

/// A header field value must not hold CR, LF or other control characters: they would end
/// the header early and let the value write headers of its own.
KOPP_DECL bool is_valid_header_value(std::string_view value) noexcept;

/// The Authorization header's value for `credential`, or nullopt when it carries no bearer
/// token. Throws config_error when the token holds a control character (a custom provider
/// must not be able to inject headers); the token itself is never part of the message.
KOPP_DECL std::optional<std::string> authorization_value(const Credential& credential);

/// Beast accepts any three digits as a status, and nghttp2 any number; HTTP defines
/// 100-599 (RFC 9110 section 15), and a response outside it is malformed, not an answer to
/// map (found by tests/fuzz: a status 000 reached callers as a response with status 0).
KOPP_DECL bool is_http_status(unsigned status) noexcept;

/// The error for a response whose status is not an HTTP status.
KOPP_DECL api_error invalid_status_error(const std::string& request, unsigned status);

/// True for verbs that can be sent twice with the effect of once (as kopp::is_idempotent).
KOPP_DECL bool idempotent_verb(boost::beast::http::verb method) noexcept;

/// OpenSSL's error queue as text (for messages; never contains key material).
KOPP_DECL std::string openssl_error_text();

}  // namespace kopp::detail

#if KOPP_HEADER_ONLY
#include <kopp/client/impl/server_connector.ipp>
#endif
