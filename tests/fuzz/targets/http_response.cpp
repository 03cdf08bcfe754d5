// The HTTP/1.1 response reader of kopp::Http1Transport (status line, headers, Content-Length and
// chunked bodies, chunk extensions, trailers, 1xx responses, limits), fed through a real
// loopback TCP connection: a server on 127.0.0.1 answers each request with the fuzz input
// and closes. The first byte picks how kopp reads: send() (whole body) or open_stream() +
// read_some() (a watch). Either returns or throws api_error; nothing else may happen, and a
// returned body never exceeds its limit.
//
// The server closes only after kopp has closed, and then with a reset, so that no socket of
// either side lingers in TIME_WAIT: thousands of connections a second would otherwise run
// out of ephemeral ports.
#include "../fuzz_check.hpp"

#include <kopp/client/error.hpp>
#include <kopp/client/http1_transport.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

constexpr std::uint64_t body_limit = 64 * 1024;

struct Harness {
  asio::io_context io;
  tcp::acceptor acceptor{io, {asio::ip::make_address("127.0.0.1"), 0}};
  std::unique_ptr<kopp::Http1Transport> transport;

  Harness() {
    kopp::Config config;
    config.server = "http://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port());
    config.source = "fuzz";
    kopp::TransportOptions options;
    options.max_idle_connections = 0;  // one connection per input
    options.request_timeout = std::chrono::seconds(5);
    options.stream_idle_timeout = std::chrono::seconds(5);
    options.max_response_body_bytes = body_limit;
    options.max_header_bytes = 4096;
    transport = std::make_unique<kopp::Http1Transport>(io.get_executor(), config, options);
  }
};

asio::awaitable<void> serve_one(tcp::acceptor& acceptor, std::string_view response) {
  auto [aec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
  if (aec) co_return;
  co_await asio::async_write(socket, asio::buffer(response.data(), response.size()),
                             asio::as_tuple(asio::use_awaitable));
  boost::system::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_send, ignored);
  // Drain the request until kopp closes its end.
  std::array<char, 4096> sink;
  for (;;) {
    auto [ec, n] = co_await socket.async_read_some(asio::buffer(sink), asio::as_tuple(asio::use_awaitable));
    if (ec) break;
  }
  socket.set_option(asio::socket_base::linger(true, 0), ignored);
  socket.close(ignored);
}

asio::awaitable<void> read_whole(kopp::Http1Transport& transport) {
  kopp::HttpRequest request;
  request.target = "/api/v1/namespaces/fuzz/configmaps";
  const kopp::Credential credential;
  try {
    const kopp::HttpResponse response = co_await transport.send(request, credential);
    KOPP_FUZZ_CHECK(response.body.size() <= body_limit);
    KOPP_FUZZ_CHECK(response.status >= 200 && response.status <= 599);
  } catch (const kopp::api_error&) {
  }
}

asio::awaitable<void> read_streaming(kopp::Http1Transport& transport) {
  kopp::HttpRequest request;
  request.target = "/api/v1/namespaces/fuzz/configmaps?watch=true";
  const kopp::Credential credential;
  try {
    std::unique_ptr<kopp::ResponseStream> stream = co_await transport.open_stream(request, credential);
    KOPP_FUZZ_CHECK(stream->status() >= 200 && stream->status() <= 599);
    std::array<char, 512> buffer;
    std::uint64_t total = 0;
    for (;;) {
      const std::size_t n = co_await stream->read_some(buffer);
      KOPP_FUZZ_CHECK(n <= buffer.size());
      if (n == 0) break;
      total += n;
      KOPP_FUZZ_CHECK(total <= 1u << 20);  // inputs are far smaller (-max_len)
    }
  } catch (const kopp::api_error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Harness harness;
  if (size == 0) return 0;
  const bool streaming = data[0] & 1;
  const std::string_view response = kopp_fuzz::as_text(data + 1, size - 1);
  asio::co_spawn(harness.io, serve_one(harness.acceptor, response), asio::detached);
  // Anything but api_error escaping kopp is a finding; if kopp never connected, the
  // server stops waiting for it.
  auto finished = [&](std::exception_ptr error) {
    if (error) {
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "kopp fuzz: unexpected exception: %s\n", e.what());
      }
      std::abort();
    }
    harness.acceptor.cancel();
  };
  if (streaming)
    asio::co_spawn(harness.io, read_streaming(*harness.transport), finished);
  else
    asio::co_spawn(harness.io, read_whole(*harness.transport), finished);
  harness.io.run();
  harness.io.restart();
  return 0;
}
