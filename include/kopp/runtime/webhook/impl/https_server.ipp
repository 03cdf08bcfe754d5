#pragma once

#include <kopp/runtime/webhook/https_server.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <cctype>

namespace kopp {

struct HttpsServer::Connection {
  Connection(boost::asio::ip::tcp::socket socket, boost::asio::ssl::context& context,
             std::shared_ptr<boost::asio::ssl::context> keep)
      : stream(boost::beast::tcp_stream(std::move(socket)), context), context(std::move(keep)) {}
  boost::beast::ssl_stream<boost::beast::tcp_stream> stream;
  std::shared_ptr<boost::asio::ssl::context> context;  // outlives the stream's SSL object
  void close() {
    boost::system::error_code ignored;
    boost::beast::get_lowest_layer(stream).socket().close(ignored);
  }
};

KOPP_DECL HttpsServer::HttpsServer(boost::asio::any_io_executor executor, boost::asio::ip::tcp::endpoint endpoint,
                                   std::shared_ptr<ServingCertificate> certificate, HttpsServerOptions options,
                                   Logger logger)
    : executor_(executor),
      strand_(boost::asio::make_strand(executor)),
      acceptor_(strand_, endpoint),
      port_(acceptor_.local_endpoint().port()),
      certificate_(std::move(certificate)),
      options_(options),
      log_(logger.with({{"component", "https-server"}})) {
  if (!certificate_) throw std::invalid_argument("HttpsServer needs a ServingCertificate");
}

KOPP_DECL HttpsServer::~HttpsServer() {
  std::lock_guard lock(state_->mutex);
  state_->stopped = true;
}

KOPP_DECL void HttpsServer::handle(std::string path, Handler handler) {
  std::lock_guard lock(state_->mutex);
  state_->handlers[std::move(path)] = std::move(handler);
}

KOPP_DECL void HttpsServer::handle_sync(std::string path, std::function<HttpsResponse(const HttpsRequest&)> handler) {
  handle(std::move(path),
         [handler = std::move(handler)](const HttpsRequest& request) -> boost::asio::awaitable<HttpsResponse> {
           co_return handler(request);
         });
}

KOPP_DECL std::vector<std::string> HttpsServer::paths() const {
  std::lock_guard lock(state_->mutex);
  std::vector<std::string> result;
  for (const auto& entry : state_->handlers) result.push_back(entry.first);
  return result;
}

KOPP_DECL void HttpsServer::stop() {
  boost::asio::post(strand_, [this] {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  });
  std::vector<std::shared_ptr<Connection>> open;
  {
    std::lock_guard lock(state_->mutex);
    state_->stopped = true;
    for (auto& weak : state_->connections)
      if (auto connection = weak.lock()) open.push_back(std::move(connection));
    state_->connections.clear();
  }
  // Each connection is closed on its own strand, where its coroutine uses the socket.
  for (auto& connection : open)
    boost::asio::post(connection->stream.get_executor(), [connection] { connection->close(); });
}

KOPP_DECL boost::asio::awaitable<void> HttpsServer::run() {
  co_await boost::asio::post(strand_, boost::asio::use_awaitable);
  boost::asio::steady_timer pause(strand_);
  for (;;) {
    auto [ec, socket] = co_await acceptor_.async_accept(boost::asio::make_strand(executor_),
                                                        boost::asio::as_tuple(boost::asio::use_awaitable));
    {
      std::lock_guard lock(state_->mutex);
      if (state_->stopped) co_return;
    }
    if (ec == boost::asio::error::operation_aborted || ec == boost::asio::error::bad_descriptor) co_return;
    if (ec) {
      log_.warn("accept failed; retrying in 100 ms", {{"error", ec.message()}});
      pause.expires_after(std::chrono::milliseconds(100));
      co_await pause.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
      continue;
    }
    if (state_->open.load() >= options_.max_connections) {
      boost::system::error_code ignored;
      socket.close(ignored);
      continue;
    }
    auto context = certificate_->context();
    auto connection = std::make_shared<Connection>(std::move(socket), *context, context);
    {
      std::lock_guard lock(state_->mutex);
      // stop() may have run since the accept completed: it would not see this connection.
      if (state_->stopped) {
        connection->close();
        co_return;
      }
      std::erase_if(state_->connections, [](const auto& weak) { return weak.expired(); });
      state_->connections.push_back(connection);
    }
    ++state_->open;
    auto executor = connection->stream.get_executor();
    boost::asio::co_spawn(executor, serve(state_, std::move(connection), options_, log_), boost::asio::detached);
  }
}

namespace https_server_detail {

inline std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace https_server_detail

KOPP_DECL boost::asio::awaitable<void> HttpsServer::serve(std::shared_ptr<State> state,
                                                          std::shared_ptr<Connection> connection,
                                                          HttpsServerOptions options, Logger log) {
  namespace http = boost::beast::http;
  namespace ssl = boost::asio::ssl;
  struct Release {
    std::shared_ptr<State> state;
    ~Release() { --state->open; }
  } release{state};
  auto& stream = connection->stream;
  auto& tcp = boost::beast::get_lowest_layer(stream);
  tcp.expires_after(options.request_timeout);
  auto [hec] =
      co_await stream.async_handshake(ssl::stream_base::server, boost::asio::as_tuple(boost::asio::use_awaitable));
  if (hec) co_return;  // a scanner, a client that does not trust us, a timeout: nothing to answer
  boost::beast::flat_buffer buffer(16 * 1024);
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(16 * 1024);
    parser.body_limit(options.max_body_bytes);
    tcp.expires_after(options.request_timeout);
    auto [rec, read] =
        co_await http::async_read(stream, buffer, parser, boost::asio::as_tuple(boost::asio::use_awaitable));
    (void)read;
    http::response<http::string_body> response;
    bool close_after = false;
    if (rec) {
      if (rec == http::error::body_limit) {
        response.result(http::status::payload_too_large);
        response.body() = "request body larger than " + std::to_string(options.max_body_bytes) + " bytes\n";
      } else if (rec == http::error::header_limit) {
        response.result(http::status::request_header_fields_too_large);
        response.body() = "request head larger than 16384 bytes\n";
      } else if (rec.category() == http::make_error_code(http::error::bad_target).category() &&
                 rec != http::error::end_of_stream && rec != http::error::partial_message) {
        response.result(http::status::bad_request);
        response.body() = "malformed HTTP request: " + rec.message() + "\n";
      } else {
        co_return;  // closed, timed out, TLS failure
      }
      close_after = true;
      response.version(11);
    } else {
      auto& request = parser.get();
      response.version(request.version());
      HttpsRequest in;
      in.method = std::string(request.method_string());
      const std::string_view target = request.target();
      const auto question = target.find('?');
      in.path = std::string(target.substr(0, question));
      if (question != std::string_view::npos) in.query = std::string(target.substr(question + 1));
      for (const auto& field : request) {
        auto& value = in.headers[https_server_detail::lower(field.name_string())];
        if (!value.empty()) value += ", ";
        value += field.value();
      }
      in.body = std::move(request.body());
      close_after = !request.keep_alive();
      Handler handler;
      {
        std::lock_guard lock(state->mutex);
        if (auto it = state->handlers.find(in.path); it != state->handlers.end()) handler = it->second;
      }
      HttpsResponse answer;
      if (!handler) {
        answer = HttpsResponse(404, "not found\n");
      } else {
        // The handler's time is its own (an admission call may ask the API server): the
        // stream's deadline resumes with the write.
        tcp.expires_never();
        try {
          answer = co_await handler(in);
        } catch (const std::exception& e) {
          log.error("HTTPS handler failed", {{"path", in.path}, {"error", e.what()}});
          answer = HttpsResponse(500, "internal error\n");
        } catch (...) {
          log.error("HTTPS handler failed", {{"path", in.path}, {"error", "a non-standard exception"}});
          answer = HttpsResponse(500, "internal error\n");
        }
      }
      response.result(answer.status);
      response.set(http::field::content_type, answer.content_type);
      response.body() = std::move(answer.body);
    }
    if (close_after) response.keep_alive(false);
    response.prepare_payload();
    tcp.expires_after(options.request_timeout);  // a client that does not read its answer
    auto [wec, written] =
        co_await http::async_write(stream, response, boost::asio::as_tuple(boost::asio::use_awaitable));
    (void)written;
    if (wec || close_after) {
      connection->close();
      co_return;
    }
  }
}

}  // namespace kopp
