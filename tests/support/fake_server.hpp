#pragma once
// A scripted HTTP/1.1 server on 127.0.0.1 for fault-injection unit tests of the client:
// each request gets the next scripted raw response (any bytes: a 429 with Retry-After, a
// truncated chunked watch body, garbage), optionally followed by closing the connection.
// It records the requests it saw. It is never a stand-in for the real kube-apiserver.
// With an SSL context it speaks TLS (the client must skip verification or trust the
// certificate); a response marked raw_tcp is written under TLS, straight to the socket,
// to break the TLS stream the way a faulty middlebox would.

#include <kopp/client/config.hpp>
#include <kopp/client/credentials.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <cstdio>
#include <deque>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace kopp_test {

struct ScriptedResponse {
  std::string bytes;         ///< written verbatim
  bool close_after = false;  ///< close the connection after writing
  bool raw_tcp = false;      ///< with TLS: write the bytes to the socket, not through TLS
};

struct SeenRequest {
  std::string method;
  std::string target;
  std::string authorization;
  std::string body;
  std::string accept;
};

inline std::string http_response(unsigned status, std::string_view body, std::string_view extra_headers = "") {
  return "HTTP/1.1 " + std::to_string(status) +
         " X\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
         std::string(extra_headers) + "\r\n" + std::string(body);
}

/// A chunked response whose body is `chunks`; `finished` adds the terminating chunk.
inline std::string chunked_response(const std::vector<std::string>& chunks, bool finished) {
  std::string out = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (const auto& c : chunks) {
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", c.size());
    out += size + c + "\r\n";
  }
  if (finished) out += "0\r\n\r\n";
  return out;
}

// The server's coroutines are compiled once, in tests/support/fake_server.cpp (part of
// kopp_test_support): instantiating Beast's HTTP reader for a TCP and a TLS stream cost
// every test file that included this header about 19 s under AddressSanitizer.
class FakeServer {
 public:
  explicit FakeServer(boost::asio::any_io_executor ex, std::shared_ptr<boost::asio::ssl::context> tls = nullptr);

  std::string url() const;
  void script(ScriptedResponse r) { script_.push_back(std::move(r)); }
  const std::vector<SeenRequest>& requests() const { return requests_; }
  int connections() const { return connections_; }
  void stop();

 private:
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> serve(std::shared_ptr<boost::asio::ip::tcp::socket> socket);
  template <class Stream>
  boost::asio::awaitable<void> serve_on(Stream& stream, std::shared_ptr<boost::asio::ip::tcp::socket> socket);

  boost::asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  std::deque<ScriptedResponse> script_;
  std::vector<SeenRequest> requests_;
  std::vector<std::weak_ptr<boost::asio::ip::tcp::socket>> sockets_;
  int connections_ = 0;
};

/// A Config for `server`: plain HTTP to 127.0.0.1, no client-side rate limit, a static
/// token.
inline kopp::Config config_for(const FakeServer& server) {
  kopp::Config config;
  config.server = server.url();
  config.qps = 0;
  config.credentials = kopp::static_token("fake-token");
  return config;
}

/// Runs the coroutine body(server) on an io_context of its own with a FakeServer, stops the
/// server when the body ends, and rethrows what the body threw (so Catch2 sees it).
template <class F>
void with_server(F body) {
  boost::asio::io_context io;
  FakeServer server(io.get_executor());
  std::exception_ptr failure;
  boost::asio::co_spawn(io, body(server), [&](std::exception_ptr e) {
    failure = e;
    server.stop();
  });
  io.run();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace kopp_test
