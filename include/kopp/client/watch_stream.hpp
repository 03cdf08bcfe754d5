#pragma once
// A watch: the events of one streaming response, decoded one line at a time as they
// arrive. RawWatchStream yields JSON objects; WatchStream<K> maps them to K.
//
// Guarantees: events come in the server's order; a truncated stream or a garbage line
// raises api_error (errc::watch_stream_truncated / errc::watch_frame_malformed) once and
// then the stream is over — an event is never silently skipped. The server ending the watch
// (its timeoutSeconds) is a clean end: next() returns std::nullopt.

#include <kopp/core/detail/config.hpp>
#include <kopp/client/transport.hpp>
#include <kopp/client/watch_decoder.hpp>
#include <kopp/core/json.hpp>
#include <kopp/core/status.hpp>

#include <boost/asio/awaitable.hpp>

#include <deque>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

namespace kopp {

class RawWatchStream {
 public:
  RawWatchStream(std::unique_ptr<ResponseStream> response, std::string description);

  /// The next event, or std::nullopt when the server ended the watch.
  boost::asio::awaitable<std::optional<RawWatchEvent>> next();

  /// Ends the watch from the client side; a pending next() fails.
  void close() noexcept;

 private:
  std::unique_ptr<ResponseStream> response_;
  std::string description_;
  WatchFrameDecoder decoder_;
  std::vector<RawWatchEvent> decoded_;
  std::size_t next_index_ = 0;
  std::vector<char> buffer_ = std::vector<char>(64 * 1024);
  bool finished_ = false;
  std::optional<api_error> deferred_error_;
};

template <class K>
struct WatchEvent {
  WatchEventType type;
  K object;                     ///< for BOOKMARK only metadata.resourceVersion is set
  std::optional<Status> error;  ///< set for ERROR events (e.g. 410 Gone: relist)
};

/// The one typed decode of a watch event's object (or a list item) into `out`, for
/// WatchStream<K> and the runtime's watchers alike. Throws api_error
/// (errc::malformed_response) whose message is `context`, then the JSON path and problem.
template <class K>
void decode_watch_object(const boost::json::value& object, K& out, std::string_view context);

/// The Status an ERROR event carries. Throws as decode_watch_object.
Status decode_watch_status(const boost::json::value& object, std::string_view context);

template <class K>
class WatchStream {
 public:
  explicit WatchStream(RawWatchStream raw) : raw_(std::move(raw)) {}

  /// The next event, or std::nullopt when the server ended the watch. An object that does
  /// not map to K raises api_error (errc::malformed_response) naming the JSON path.
  boost::asio::awaitable<std::optional<WatchEvent<K>>> next();
  void close() noexcept { raw_.close(); }

 private:
  RawWatchStream raw_;
};

}  // namespace kopp

#include <kopp/client/impl/watch_stream.hpp>
#if KOPP_HEADER_ONLY
#include <kopp/client/impl/watch_stream.ipp>
#endif
