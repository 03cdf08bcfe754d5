#pragma once
// kopp::Http2Transport: the Transport (kopp/client/transport.hpp) a Client uses by default
// for an https server. HTTP/2 over TLS, negotiated with ALPN, on nghttp2 (framing, HPACK,
// flow-control bookkeeping) driven by Asio: one connection carries every request and every
// watch of the Client as streams, as client-go does, so a process with ten informers holds
// one TCP connection to the API server, not eleven. A server that does not choose "h2"
// (or an http:// URL) gets HTTP/1.1 through an Http1Transport this transport owns.
//
// Connections: each runs on its own strand; requests from any executor or thread are handed
// to it. A new connection is opened only when none accepts another stream (the server's
// SETTINGS_MAX_CONCURRENT_STREAMS), after a GOAWAY, or for a rotated client certificate;
// concurrent callers share one connection attempt.
//
// Flow control: the connection's receive window is large (1 GiB) and given back as soon
// as data arrives, while each stream's window (4 MiB) is given back only as its reader
// consumes: a watch whose reader is slow stops its own stream at 4 MiB buffered and never
// stalls the others. A whole response (send) is consumed as it arrives, up to
// max_response_body_bytes.
//
// Failures:
// - A stream the server refused (REFUSED_STREAM, or beyond a GOAWAY's last stream id) or
//   whose request never left this process is sent again on another connection, whatever
//   its verb: the server did not process it. An idempotent request (GET, HEAD, PUT, DELETE)
//   whose connection broke before the response's headers is sent again too. Once.
// - A stream reset by the server fails with errc::stream_reset naming the HTTP/2 error.
// - Health: a connection silent for TransportOptions::http2_read_idle_timeout is sent a
//   PING; unanswered within http2_ping_timeout, the connection is closed: its requests fail
//   and watches end, to be resumed by their watchers on a new connection.
// - Timeouts as Http1Transport: request_timeout for a whole response (or a stream's
//   headers), stream_idle_timeout between pieces of a streaming body; a timed-out stream is
//   cancelled (RST_STREAM) without touching the others.
// - Limits as Http1Transport: max_header_bytes for one response's header section,
//   max_response_body_bytes for a whole response (errc::response_too_large).
// - Messages name the server, the request and what failed; a token never appears (the
//   Authorization header is also kept out of HPACK's dynamic table).

#include <kopp/core/detail/config.hpp>
#include <kopp/client/config.hpp>
#include <kopp/client/http1_transport.hpp>
#include <kopp/client/server_connector.hpp>
#include <kopp/client/transport.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace kopp {

namespace detail {
class Http2Connection;
}  // namespace detail

class Http2Transport final : public Transport {
 public:
  /// Throws api_error (errc::tls_setup_failed, errc::unsupported) when the config's TLS
  /// material is unusable or the server URL is not http(s).
  Http2Transport(boost::asio::any_io_executor executor, const Config& config, TransportOptions options = {});
  ~Http2Transport() override;

  boost::asio::awaitable<HttpResponse> send(HttpRequest request, Credential credential) override;
  boost::asio::awaitable<std::unique_ptr<ResponseStream>> open_stream(HttpRequest request,
                                                                      Credential credential) override;

  const std::string& server() const noexcept override { return connector_.server(); }
  boost::asio::any_io_executor get_executor() const override { return executor_; }

  /// Open HTTP/2 connections (observable by tests).
  std::size_t connections() const;
  /// HTTP/2 connections opened so far, closed ones included (observable by tests).
  std::size_t connections_opened() const noexcept { return opened_.load(); }
  /// True once the server declined HTTP/2 (or the URL is http://): requests go over HTTP/1.1.
  bool uses_http1() const noexcept { return http1_mode_.load(); }

 private:
  /// A connection that accepts another stream, or null when the server speaks HTTP/1.1.
  /// `avoid` (a connection that just refused a stream) is not chosen.
  boost::asio::awaitable<std::shared_ptr<detail::Http2Connection>> acquire(const Credential& credential,
                                                                           const detail::Http2Connection* avoid);
  boost::asio::awaitable<std::shared_ptr<detail::Http2Connection>> acquire_slow(Credential credential,
                                                                                const detail::Http2Connection* avoid);
  std::shared_ptr<detail::Http2Connection> find_usable(const std::shared_ptr<boost::asio::ssl::context>& context,
                                                       const detail::Http2Connection* avoid);

  boost::asio::any_io_executor executor_;
  TransportOptions options_;
  detail::ServerConnector connector_;
  Http1Transport http1_;
  std::atomic<bool> http1_mode_{false};
  /// Serialises opening connections, so that concurrent callers share one attempt.
  boost::asio::strand<boost::asio::any_io_executor> pool_strand_;
  bool connecting_ = false;                 ///< on pool_strand_
  boost::asio::steady_timer connect_done_;  ///< on pool_strand_; cancelled when an attempt ends
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<detail::Http2Connection>> connections_;
  std::atomic<std::size_t> opened_{0};
};

}  // namespace kopp

#if KOPP_HEADER_ONLY
#include <kopp/client/impl/http2_transport.ipp>
#endif
