#pragma once

#include <kopp/client/http2_transport.hpp>

#include <kopp/version.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cstring>
#include <map>

namespace kopp {
namespace detail {

namespace h2asio = boost::asio;
using Http2Strand = boost::asio::strand<boost::asio::any_io_executor>;

/// A request's header fields, prepared once (a retry sends the same ones).
struct Http2RequestHeaders {
  std::vector<std::pair<std::string, std::string>> fields;  ///< pseudo-headers first
};

/// A failure after which the request may be sent again on another connection: the server
/// did not process it (a refused stream, a request that never left this process), or an
/// idempotent request lost its connection before the response began.
struct http2_retryable_error : api_error {
  using api_error::api_error;
};

/// One stream: the request's body being sent and the response as it arrives. Lives on its
/// connection's strand.
struct Http2Stream {
  std::int32_t id = -1;
  std::string description;
  bool idempotent = false;
  std::string request_body;
  std::size_t request_offset = 0;
  bool streaming = false;          ///< a watch: stream window given back as the reader consumes
  std::uint64_t body_limit = 0;    ///< for whole responses
  std::uint32_t header_limit = 0;  ///< bytes of one response's header section
  // The response.
  unsigned pending_status = 0;  ///< :status of the HEADERS frame being received
  unsigned interim_responses = 0;
  std::size_t header_bytes = 0;
  bool headers_done = false;
  unsigned status = 0;
  std::string content_type;
  std::optional<std::chrono::seconds> retry_after;
  std::string data;  ///< body received and not yet read
  std::size_t data_read = 0;
  // State.
  bool headers_sent = false;
  bool closed = false;
  bool cancelled = false;  ///< closed by this side (close(), a timeout, a limit)
  bool retryable = false;
  std::optional<api_error> error;
  std::optional<boost::asio::steady_timer> wake;  ///< the waiting coroutine's timer

  void notify() {
    if (wake) wake->cancel();
  }
  void fail(api_error e, bool may_retry = false) {
    if (error) return;
    error = std::move(e);
    retryable = may_retry;
  }
  [[noreturn]] void throw_error() const {
    if (retryable) throw http2_retryable_error(error->code(), error->what());
    throw *error;
  }
};

/// One HTTP/2 connection: an nghttp2 client session over a TLS stream. Every member runs on
/// strand() except the few atomics read by the transport to pick a connection.
class Http2Connection : public std::enable_shared_from_this<Http2Connection> {
 public:
  using clock = std::chrono::steady_clock;

  Http2Connection(std::unique_ptr<Connection> connection, Http2Strand strand, TransportOptions options,
                  std::string server)
      : connection_(std::move(connection)),
        strand_(std::move(strand)),
        options_(std::move(options)),
        server_(std::move(server)),
        health_timer_(strand_),
        idle_check_fd_(connection_->tcp().socket().native_handle()) {}

  ~Http2Connection() {
    if (session_) nghttp2_session_del(session_);
  }

  const Http2Strand& strand() const noexcept { return strand_; }
  const std::shared_ptr<boost::asio::ssl::context>& context() const { return connection_->context(); }

  /// Whether a new stream may go on this connection (any thread).
  bool accepts_streams() const noexcept {
    return !dead_.load() && !draining_.load() && active_.load() < max_streams_.load();
  }
  bool dead() const noexcept { return dead_.load(); }
  std::size_t active_streams() const noexcept { return active_.load(); }
  /// True when this connection, idle and not being read, must not be reused: the server
  /// closed it or sent something (a GOAWAY) meanwhile. Checked without blocking before a
  /// stream is put on it, as Http1Transport checks a pooled connection.
  bool broken_while_idle() const {
    if (reading_.load() || dead_.load()) return false;
    // The descriptor is copied (and cleared before closing, on the strand) so that this
    // check from another thread never reads the socket object the strand may be closing.
    const int fd = idle_check_fd_.load();
    return fd < 0 || idle_socket_unusable(fd);
  }

  /// Sets the session up and starts reading (on the strand, before any request).
  void start();

  // Reading: the connection is read (and health-checked) only while it has streams, so an
  // idle connection holds no pending operation and io_context::run() returns once the
  // program's own work is done, as with HTTP/1.1's idle pool. The reader stops after the
  // frame that closed the last stream (or after the answer to a PING sent when the last
  // stream was cancelled locally) and starts again with the next stream.

  /// Sends a request and reads the whole response.
  boost::asio::awaitable<HttpResponse> exchange(HttpRequest request, Http2RequestHeaders headers,
                                                std::string description);
  /// Sends a request and returns once the response's headers arrived.
  boost::asio::awaitable<std::shared_ptr<Http2Stream>> open(HttpRequest request, Http2RequestHeaders headers,
                                                            std::string description);
  /// The next piece of a streaming body; 0 at its end or once cancelled.
  boost::asio::awaitable<std::size_t> read(std::shared_ptr<Http2Stream> stream, std::span<char> buffer);
  /// Ends a stream from this side (RST_STREAM CANCEL); a pending read completes with 0.
  void cancel(Http2Stream& stream);
  /// Closes the connection: every open stream fails with `reason`.
  void close(const std::string& reason);

