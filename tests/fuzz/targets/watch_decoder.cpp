// The watch-stream decoder (WatchFrameDecoder): bytes arrive in pieces of any size; it never
// crashes, and once it reports an error it keeps
// reporting it. Each decoded event's metadata goes through the ObjectMeta mapping, as an
// informer's would. The first two bytes pick the frame limit, then each piece starts with
// a byte giving its length.
#include "../fuzz_check.hpp"

#include <kopp/client/watch_decoder.hpp>
#include <kopp/core/object_meta.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t max_frame = 1 + ((std::size_t{data[0]} << 8 | data[1]) & 0x1fff);
  kopp::WatchFrameDecoder decoder(max_frame);
  std::size_t pos = 2;
  boost::system::error_code failed;
  while (pos < size) {
    const std::size_t piece = std::min<std::size_t>(data[pos] + 1u, size - pos - 1);
    ++pos;
    std::vector<kopp::RawWatchEvent> events;
    const boost::system::error_code ec = decoder.feed(kopp_fuzz::as_text(data + pos, piece), events);
    pos += piece;
    if (failed) KOPP_FUZZ_CHECK(ec);
    if (ec) {
      KOPP_FUZZ_CHECK(!decoder.error_detail().empty());
      failed = ec;
    }
    for (const auto& event : events) {
      (void)kopp::to_string(event.type);
      const auto* metadata = event.object.if_contains("metadata");
      if (!metadata) continue;
      try {
        (void)kopp::from_json<kopp::ObjectMeta>(*metadata);
      } catch (const kopp::json_error&) {
      }
    }
  }
  (void)decoder.finish();
  return 0;
}
