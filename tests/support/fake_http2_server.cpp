// kopp_test::FakeHttp2Server: a scripted HTTP/2 server on nghttp2's server session, for the
// fault tests of kopp::Http2Transport (tests/support/fake_http2_server.hpp says which).
#include "support/fake_http2_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <nghttp2/nghttp2.h>
#include <openssl/ssl.h>

#include <cstring>
#include <map>

namespace kopp_test {

namespace asio = boost::asio;

struct FakeHttp2Server::Session : std::enable_shared_from_this<FakeHttp2Server::Session> {
  struct Stream {
    Http2SeenRequest request;
    std::string response_body;
    std::size_t sent = 0;
  };

  Session(FakeHttp2Server& server, asio::ip::tcp::socket socket, int number)
      : server(server), tls(std::move(socket), *server.tls_), number(number) {}
  ~Session() {
    if (session) nghttp2_session_del(session);
  }

  FakeHttp2Server& server;
  asio::ssl::stream<asio::ip::tcp::socket> tls;
  int number;
  nghttp2_session* session = nullptr;
  std::map<std::int32_t, Stream> streams;
  bool frozen = false;

  void close() {
    boost::system::error_code ignored;
    tls.lowest_layer().close(ignored);
  }

  asio::awaitable<void> run() {
    auto self = shared_from_this();
    auto [hec] = co_await tls.async_handshake(asio::ssl::stream_base::server, asio::as_tuple(asio::use_awaitable));
    if (hec) co_return;
    nghttp2_session_callbacks* callbacks = nullptr;
    nghttp2_session_callbacks_new(&callbacks);
    nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, &Session::on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(callbacks, &Session::on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, &Session::on_data);
    nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, &Session::on_frame);
    nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, &Session::on_close);
    nghttp2_session_server_new(&session, callbacks, this);
    nghttp2_session_callbacks_del(callbacks);
    nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, nullptr, 0);
    if (!co_await flush()) co_return;
    std::vector<std::uint8_t> buffer(16 * 1024);
    while (!frozen) {
      auto [ec, n] = co_await tls.async_read_some(asio::buffer(buffer), asio::as_tuple(asio::use_awaitable));
      if (ec || frozen) co_return;
      if (nghttp2_session_mem_recv(session, buffer.data(), n) < 0) co_return;
      if (frozen || !co_await flush()) co_return;
    }
  }

  asio::awaitable<bool> flush() {
    std::string out;
    for (;;) {
      const std::uint8_t* data = nullptr;
      const ssize_t n = nghttp2_session_mem_send(session, &data);
      if (n <= 0) break;
      out.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
    }
    if (out.empty()) co_return true;
    auto [ec, written] = co_await asio::async_write(tls, asio::buffer(out), asio::as_tuple(asio::use_awaitable));
    (void)written;
    co_return !ec;
  }

  void handle(std::int32_t id) {
    auto& stream = streams[id];
    server.requests_.push_back(stream.request);
    Http2Action action;
    if (!server.script_.empty()) {
      action = std::move(server.script_.front());
      server.script_.pop_front();
    }
    switch (action.kind) {
      case Http2Action::Kind::respond: {
        stream.response_body = action.body;
        const std::string status = std::to_string(action.status);
        const std::string length = std::to_string(action.body.size());
        std::vector<nghttp2_nv> nva;
        auto add = [&](const std::string& name, const std::string& value) {
          nva.push_back({reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.data())),
                         reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
                         NGHTTP2_NV_FLAG_NONE});
        };
        const std::string status_name = ":status", type_name = "content-type", type = "application/json",
                          length_name = "content-length";
        add(status_name, status);
        add(type_name, type);
        add(length_name, length);
        if (!action.header_name.empty()) add(action.header_name, action.header_value);
        nghttp2_data_provider provider{};
        provider.source.ptr = &stream;
        provider.read_callback = &Session::read_body;
        nghttp2_submit_response(session, id, nva.data(), nva.size(), &provider);
        break;
      }
      case Http2Action::Kind::reset:
        nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, id, action.error_code);
        break;
      case Http2Action::Kind::goaway:
        nghttp2_submit_goaway(session, NGHTTP2_FLAG_NONE, std::max(0, id - 2), NGHTTP2_NO_ERROR, nullptr, 0);
        break;
      case Http2Action::Kind::freeze:
        frozen = true;
        break;
      case Http2Action::Kind::hold:
        break;
    }
  }

  static ssize_t read_body(nghttp2_session*, std::int32_t, std::uint8_t* buf, std::size_t length, std::uint32_t* flags,
                           nghttp2_data_source* source, void*) {
    auto* stream = static_cast<Stream*>(source->ptr);
    const std::size_t n = std::min(length, stream->response_body.size() - stream->sent);
    std::memcpy(buf, stream->response_body.data() + stream->sent, n);
    stream->sent += n;
    if (stream->sent == stream->response_body.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }
  static int on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    auto* self = static_cast<Session*>(user);
    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST)
      self->streams[frame->hd.stream_id].request.connection = self->number;
    return 0;
  }
  static int on_header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name, std::size_t namelen,
                       const std::uint8_t* value, std::size_t valuelen, std::uint8_t, void* user) {
    auto* self = static_cast<Session*>(user);
    auto& request = self->streams[frame->hd.stream_id].request;
    const std::string field(reinterpret_cast<const char*>(name), namelen);
    const std::string text(reinterpret_cast<const char*>(value), valuelen);
    if (field == ":method") request.method = text;
    if (field == ":path") request.path = text;
    return 0;
  }
  static int on_data(nghttp2_session*, std::uint8_t, std::int32_t id, const std::uint8_t* data, std::size_t len,
                     void* user) {
    static_cast<Session*>(user)->streams[id].request.body.append(reinterpret_cast<const char*>(data), len);
    return 0;
  }
  static int on_close(nghttp2_session*, std::int32_t id, std::uint32_t error_code, void* user) {
    fprintf(stderr, "server close %d code %u\n", id, error_code);
    if (error_code == NGHTTP2_CANCEL) ++static_cast<Session*>(user)->server.cancelled_streams_;
    return 0;
  }
  static int on_frame(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    auto* self = static_cast<Session*>(user);
    if ((frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) &&
        (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) && self->streams.contains(frame->hd.stream_id))
      self->handle(frame->hd.stream_id);
    return 0;
  }
};