 private:
  std::shared_ptr<Http2Stream> submit(const HttpRequest& request, const Http2RequestHeaders& headers,
                                      std::string description);
  /// Waits until the stream is notified or `deadline` passes; false when it passed. Throws
  /// api_error (operation_aborted) when the awaiting coroutine is cancelled.
  boost::asio::awaitable<bool> wait(Http2Stream& stream, clock::time_point deadline);
  clock::time_point deadline_after(std::chrono::milliseconds timeout) const {
    return timeout.count() > 0 ? clock::now() + timeout : clock::time_point::max();
  }
  void flush();
  boost::asio::awaitable<void> write_loop();
  boost::asio::awaitable<void> read_loop();
  boost::asio::awaitable<void> health_loop(std::uint64_t generation);
  void fail_all(const boost::system::error_code& ec, const std::string& what);
  void ensure_reading();
  Http2Stream* stream_of(std::int32_t id) {
    return static_cast<Http2Stream*>(nghttp2_session_get_stream_user_data(session_, id));
  }
  void reset(Http2Stream& stream, std::uint32_t error_code);

  static int on_header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name, std::size_t namelen,
                       const std::uint8_t* value, std::size_t valuelen, std::uint8_t, void* self);
  static int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* self);
  static int on_data_chunk_recv(nghttp2_session*, std::uint8_t, std::int32_t stream_id, const std::uint8_t* data,
                                std::size_t len, void* self);
  static int on_stream_close(nghttp2_session*, std::int32_t stream_id, std::uint32_t error_code, void* self);
  static int on_frame_send(nghttp2_session*, const nghttp2_frame* frame, void* self);
  static int on_frame_not_send(nghttp2_session*, const nghttp2_frame* frame, int lib_error_code, void* self);
  static ssize_t read_request_body(nghttp2_session*, std::int32_t, std::uint8_t* buf, std::size_t length,
                                   std::uint32_t* data_flags, nghttp2_data_source* source, void*);

  std::unique_ptr<Connection> connection_;
  Http2Strand strand_;
  const TransportOptions options_;  ///< a copy: the connection may outlive its transport
  std::string server_;
  nghttp2_session* session_ = nullptr;
  std::map<std::int32_t, std::shared_ptr<Http2Stream>> streams_;
  bool writing_ = false;
  std::atomic<bool> reading_{false};
  /// Counts the times reading started: a health loop belongs to one reader and ends with it.
  /// (Without it, a loop still waking from the last reader's end kept running beside the
  /// new one, and the two cancelled each other's timer in a busy loop.)
  std::uint64_t reader_generation_ = 0;
  bool in_recv_ = false;  ///< inside nghttp2_session_mem_recv
  std::atomic<bool> dead_{false};
  std::atomic<bool> draining_{false};
  std::atomic<std::size_t> active_{0};
  /// Until the server's SETTINGS say otherwise: RFC 9113 recommends at least 100.
  std::atomic<std::size_t> max_streams_{100};
  clock::time_point last_frame_ = clock::now();
  bool ping_outstanding_ = false;
  clock::time_point ping_sent_;
  boost::asio::steady_timer health_timer_;
  std::atomic<int> idle_check_fd_;
};

// Windows: see "Flow control" in http2_transport.hpp.
inline constexpr std::int32_t http2_stream_window = 4 << 20;
inline constexpr std::int32_t http2_connection_window = 1 << 30;

KOPP_DECL void Http2Connection::start() {
  nghttp2_session_callbacks* callbacks = nullptr;
  nghttp2_session_callbacks_new(&callbacks);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, &Http2Connection::on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, &Http2Connection::on_frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, &Http2Connection::on_data_chunk_recv);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, &Http2Connection::on_stream_close);
  nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, &Http2Connection::on_frame_send);
  nghttp2_session_callbacks_set_on_frame_not_send_callback(callbacks, &Http2Connection::on_frame_not_send);
  nghttp2_option* option = nullptr;
  nghttp2_option_new(&option);
  nghttp2_option_set_no_auto_window_update(option, 1);
  nghttp2_option_set_peer_max_concurrent_streams(option, 100);
  const int rv = nghttp2_session_client_new2(&session_, callbacks, this, option);
  nghttp2_option_del(option);
  nghttp2_session_callbacks_del(callbacks);
  if (rv != 0) {
    session_ = nullptr;
    fail_all(make_error_code(errc::unsupported),
             std::string("cannot start an HTTP/2 session: ") + nghttp2_strerror(rv));
    return;
  }
  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<std::uint32_t>(http2_stream_window)},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, options_.max_header_bytes},
  };
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings));
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, http2_connection_window);
  ensure_reading();  // the server's SETTINGS; a request follows on the strand
  flush();
}

