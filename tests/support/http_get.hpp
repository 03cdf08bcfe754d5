#pragma once
// A blocking HTTP GET to 127.0.0.1 for tests of the probe and metrics endpoints.

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <string>
#include <utility>

namespace kopp_test {

/// {status, body}; {0, error} when nothing answered.
inline std::pair<unsigned, std::string> http_get(unsigned short port, const std::string& target) {
  namespace http = boost::beast::http;
  try {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket socket(io);
    socket.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    http::request<http::empty_body> request(http::verb::get, target, 11);
    http::write(socket, request);
    boost::beast::flat_buffer buffer;
    http::response<http::string_body> response;
    http::read(socket, buffer, response);
    return {response.result_int(), response.body()};
  } catch (const std::exception& e) {
    return {0, e.what()};
  }
}

}  // namespace kopp_test
