// kopp_test::FakeServer's coroutines, compiled once for every test executable
// (tests/support/fake_server.hpp says why).
#include "support/fake_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

namespace kopp_test {

FakeServer::FakeServer(boost::asio::any_io_executor ex, std::shared_ptr<boost::asio::ssl::context> tls)
    : acceptor_(ex, {boost::asio::ip::make_address("127.0.0.1"), 0}), tls_(std::move(tls)) {
  boost::asio::co_spawn(ex, accept_loop(), boost::asio::detached);
}

std::string FakeServer::url() const {
  return (tls_ ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(acceptor_.local_endpoint().port());
}

void FakeServer::stop() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  for (auto& s : sockets_)
    if (auto p = s.lock()) p->close(ignored);
}

boost::asio::awaitable<void> FakeServer::accept_loop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor_.async_accept(boost::asio::as_tuple(boost::asio::use_awaitable));
    if (ec) co_return;
    ++connections_;
    auto shared = std::make_shared<boost::asio::ip::tcp::socket>(std::move(socket));
    sockets_.push_back(shared);
    boost::asio::co_spawn(acceptor_.get_executor(), serve(shared), boost::asio::detached);
  }
}

boost::asio::awaitable<void> FakeServer::serve(std::shared_ptr<boost::asio::ip::tcp::socket> socket) {
  if (!tls_) {
    co_await serve_on(*socket, socket);
    co_return;
  }
  boost::asio::ssl::stream<boost::asio::ip::tcp::socket&> stream(*socket, *tls_);
  auto [hec] = co_await stream.async_handshake(boost::asio::ssl::stream_base::server,
                                               boost::asio::as_tuple(boost::asio::use_awaitable));
  if (hec) co_return;
  co_await serve_on(stream, socket);
}

template <class Stream>
boost::asio::awaitable<void> FakeServer::serve_on(Stream& stream,
                                                  std::shared_ptr<boost::asio::ip::tcp::socket> socket) {
  namespace http = boost::beast::http;
  boost::beast::flat_buffer buffer;
  for (;;) {
    http::request<http::string_body> request;
    auto [ec, n] =
        co_await http::async_read(stream, buffer, request, boost::asio::as_tuple(boost::asio::use_awaitable));
    (void)n;
    if (ec) co_return;
    requests_.push_back({std::string(request.method_string()), std::string(request.target()),
                         std::string(request[http::field::authorization]), request.body(),
                         std::string(request[http::field::accept])});
    if (script_.empty()) co_return;
    auto response = std::move(script_.front());
    script_.pop_front();
    boost::system::error_code wec;
    if (response.raw_tcp) {
      auto [raw_ec, written] = co_await boost::asio::async_write(*socket, boost::asio::buffer(response.bytes),
                                                                 boost::asio::as_tuple(boost::asio::use_awaitable));
      (void)written;
      wec = raw_ec;
    } else {
      auto [stream_ec, written] = co_await boost::asio::async_write(stream, boost::asio::buffer(response.bytes),
                                                                    boost::asio::as_tuple(boost::asio::use_awaitable));
      (void)written;
      wec = stream_ec;
    }
    if (wec || response.close_after) {
      boost::system::error_code ignored;
      socket->shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
      socket->close(ignored);
      co_return;
    }
  }
}

}  // namespace kopp_test