KOPP_DECL void Http2Connection::ensure_reading() {
  if (reading_ || dead_ || !session_) return;
  reading_ = true;
  last_frame_ = clock::now();
  auto self = shared_from_this();
  h2asio::co_spawn(strand_, self->read_loop(), h2asio::detached);
  ++reader_generation_;
  if (options_.http2_read_idle_timeout.count() > 0)
    h2asio::co_spawn(strand_, self->health_loop(reader_generation_), h2asio::detached);
}

KOPP_DECL std::shared_ptr<Http2Stream> Http2Connection::submit(const HttpRequest& request,
                                                               const Http2RequestHeaders& headers,
                                                               std::string description) {
  auto stream = std::make_shared<Http2Stream>();
  stream->description = std::move(description);
  stream->idempotent = idempotent_verb(request.method);
  stream->request_body = request.body;
  stream->body_limit = options_.max_response_body_bytes;
  stream->header_limit = options_.max_header_bytes;
  if (dead_ || !session_) {
    stream->closed = true;
    stream->fail(api_error(make_error_code(errc::stream_reset), stream->description + ": the connection is closed"),
                 true);
    return stream;
  }
  std::vector<nghttp2_nv> nva;
  nva.reserve(headers.fields.size());
  for (const auto& [name, value] : headers.fields) {
    nghttp2_nv nv{};
    nv.name = reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.data()));
    nv.namelen = name.size();
    nv.value = reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data()));
    nv.valuelen = value.size();
    // A credential is never put in HPACK's dynamic table, where a compression side channel
    // could guess it.
    nv.flags = name == "authorization" ? NGHTTP2_NV_FLAG_NO_INDEX : NGHTTP2_NV_FLAG_NONE;
    nva.push_back(nv);
  }
  nghttp2_data_provider body{};
  body.source.ptr = stream.get();
  body.read_callback = &Http2Connection::read_request_body;
  const bool has_body = !request.body.empty();
  const std::int32_t id =
      nghttp2_submit_request(session_, nullptr, nva.data(), nva.size(), has_body ? &body : nullptr, stream.get());
  if (id < 0) {
    stream->closed = true;
    stream->fail(api_error(make_error_code(errc::stream_reset),
                           stream->description + ": cannot open an HTTP/2 stream: " + nghttp2_strerror(id)),
                 true);
    return stream;
  }
  stream->id = id;
  streams_.emplace(id, stream);
  ++active_;
  ensure_reading();
  flush();
  return stream;
}

KOPP_DECL ssize_t Http2Connection::read_request_body(nghttp2_session*, std::int32_t, std::uint8_t* buf,
                                                     std::size_t length, std::uint32_t* data_flags,
                                                     nghttp2_data_source* source, void*) {
  auto* stream = static_cast<Http2Stream*>(source->ptr);
  const std::size_t n = std::min(length, stream->request_body.size() - stream->request_offset);
  std::memcpy(buf, stream->request_body.data() + stream->request_offset, n);
  stream->request_offset += n;
  if (stream->request_offset == stream->request_body.size()) *data_flags |= NGHTTP2_DATA_FLAG_EOF;
  return static_cast<ssize_t>(n);
}

KOPP_DECL boost::asio::awaitable<bool> Http2Connection::wait(Http2Stream& stream, clock::time_point deadline) {
  if (!stream.wake) stream.wake.emplace(strand_);
  stream.wake->expires_at(deadline);
  auto [ec] = co_await stream.wake->async_wait(h2asio::as_tuple(h2asio::use_awaitable));
  (void)ec;  // cancelled (notified) or expired: the deadline decides
  // The caller's coroutine was cancelled (a reconcile that ran out of time): the stream
  // is reset at once instead of holding a slot until its answer comes.
  auto state = co_await h2asio::this_coro::cancellation_state;
  if (state.cancelled() != h2asio::cancellation_type::none) {
    cancel(stream);
    throw api_error(h2asio::error::operation_aborted, stream.description + ": cancelled");
  }
  co_return clock::now() < deadline;
}

KOPP_DECL boost::asio::awaitable<HttpResponse> Http2Connection::exchange(HttpRequest request,
                                                                         Http2RequestHeaders headers,
                                                                         std::string description) {
  auto self = shared_from_this();
  co_await h2asio::this_coro::throw_if_cancelled(false);  // wait() handles cancellation
  auto stream = submit(request, headers, std::move(description));
  const auto deadline = deadline_after(options_.request_timeout);
  while (!stream->closed) {
    const bool in_time = co_await wait(*stream, deadline);
    if (!in_time && !stream->closed) {
      cancel(*stream);
      throw api_error(make_error_code(errc::timeout), stream->description + ": no response within " +
                                                          std::to_string(options_.request_timeout.count()) + " ms");
    }
  }
  if (stream->error) stream->throw_error();
  HttpResponse response;
  response.status = stream->status;
  response.content_type = std::move(stream->content_type);
  response.retry_after = stream->retry_after;
  response.body = std::move(stream->data);
  co_return response;
}

