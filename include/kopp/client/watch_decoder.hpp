#pragma once
// Splits the body of a watch response into events. The API server writes one JSON object
// per line ({"type": "...", "object": {...}}); HTTP chunk boundaries fall anywhere, so the
// decoder buffers partial lines. Sans-io: bytes in, events out.
//
// Guarantees: an event is emitted only when its whole line arrived and parsed; a line that
// is not a valid event, or a stream that ends inside an event, is an error — never a
// silently skipped event. After an error the decoder refuses further input. Events nest up
// to kopp::json_max_depth (10,000) levels, as the API server allows; the parser's nesting
// stack is on the heap, so a deep line costs no call stack.
// Errors: errc::frame_too_large for a line over max_frame_bytes, errc::watch_frame_malformed
// for a line that is not an event (deeper than json_max_depth included).

#include <kopp/core/detail/config.hpp>
#include <kopp/client/error.hpp>
#include <kopp/core/json.hpp>

#include <boost/json/object.hpp>
#include <boost/json/parser.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace kopp {

enum class WatchEventType { added, modified, deleted, bookmark, error };

std::string_view to_string(WatchEventType t) noexcept;

/// One decoded line of a watch stream, before it is mapped to a C++ type.
struct RawWatchEvent {
  WatchEventType type;
  boost::json::object object;
};

class WatchFrameDecoder {
 public:
  /// Lines longer than max_frame_bytes are refused (errc::frame_too_large): a server or
  /// proxy that never sends a newline must not grow memory without bound.
  explicit WatchFrameDecoder(std::size_t max_frame_bytes = 64u << 20) : max_frame_bytes_(max_frame_bytes) {}

  /// Decodes every complete line in `bytes` (plus what was buffered) into `out`.
  boost::system::error_code feed(std::string_view bytes, std::vector<RawWatchEvent>& out);

  /// The stream ended: an error if part of an event is still buffered.
  boost::system::error_code finish() const;

  /// A description of the last error (what was wrong and a short excerpt of the line).
  const std::string& error_detail() const noexcept { return error_detail_; }

 private:
  boost::system::error_code decode_line(std::string_view line, std::vector<RawWatchEvent>& out);
  boost::system::error_code fail(errc e, std::string detail);

  std::size_t max_frame_bytes_;
  std::string pending_;
  /// Reused across lines for its memory; boxed because a parser cannot move.
  std::unique_ptr<boost::json::parser> parser_ =
      std::make_unique<boost::json::parser>(boost::json::storage_ptr(), json_parse_options());
  boost::system::error_code failed_;
  std::string error_detail_;
};

}  // namespace kopp

#if KOPP_HEADER_ONLY
#include <kopp/client/impl/watch_decoder.ipp>
#endif
