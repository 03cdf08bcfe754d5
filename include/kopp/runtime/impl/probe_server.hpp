#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <charconv>
#include <stdexcept>

namespace kopp {

inline std::optional<boost::asio::ip::tcp::endpoint> parse_bind_address(std::string_view address) {
  if (address == "0" || address.empty()) return std::nullopt;
  const auto colon = address.rfind(':');
  if (colon == std::string_view::npos)
    throw std::invalid_argument("bind address '" + std::string(address) + "' needs a port, as in ':8080'");
  std::string_view host = address.substr(0, colon);
  const std::string_view port_text = address.substr(colon + 1);
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || end != port_text.data() + port_text.size() || port > 65535)
    throw std::invalid_argument("bind address '" + std::string(address) + "' has an invalid port");
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  if (host == "localhost") host = "127.0.0.1";
  boost::system::error_code bad;
  auto ip = boost::asio::ip::make_address(std::string(host), bad);
  if (bad) throw std::invalid_argument("bind address '" + std::string(address) + "' has an invalid host");
  return boost::asio::ip::tcp::endpoint(ip, static_cast<unsigned short>(port));
}

inline ProbeServer::ProbeServer(boost::asio::any_io_executor executor, boost::asio::ip::tcp::endpoint endpoint)
    : acceptor_(executor, endpoint) {}

inline void ProbeServer::stop() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
}

inline boost::asio::awaitable<void> ProbeServer::run() {
  for (;;) {
    auto [ec, socket] = co_await acceptor_.async_accept(boost::asio::as_tuple(boost::asio::use_awaitable));
    if (ec) co_return;  // stopped
    boost::asio::co_spawn(acceptor_.get_executor(), serve(std::move(socket)), boost::asio::detached);
  }
}

inline boost::asio::awaitable<void> ProbeServer::serve(boost::asio::ip::tcp::socket socket) {
  namespace http = boost::beast::http;
  boost::beast::tcp_stream stream(std::move(socket));
  boost::beast::flat_buffer buffer;
  for (;;) {
    stream.expires_after(std::chrono::seconds(10));
    http::request<http::string_body> request;
    auto [rec, read] = co_await http::async_read(stream, buffer, request, boost::asio::as_tuple(boost::asio::use_awaitable));
    (void)read;
    if (rec) co_return;
    http::response<http::string_body> response;
    response.version(request.version());
    response.keep_alive(request.keep_alive());
    const std::string_view target = request.target();
    const std::string_view path = target.substr(0, target.find('?'));
    auto it = handlers_.find(path);
    if (request.method() != http::verb::get && request.method() != http::verb::head) {
      response.result(http::status::method_not_allowed);
      response.body() = "only GET\n";
    } else if (it == handlers_.end()) {
      response.result(http::status::not_found);
      response.body() = "not found\n";
    } else {
      ProbeResponse answer;
      try {
        answer = it->second();
      } catch (const std::exception& e) {
        answer = ProbeResponse(500, std::string("handler failed: ") + e.what() + "\n");
      }
      response.result(answer.status);
      response.set(http::field::content_type, answer.content_type);
      response.body() = std::move(answer.body);
    }
    response.prepare_payload();
    auto [wec, written] = co_await http::async_write(stream, response, boost::asio::as_tuple(boost::asio::use_awaitable));
    (void)written;
    if (wec || !response.keep_alive()) co_return;
  }
}

}  // namespace kopp