KOPP_DECL boost::asio::awaitable<std::shared_ptr<Http2Stream>> Http2Connection::open(HttpRequest request,
                                                                                     Http2RequestHeaders headers,
                                                                                     std::string description) {
  auto self = shared_from_this();
  co_await h2asio::this_coro::throw_if_cancelled(false);  // wait() handles cancellation
  auto stream = submit(request, headers, std::move(description));
  stream->streaming = true;
  const auto deadline = deadline_after(options_.request_timeout);
  while (!stream->headers_done && !stream->closed) {
    const bool in_time = co_await wait(*stream, deadline);
    if (!in_time && !stream->headers_done && !stream->closed) {
      cancel(*stream);
      throw api_error(make_error_code(errc::timeout), stream->description + ": no response headers in time");
    }
  }
  if (!stream->headers_done) {
    if (!stream->error)
      stream->fail(
          api_error(make_error_code(errc::stream_reset), stream->description + ": the stream ended before a response"));
    stream->throw_error();
  }
  co_return stream;
}

KOPP_DECL boost::asio::awaitable<std::size_t> Http2Connection::read(std::shared_ptr<Http2Stream> stream,
                                                                    std::span<char> buffer) {
  auto self = shared_from_this();
  co_await h2asio::this_coro::throw_if_cancelled(false);  // wait() handles cancellation
  if (buffer.empty()) co_return 0;
  for (;;) {
    if (stream->cancelled) co_return 0;
    const std::size_t available = stream->data.size() - stream->data_read;
    if (available > 0) {
      const std::size_t n = std::min(available, buffer.size());
      std::memcpy(buffer.data(), stream->data.data() + stream->data_read, n);
      stream->data_read += n;
      if (stream->data_read == stream->data.size()) {
        stream->data.clear();
        stream->data_read = 0;
      } else if (stream->data_read > (1u << 20)) {
        stream->data.erase(0, stream->data_read);
        stream->data_read = 0;
      }
      if (!stream->closed && session_ && !dead_) {
        // The reader consumed: the server may send this much more on this stream.
        nghttp2_session_consume_stream(session_, stream->id, n);
        flush();
      }
      co_return n;
    }
    if (stream->closed) {
      if (stream->error) throw *stream->error;
      co_return 0;
    }
    const auto deadline = deadline_after(options_.stream_idle_timeout);
    const bool in_time = co_await wait(*stream, deadline);
    if (!in_time && stream->data.size() == stream->data_read && !stream->closed && !stream->cancelled) {
      cancel(*stream);
      throw api_error(make_error_code(errc::timeout), stream->description + ": no data for " +
                                                          std::to_string(options_.stream_idle_timeout.count()) + " ms");
    }
  }
}

KOPP_DECL void Http2Connection::reset(Http2Stream& stream, std::uint32_t error_code) {
  if (stream.closed || stream.id < 0 || !session_ || dead_) return;
  nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream.id, error_code);
  flush();
}

KOPP_DECL void Http2Connection::cancel(Http2Stream& stream) {
  stream.cancelled = true;
  reset(stream, NGHTTP2_CANCEL);
  stream.notify();
}

KOPP_DECL void Http2Connection::close(const std::string& reason) {
  fail_all(make_error_code(errc::stream_reset), reason);
}

KOPP_DECL void Http2Connection::fail_all(const boost::system::error_code& ec, const std::string& what) {
  if (dead_.exchange(true)) return;
  auto streams = std::move(streams_);
  streams_.clear();
  for (auto& [id, stream] : streams) {
    (void)id;
    stream->closed = true;
    --active_;
    // Retrying is safe when the server never saw the request, or when it did not answer an
    // idempotent one.
    const bool may_retry = !stream->headers_sent || (stream->idempotent && !stream->headers_done);
    stream->fail(api_error(ec, stream->description + ": " + what), may_retry);
    stream->notify();
  }
  health_timer_.cancel();
  idle_check_fd_ = -1;
  connection_->close();
}

KOPP_DECL void Http2Connection::flush() {
  if (writing_ || dead_ || !session_ || !nghttp2_session_want_write(session_)) return;
  writing_ = true;
  h2asio::co_spawn(strand_, shared_from_this()->write_loop(), h2asio::detached);
}

