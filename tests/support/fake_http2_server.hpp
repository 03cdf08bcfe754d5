#pragma once
// A scripted HTTP/2 server (TLS with ALPN "h2", nghttp2's server session) on 127.0.0.1 for
// the fault tests of kopp::Http2Transport that the real kube-apiserver cannot be made to
// do on demand: refuse a stream with GOAWAY, reset one stream, stop answering (PINGs
// included) on one connection, send a response beyond the client's limits. Each request
// gets the next scripted action; once the script is empty, requests are answered 200 with
// the body "{}". It records the requests and connections it saw. It is never a stand-in
// for the real kube-apiserver (tests/integration runs the transport against that).

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace kopp_test {

struct Http2Action {
  enum class Kind {
    respond,  ///< status, extra header and body
    reset,    ///< RST_STREAM with error_code
    goaway,   ///< GOAWAY whose last stream id excludes this stream: the client must retry
    freeze,   ///< stop reading and writing on this connection (a frozen server)
    hold,     ///< never answer this stream; the connection goes on
  };
  Kind kind = Kind::respond;
  unsigned status = 200;
  std::string body = "{}";
  std::string header_name, header_value;  ///< one extra response header, when set
  std::uint32_t error_code = 0;

  static Http2Action respond(unsigned status, std::string body) {
    Http2Action a;
    a.status = status;
    a.body = std::move(body);
    return a;
  }
  static Http2Action of(Kind kind, std::uint32_t error_code = 0) {
    Http2Action a;
    a.kind = kind;
    a.error_code = error_code;
    return a;
  }
};

struct Http2SeenRequest {
  std::string method;
  std::string path;
  std::string body;
  int connection = 0;  ///< 1 for the first connection accepted
};

class FakeHttp2Server {
 public:
  /// Serves TLS with the test PKI's certificate (clients skip verification).
  explicit FakeHttp2Server(boost::asio::any_io_executor ex);
  ~FakeHttp2Server();

  std::string url() const;
  void script(Http2Action action) { script_.push_back(std::move(action)); }
  const std::vector<Http2SeenRequest>& requests() const { return requests_; }
  int connections() const { return connections_; }
  /// Streams the client reset (RST_STREAM CANCEL).
  int cancelled_streams() const { return cancelled_streams_; }
  /// Closes the open connections (as a server's idle timeout would); keeps accepting.
  void close_connections();
  void stop();

  struct Session;

 private:
  boost::asio::awaitable<void> accept_loop();
  friend struct Session;

  boost::asio::any_io_executor executor_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  std::deque<Http2Action> script_;
  std::vector<Http2SeenRequest> requests_;
  std::vector<std::shared_ptr<Session>> sessions_;  // kept: a frozen one must stay open
  int connections_ = 0;
  int cancelled_streams_ = 0;
};

}  // namespace kopp_test