namespace {
int select_h2(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned inlen, void*) {
  for (unsigned i = 0; i < inlen; i += 1 + in[i])
    if (in[i] == 2 && i + 3 <= inlen && std::memcmp(in + i + 1, "h2", 2) == 0) {
      *out = in + i + 1;
      *outlen = 2;
      return SSL_TLSEXT_ERR_OK;
    }
  return SSL_TLSEXT_ERR_NOACK;
}
}  // namespace

FakeHttp2Server::FakeHttp2Server(asio::any_io_executor ex)
    : executor_(ex),
      acceptor_(ex, {asio::ip::make_address("127.0.0.1"), 0}),
      tls_(std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server)) {
  const std::string pki = std::string(KOPP_TEST_DATA_DIR) + "/kubeconfig/pki/";
  tls_->use_certificate_chain_file(pki + "client.crt");
  tls_->use_private_key_file(pki + "client.key", asio::ssl::context::pem);
  SSL_CTX_set_alpn_select_cb(tls_->native_handle(), &select_h2, nullptr);
  asio::co_spawn(ex, accept_loop(), asio::detached);
}

FakeHttp2Server::~FakeHttp2Server() { stop(); }

std::string FakeHttp2Server::url() const {
  return "https://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
}

void FakeHttp2Server::close_connections() {
  for (auto& session : sessions_) session->close();
}

void FakeHttp2Server::stop() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  close_connections();
}

asio::awaitable<void> FakeHttp2Server::accept_loop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    auto session = std::make_shared<Session>(*this, std::move(socket), ++connections_);
    sessions_.push_back(session);
    asio::co_spawn(executor_, session->run(), asio::detached);
  }
}

}  // namespace kopp_test