KOPP_DECL boost::asio::awaitable<void> Http2Connection::write_loop() {
  auto self = shared_from_this();
  std::string out;
  while (!dead_) {
    out.clear();
    for (;;) {
      const std::uint8_t* data = nullptr;
      const ssize_t n = out.size() < 64 * 1024 ? nghttp2_session_mem_send(session_, &data) : 0;
      if (n < 0) {
        writing_ = false;
        fail_all(make_error_code(errc::stream_reset),
                 std::string("HTTP/2 session failed: ") + nghttp2_strerror(static_cast<int>(n)));
        co_return;
      }
      if (n > 0) {
        out.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
        continue;
      }
      if (active_ == 0 && reading_ && !in_recv_ && !ping_outstanding_) {
        // The last stream was closed from this side (cancelled, timed out): nothing more
        // is due from the server, so a PING's answer is what lets the reader stop. It
        // goes out with the frames collected so far.
        nghttp2_submit_ping(session_, NGHTTP2_FLAG_NONE, nullptr);
        ping_outstanding_ = true;
        ping_sent_ = clock::now();
        continue;
      }
      break;
    }
    if (out.empty()) break;
    auto [ec, written] =
        co_await h2asio::async_write(*connection_->tls(), h2asio::buffer(out), h2asio::as_tuple(h2asio::use_awaitable));
    (void)written;
    if (ec) {
      writing_ = false;
      fail_all(ec, "connection to " + server_ + " lost: " + ec.message());
      co_return;
    }
  }
  writing_ = false;
}

KOPP_DECL boost::asio::awaitable<void> Http2Connection::read_loop() {
  auto self = shared_from_this();
  connection_->tcp().expires_never();  // the health check and per-stream deadlines decide
  std::vector<char> buffer(64 * 1024);
  while (!dead_) {
    if (active_ == 0 && !ping_outstanding_) {
      reading_ = false;  // idle: see "Reading" above
      health_timer_.cancel();
      co_return;
    }
    auto [ec, n] =
        co_await connection_->tls()->async_read_some(h2asio::buffer(buffer), h2asio::as_tuple(h2asio::use_awaitable));
    if (dead_) co_return;
    if (ec) {
      fail_all(ec, "connection to " + server_ + " lost: " + ec.message());
      co_return;
    }
    last_frame_ = clock::now();
    ping_outstanding_ = false;  // anything from the server proves the connection alive
    // (a PING of ours may still be answered later; the answer is then read with the next
    // stream, and ignored)
    in_recv_ = true;
    const ssize_t rv = nghttp2_session_mem_recv(session_, reinterpret_cast<const std::uint8_t*>(buffer.data()), n);
    in_recv_ = false;
    if (rv < 0) {
      fail_all(make_error_code(errc::stream_reset),
               "HTTP/2 protocol error from " + server_ + ": " + nghttp2_strerror(static_cast<int>(rv)));
      co_return;
    }
    flush();
    if (!nghttp2_session_want_read(session_) && !nghttp2_session_want_write(session_)) {
      fail_all(make_error_code(errc::stream_reset), "the server " + server_ + " closed the HTTP/2 connection");
      co_return;
    }
  }
}

KOPP_DECL boost::asio::awaitable<void> Http2Connection::health_loop(std::uint64_t generation) {
  auto self = shared_from_this();
  const auto idle = options_.http2_read_idle_timeout;
  const auto ping_timeout = options_.http2_ping_timeout;
  while (!dead_ && reading_ && generation == reader_generation_) {
    health_timer_.expires_at(ping_outstanding_ ? ping_sent_ + ping_timeout : last_frame_ + idle);
    auto [ec] = co_await health_timer_.async_wait(h2asio::as_tuple(h2asio::use_awaitable));
    (void)ec;
    if (dead_ || !reading_ || generation != reader_generation_) co_return;
    const auto now = clock::now();
    if (ping_outstanding_) {
      if (now - ping_sent_ >= ping_timeout) {
        fail_all(make_error_code(errc::timeout), "the connection to " + server_ +
                                                     " is dead: no answer to a PING within " +
                                                     std::to_string(ping_timeout.count()) + " ms");
        co_return;
      }
    } else if (now - last_frame_ >= idle) {
      nghttp2_submit_ping(session_, NGHTTP2_FLAG_NONE, nullptr);
      ping_outstanding_ = true;
      ping_sent_ = now;
      flush();
    }
  }
}

// --- nghttp2 callbacks (on the strand, inside mem_recv / mem_send) --------------------------

KOPP_DECL int Http2Connection::on_header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name,
                                         std::size_t namelen, const std::uint8_t* value, std::size_t valuelen,
                                         std::uint8_t, void* user) {
  auto* self = static_cast<Http2Connection*>(user);
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  Http2Stream* stream = self->stream_of(frame->hd.stream_id);
  if (!stream || stream->headers_done) return 0;    // trailers are not used
  stream->header_bytes += namelen + valuelen + 32;  // RFC 9113's accounting of a field
  if (stream->header_bytes > stream->header_limit) {
    stream->fail(api_error(make_error_code(errc::response_too_large),
                           stream->description + ": the response headers exceed TransportOptions::max_header_bytes (" +
                               std::to_string(stream->header_limit) + " bytes)"));
    stream->cancelled = true;
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // resets the stream
  }
  const std::string_view field(reinterpret_cast<const char*>(name), namelen);
  const std::string_view text(reinterpret_cast<const char*>(value), valuelen);
  if (field == ":status") {
    unsigned status = 0;
    for (char c : text) status = c >= '0' && c <= '9' && status < 1000 ? status * 10 + (c - '0') : 1000;
    stream->pending_status = status;
  } else if (stream->pending_status >= 200) {
    if (field == "content-type")
      stream->content_type = std::string(text);
    else if (field == "retry-after")
      stream->retry_after = parse_retry_after(text);
  }
  return 0;
}

