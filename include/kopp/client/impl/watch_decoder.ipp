#pragma once

#include <kopp/client/watch_decoder.hpp>

#include <algorithm>

namespace kopp {

KOPP_DECL std::string_view to_string(WatchEventType t) noexcept {
  switch (t) {
    case WatchEventType::added:
      return "ADDED";
    case WatchEventType::modified:
      return "MODIFIED";
    case WatchEventType::deleted:
      return "DELETED";
    case WatchEventType::bookmark:
      return "BOOKMARK";
    case WatchEventType::error:
      return "ERROR";
  }
  return "UNKNOWN";
}

namespace detail {
KOPP_DECL std::string excerpt(std::string_view s, std::size_t n = 80) {
  std::string out(s.substr(0, n));
  if (s.size() > n) out += "...";
  return out;
}
}  // namespace detail

KOPP_DECL boost::system::error_code WatchFrameDecoder::fail(errc e, std::string detail) {
  failed_ = make_error_code(e);
  error_detail_ = std::move(detail);
  pending_.clear();
  return failed_;
}

KOPP_DECL boost::system::error_code WatchFrameDecoder::feed(std::string_view bytes, std::vector<RawWatchEvent>& out) {
  if (failed_) return failed_;
  while (!bytes.empty()) {
    const auto newline = bytes.find('\n');
    if (newline == std::string_view::npos) {
      if (pending_.size() + bytes.size() > max_frame_bytes_)
        return fail(errc::frame_too_large, "watch event exceeds " + std::to_string(max_frame_bytes_) + " bytes");
      pending_.append(bytes);
      return {};
    }
    const auto head = bytes.substr(0, newline);
    bytes.remove_prefix(newline + 1);
    boost::system::error_code ec;
    if (pending_.empty()) {
      ec = decode_line(head, out);
    } else {
      if (pending_.size() + head.size() > max_frame_bytes_)
        return fail(errc::frame_too_large, "watch event exceeds " + std::to_string(max_frame_bytes_) + " bytes");
      pending_.append(head);
      ec = decode_line(pending_, out);
      pending_.clear();
    }
    if (ec) return ec;
  }
  return {};
}

KOPP_DECL boost::system::error_code WatchFrameDecoder::finish() const {
  if (failed_) return failed_;
  const bool only_space =
      std::all_of(pending_.begin(), pending_.end(), [](char c) { return c == ' ' || c == '\r' || c == '\t'; });
  return only_space ? boost::system::error_code{} : make_error_code(errc::watch_stream_truncated);
}

KOPP_DECL boost::system::error_code WatchFrameDecoder::decode_line(std::string_view line,
                                                                   std::vector<RawWatchEvent>& out) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
  if (line.empty()) return {};  // blank keep-alive lines carry nothing
  boost::system::error_code ec;
  parser_->reset();
  parser_->write(line.data(), line.size(), ec);
  if (ec) return fail(errc::watch_frame_malformed, "not JSON (" + ec.message() + "): " + detail::excerpt(line));
  boost::json::value frame = parser_->release();
  auto* fields = frame.if_object();
  const auto* type = fields ? fields->if_contains("type") : nullptr;
  auto* object = fields ? fields->if_contains("object") : nullptr;
  if (!type || !type->is_string() || !object || !object->is_object())
    return fail(errc::watch_frame_malformed,
                "an event needs a string 'type' and an object 'object': " + detail::excerpt(line));
  const std::string_view name = type->get_string();
  WatchEventType kind;
  if (name == "ADDED")
    kind = WatchEventType::added;
  else if (name == "MODIFIED")
    kind = WatchEventType::modified;
  else if (name == "DELETED")
    kind = WatchEventType::deleted;
  else if (name == "BOOKMARK")
    kind = WatchEventType::bookmark;
  else if (name == "ERROR")
    kind = WatchEventType::error;
  else
    return fail(errc::watch_frame_malformed, "unknown event type '" + std::string(name) + "'");
  out.push_back(RawWatchEvent{kind, std::move(object->get_object())});
  return {};
}

}  // namespace kopp
