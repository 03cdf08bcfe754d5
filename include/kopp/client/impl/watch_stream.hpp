#pragma once

namespace kopp {

template <class K>
void decode_watch_object(const boost::json::value& object, K& out, std::string_view context) {
  try {
    from_json(object, out);
  } catch (const json_error& e) {
    throw api_error(make_error_code(errc::malformed_response), std::string(context) + ": " + e.what());
  }
}

inline Status decode_watch_status(const boost::json::value& object, std::string_view context) {
  Status status;
  decode_watch_object(object, status, context);
  return status;
}

template <class K>
boost::asio::awaitable<std::optional<WatchEvent<K>>> WatchStream<K>::next() {
  auto raw = co_await raw_.next();
  if (!raw) co_return std::nullopt;
  WatchEvent<K> event{raw->type, K{}, std::nullopt};
  const std::string context = "watch event " + std::string(to_string(raw->type));
  // Moved, not copied, into the value the mapping reads.
  const boost::json::value object(std::move(raw->object));
  try {
    if (raw->type == WatchEventType::error)
      event.error = decode_watch_status(object, context);
    else
      decode_watch_object(object, event.object, context);
  } catch (const api_error&) {
    raw_.close();
    throw;
  }
  co_return event;
}

}  // namespace kopp