KOPP_DECL int Http2Connection::on_frame_recv(nghttp2_session* session, const nghttp2_frame* frame, void* user) {
  auto* self = static_cast<Http2Connection*>(user);
  switch (frame->hd.type) {
    case NGHTTP2_HEADERS: {
      Http2Stream* stream = self->stream_of(frame->hd.stream_id);
      if (!stream || stream->headers_done || !(frame->hd.flags & NGHTTP2_FLAG_END_HEADERS)) return 0;
      const unsigned status = stream->pending_status;
      stream->pending_status = 0;
      std::optional<api_error> problem;
      if (!is_http_status(status))
        problem = invalid_status_error(stream->description, status);
      else if (status == 101 || (status / 100 == 1 && ++stream->interim_responses > 16))
        problem = api_error(make_error_code(errc::unexpected_status),
                            stream->description + (status == 101 ? ": the server switched protocols (101), which "
                                                                   "HTTP/2 forbids"
                                                                 : ": more than 16 interim 1xx responses"));
      if (problem) {
        stream->fail(std::move(*problem));
        stream->cancelled = true;
        nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, frame->hd.stream_id, NGHTTP2_PROTOCOL_ERROR);
        stream->notify();
        return 0;
      }
      if (status / 100 == 1) return 0;  // interim: the final response follows
      stream->status = status;
      stream->headers_done = true;
      stream->notify();
      return 0;
    }
    case NGHTTP2_SETTINGS:
      if (!(frame->hd.flags & NGHTTP2_FLAG_ACK))
        self->max_streams_ = std::max<std::uint32_t>(
            1, nghttp2_session_get_remote_settings(session, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS));
      return 0;
    case NGHTTP2_GOAWAY:
      // No new streams here; those beyond the last stream id are closed by nghttp2 as
      // refused (and retried elsewhere), the others finish.
      self->draining_ = true;
      return 0;
    default:
      return 0;
  }
}

KOPP_DECL int Http2Connection::on_data_chunk_recv(nghttp2_session* session, std::uint8_t, std::int32_t stream_id,
                                                  const std::uint8_t* data, std::size_t len, void* user) {
  auto* self = static_cast<Http2Connection*>(user);
  // The connection window is given back at once: one stream's unread data never holds
  // it (see "Flow control" in the header).
  nghttp2_session_consume_connection(session, len);
  Http2Stream* stream = self->stream_of(stream_id);
  if (!stream || stream->cancelled) {
    nghttp2_session_consume_stream(session, stream_id, len);
    return 0;
  }
  if (!stream->streaming) {
    if (stream->data.size() + len > stream->body_limit) {
      stream->fail(api_error(make_error_code(errc::response_too_large),
                             stream->description +
                                 ": the response body exceeds TransportOptions::max_response_body_bytes (" +
                                 std::to_string(stream->body_limit) + " bytes)"));
      stream->cancelled = true;
      nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_CANCEL);
      return 0;
    }
    nghttp2_session_consume_stream(session, stream_id, len);
  }
  stream->data.append(reinterpret_cast<const char*>(data), len);
  if (stream->streaming) stream->notify();
  return 0;
}

KOPP_DECL int Http2Connection::on_stream_close(nghttp2_session*, std::int32_t stream_id, std::uint32_t error_code,
                                               void* user) {
  auto* self = static_cast<Http2Connection*>(user);
  auto it = self->streams_.find(stream_id);
  if (it == self->streams_.end()) return 0;
  auto stream = it->second;
  self->streams_.erase(it);
  --self->active_;
  stream->closed = true;
  if (error_code == NGHTTP2_REFUSED_STREAM)
    stream->fail(api_error(make_error_code(errc::stream_reset),
                           stream->description + ": the server refused the stream (REFUSED_STREAM)"),
                 true);
  else if (error_code != NGHTTP2_NO_ERROR && !stream->cancelled)
    stream->fail(
        api_error(make_error_code(errc::stream_reset),
                  stream->description + ": the server reset the stream: " + nghttp2_http2_strerror(error_code)));
  else if (!stream->headers_done && !stream->cancelled)
    stream->fail(
        api_error(make_error_code(errc::stream_reset), stream->description + ": the stream ended before a response"));
  stream->notify();
  return 0;
}

