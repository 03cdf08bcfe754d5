#pragma once

#include <kopp/runtime/telemetry/probe_server.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <charconv>
#include <stdexcept>

namespace kopp {

KOPP_DECL std::optional<boost::asio::ip::tcp::endpoint> parse_bind_address(std::string_view address) {
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

KOPP_DECL ProbeServer::ProbeServer(boost::asio::any_io_executor executor, boost::asio::ip::tcp::endpoint endpoint,
                                   ProbeServerOptions options, Logger logger)
    : strand_(boost::asio::make_strand(executor)),
      acceptor_(strand_, endpoint),
      options_(options),
      log_(logger.with({{"component", "probe-server"}})) {}

KOPP_DECL void ProbeServer::stop() {
  boost::asio::post(strand_, [this] {
    stopped_ = true;
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    for (auto& weak : sockets_)
      if (auto socket = weak.lock()) socket->close(ignored);
    sockets_.clear();
  });
}

KOPP_DECL boost::asio::awaitable<void> ProbeServer::run() {
  // Everything below runs on strand_, whatever executor spawned run().
  co_await boost::asio::post(strand_, boost::asio::use_awaitable);
  boost::asio::steady_timer pause(strand_);
  while (!stopped_) {
    auto socket = std::make_shared<boost::asio::ip::tcp::socket>(strand_);
    auto [ec] = co_await acceptor_.async_accept(*socket, boost::asio::as_tuple(boost::asio::use_awaitable));
    if (stopped_ || ec == boost::asio::error::operation_aborted || ec == boost::asio::error::bad_descriptor) co_return;
    if (ec) {
      // Out of descriptors or buffers: the condition passes; the server must not end.
      log_.warn("accept failed; retrying in 100 ms", {{"error", ec.message()}});
      pause.expires_after(std::chrono::milliseconds(100));
      co_await pause.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
      continue;
    }
    if (open_->load() >= options_.max_connections) {
      boost::system::error_code ignored;
      socket->close(ignored);
      continue;
    }
    std::erase_if(sockets_, [](const auto& weak) { return weak.expired(); });
    sockets_.push_back(socket);
    ++*open_;
    boost::asio::co_spawn(strand_, serve(std::move(socket)), boost::asio::detached);
  }
}

KOPP_DECL boost::asio::awaitable<void> ProbeServer::serve(std::shared_ptr<boost::asio::ip::tcp::socket> socket) {
  namespace http = boost::beast::http;
  struct Release {
    std::shared_ptr<std::atomic<std::size_t>> open;
    ~Release() { --*open; }
  } release{open_};
  boost::beast::flat_buffer buffer(16 * 1024);
  boost::asio::steady_timer idle(strand_);
  for (;;) {
    // The deadline closes the socket; the read then fails and the connection ends.
    idle.expires_after(options_.idle_timeout);
    std::weak_ptr<boost::asio::ip::tcp::socket> weak = socket;
    idle.async_wait([weak](const boost::system::error_code& ec) {
      if (ec) return;
      boost::system::error_code ignored;
      if (auto s = weak.lock()) s->close(ignored);
    });
    http::request_parser<http::string_body> parser;
    parser.header_limit(8 * 1024);
    parser.body_limit(4 * 1024);
    auto [rec, read] =
        co_await http::async_read(*socket, buffer, parser, boost::asio::as_tuple(boost::asio::use_awaitable));
    (void)read;
    idle.cancel();
    if (rec) co_return;
    const auto& request = parser.get();
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
        log_.error("probe handler failed", {{"path", std::string(path)}, {"error", e.what()}});
        answer = ProbeResponse(500, "internal error\n");
      } catch (...) {
        log_.error("probe handler failed", {{"path", std::string(path)}, {"error", "a non-standard exception"}});
        answer = ProbeResponse(500, "internal error\n");
      }
      response.result(answer.status);
      response.set(http::field::content_type, answer.content_type);
      response.body() = std::move(answer.body);
    }
    response.prepare_payload();
    idle.expires_after(options_.idle_timeout);  // a client that does not read its answer
    idle.async_wait([weak](const boost::system::error_code& ec) {
      if (ec) return;
      boost::system::error_code ignored;
      if (auto s = weak.lock()) s->close(ignored);
    });
    auto [wec, written] =
        co_await http::async_write(*socket, response, boost::asio::as_tuple(boost::asio::use_awaitable));
    (void)written;
    idle.cancel();
    if (wec || !response.keep_alive()) co_return;
  }
}

}  // namespace kopp
