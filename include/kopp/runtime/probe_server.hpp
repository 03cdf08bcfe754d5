#pragma once
// A small HTTP/1.1 server for what a manager exposes: /healthz, /readyz and /metrics. It
// serves GET only, one request per connection at a time, with short timeouts; handlers are
// plain functions evaluated per request.
//
// Addresses: "host:port", ":port" (all interfaces, what a pod needs so the kubelet and
// Prometheus can reach it), "0" disables the server (controller-runtime's convention).

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace kopp {

struct ProbeResponse {
  ProbeResponse() = default;
  ProbeResponse(unsigned s, std::string b, std::string ct = "text/plain; charset=utf-8")
      : status(s), body(std::move(b)), content_type(std::move(ct)) {}
  unsigned status = 200;
  std::string body;
  std::string content_type = "text/plain; charset=utf-8";
};

/// Parses "host:port" / ":port" / "[::1]:port"; std::nullopt for "0" (disabled). Throws
/// std::invalid_argument naming the address when it is malformed.
std::optional<boost::asio::ip::tcp::endpoint> parse_bind_address(std::string_view address);

class ProbeServer {
 public:
  using Handler = std::function<ProbeResponse()>;

  ProbeServer(boost::asio::any_io_executor executor, boost::asio::ip::tcp::endpoint endpoint);

  void handle(std::string path, Handler handler) { handlers_[std::move(path)] = std::move(handler); }
  /// The bound port (useful with port 0 in tests).
  unsigned short port() const { return acceptor_.local_endpoint().port(); }
  /// Accepts until stop(); spawn it on the executor.
  boost::asio::awaitable<void> run();
  void stop();

 private:
  boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket);
  boost::asio::ip::tcp::acceptor acceptor_;
  std::map<std::string, Handler, std::less<>> handlers_;
};

}  // namespace kopp

#include <kopp/runtime/impl/probe_server.hpp>