KOPP_DECL int Http2Connection::on_frame_send(nghttp2_session*, const nghttp2_frame* frame, void* user) {
  auto* self = static_cast<Http2Connection*>(user);
  if (frame->hd.type == NGHTTP2_HEADERS)
    if (Http2Stream* stream = self->stream_of(frame->hd.stream_id)) stream->headers_sent = true;
  return 0;
}

KOPP_DECL int Http2Connection::on_frame_not_send(nghttp2_session*, const nghttp2_frame* frame, int lib_error_code,
                                                 void* user) {
  auto* self = static_cast<Http2Connection*>(user);
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  if (Http2Stream* stream = self->stream_of(frame->hd.stream_id))
    stream->fail(api_error(make_error_code(errc::stream_reset),
                           stream->description + ": the request was not sent: " + nghttp2_strerror(lib_error_code)),
                 true);
  return 0;
}

// --- Http2ResponseStream ---------------------------------------------------------------------

/// The body of a streaming HTTP/2 response: one stream of a shared connection.
class Http2ResponseStream final : public ResponseStream {
 public:
  Http2ResponseStream(std::shared_ptr<Http2Connection> connection, std::shared_ptr<Http2Stream> stream)
      : ResponseStream(stream->status, stream->content_type),
        connection_(std::move(connection)),
        stream_(std::move(stream)) {}
  ~Http2ResponseStream() override { Http2ResponseStream::close(); }

  boost::asio::awaitable<std::size_t> read_some(std::span<char> buffer) override {
    auto operation = connection_->read(stream_, buffer);
    co_return co_await h2asio::co_spawn(connection_->strand(), std::move(operation), h2asio::use_awaitable);
  }

  void close() noexcept override {
    if (closed_) return;
    closed_ = true;
    try {
      h2asio::post(connection_->strand(),
                   [connection = connection_, stream = stream_] { connection->cancel(*stream); });
    } catch (...) {  // posting allocates; the stream then ends with its connection
    }
  }

 private:
  std::shared_ptr<Http2Connection> connection_;
  std::shared_ptr<Http2Stream> stream_;
  bool closed_ = false;
};

KOPP_DECL Http2RequestHeaders http2_request_headers(const HttpRequest& request, const Credential& credential,
                                                    const ServerConnector& connector, const std::string& user_agent) {
  namespace http = boost::beast::http;
  Http2RequestHeaders headers;
  auto& f = headers.fields;
  f.emplace_back(":method", std::string(http::to_string(request.method)));
  f.emplace_back(":scheme", "https");
  f.emplace_back(":authority", connector.authority());
  f.emplace_back(":path", connector.base_path() + request.target);
  f.emplace_back("user-agent", user_agent);
  f.emplace_back("accept", request.accept);
  if (auto authorization = authorization_value(credential)) f.emplace_back("authorization", std::move(*authorization));
  if (!request.body.empty() || request.method == http::verb::post || request.method == http::verb::put ||
      request.method == http::verb::patch) {
    f.emplace_back("content-type",
                   request.content_type.empty() ? std::string("application/json") : request.content_type);
    f.emplace_back("content-length", std::to_string(request.body.size()));
  }
  return headers;
}

}  // namespace detail

// --- Http2Transport --------------------------------------------------------------------------

KOPP_DECL Http2Transport::Http2Transport(boost::asio::any_io_executor executor, const Config& config,
                                         TransportOptions options)
    : executor_(std::move(executor)),
      options_(std::move(options)),
      connector_(executor_, config, options_),
      http1_(executor_, config,
             [&] {
               TransportOptions quiet = options_;
               quiet.on_warning = [](std::string_view) {};  // the connector above has given them
               return quiet;
             }()),
      http1_mode_(!connector_.tls()),
      pool_strand_(boost::asio::make_strand(executor_)),
      connect_done_(pool_strand_, std::chrono::steady_clock::time_point::max()) {
  // Armed once, never re-armed: expires_at() would cancel the other waiters' waits, and
  // they would re-arm it in turn, waking each other in a loop.
  if (options_.user_agent.empty()) options_.user_agent = std::string("kopp/") + version_string;
}

KOPP_DECL Http2Transport::~Http2Transport() {
  std::lock_guard lock(mutex_);
  for (auto& connection : connections_)
    boost::asio::post(connection->strand(), [connection] { connection->close("the transport was destroyed"); });
}

KOPP_DECL std::size_t Http2Transport::connections() const {
  std::lock_guard lock(mutex_);
  return static_cast<std::size_t>(
      std::count_if(connections_.begin(), connections_.end(), [](const auto& c) { return !c->dead(); }));
}

KOPP_DECL std::shared_ptr<detail::Http2Connection> Http2Transport::find_usable(
    const std::shared_ptr<boost::asio::ssl::context>& context, const detail::Http2Connection* avoid) {
  std::lock_guard lock(mutex_);
  std::shared_ptr<detail::Http2Connection> found;
  std::erase_if(connections_, [&](const std::shared_ptr<detail::Http2Connection>& c) {
    if (c->dead()) return true;
    if (c->context() != context && c->active_streams() == 0) {
      // Made with a client certificate since rotated, and idle: nothing will use it again.
      boost::asio::post(c->strand(), [c] { c->close("the client certificate was rotated"); });
      return true;
    }
    return false;
  });
  for (const auto& c : connections_) {
    if (c.get() == avoid || c->context() != context || !c->accepts_streams()) continue;
    if (c->broken_while_idle()) {
      boost::asio::post(c->strand(), [c] { c->close("the server closed the idle connection"); });
      continue;  // pruned next time (dead)
    }
    found = c;
    break;
  }
  return found;
}

KOPP_DECL boost::asio::awaitable<std::shared_ptr<detail::Http2Connection>> Http2Transport::acquire(
    const Credential& credential, const detail::Http2Connection* avoid) {
  if (auto found = find_usable(connector_.context_for(credential), avoid)) co_return found;
  if (http1_mode_) co_return nullptr;
  auto operation = acquire_slow(credential, avoid);
  co_return co_await boost::asio::co_spawn(pool_strand_, std::move(operation), boost::asio::use_awaitable);
}

KOPP_DECL boost::asio::awaitable<std::shared_ptr<detail::Http2Connection>> Http2Transport::acquire_slow(
    Credential credential, const detail::Http2Connection* avoid) {
  namespace asio = boost::asio;
  auto context = connector_.context_for(credential);
  for (;;) {  // on pool_strand_
    if (auto found = find_usable(context, avoid)) co_return found;
    if (http1_mode_) co_return nullptr;
    if (!connecting_) break;
    // Another caller is connecting: share its connection (or try again if it failed).
    auto [ec] = co_await connect_done_.async_wait(asio::as_tuple(asio::use_awaitable));
    (void)ec;
  }
  connecting_ = true;
  std::unique_ptr<detail::Connection> connection;
  std::exception_ptr failure;
  try {
    connection = co_await connector_.connect(credential, std::string_view("\x02h2\x08http/1.1", 12));
  } catch (...) {
    failure = std::current_exception();
  }
  connecting_ = false;
  connect_done_.cancel();
  if (failure) std::rethrow_exception(failure);
  if (connection->alpn_protocol() != "h2") {
    // The server speaks HTTP/1.1 only: from now on every request goes there.
    http1_mode_ = true;
    connection->close();
    co_return nullptr;
  }
  auto h2 = std::make_shared<detail::Http2Connection>(std::move(connection), asio::make_strand(executor_), options_,
                                                      connector_.server());
  // Posted before any request reaches the connection's strand, so it runs first.
  asio::post(h2->strand(), [h2] { h2->start(); });
  {
    std::lock_guard lock(mutex_);
    connections_.push_back(h2);
  }
  ++opened_;
  co_return h2;
}

KOPP_DECL boost::asio::awaitable<HttpResponse> Http2Transport::send(HttpRequest request, Credential credential) {
  namespace asio = boost::asio;
  if (http1_mode_) co_return co_await http1_.send(std::move(request), std::move(credential));
  const auto headers = detail::http2_request_headers(request, credential, connector_, options_.user_agent);
  std::shared_ptr<detail::Http2Connection> refused_by;
  for (int attempt = 0;; ++attempt) {
    auto connection = co_await acquire(credential, refused_by.get());
    if (!connection) co_return co_await http1_.send(std::move(request), std::move(credential));
    try {
      auto operation = connection->exchange(request, headers, connector_.describe(request));
      co_return co_await asio::co_spawn(connection->strand(), std::move(operation), asio::use_awaitable);
    } catch (const detail::http2_retryable_error&) {
      if (attempt > 0) throw;
    }
    refused_by = connection;
  }
}

KOPP_DECL boost::asio::awaitable<std::unique_ptr<ResponseStream>> Http2Transport::open_stream(HttpRequest request,
                                                                                              Credential credential) {
  namespace asio = boost::asio;
  if (http1_mode_) co_return co_await http1_.open_stream(std::move(request), std::move(credential));
  const auto headers = detail::http2_request_headers(request, credential, connector_, options_.user_agent);
  std::shared_ptr<detail::Http2Connection> refused_by;
  for (int attempt = 0;; ++attempt) {
    auto connection = co_await acquire(credential, refused_by.get());
    if (!connection) co_return co_await http1_.open_stream(std::move(request), std::move(credential));
    try {
      auto operation = connection->open(request, headers, connector_.describe(request));
      auto stream = co_await asio::co_spawn(connection->strand(), std::move(operation), asio::use_awaitable);
      co_return std::make_unique<detail::Http2ResponseStream>(connection, std::move(stream));
    } catch (const detail::http2_retryable_error&) {
      if (attempt > 0) throw;
    }
    refused_by = connection;
  }
}

}  // namespace kopp
