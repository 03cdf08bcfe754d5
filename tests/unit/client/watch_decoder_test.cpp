#include <kopp/client/watch_decoder.hpp>

#include "support/deep_json.hpp"

#include <catch2/catch.hpp>

#include <string>

using kopp::RawWatchEvent;
using kopp::WatchEventType;
using kopp::WatchFrameDecoder;

namespace {
const std::string added =
    R"({"type":"ADDED","object":{"kind":"ConfigMap","metadata":{"name":"a","resourceVersion":"1"}}})";
const std::string modified =
    R"({"type":"MODIFIED","object":{"kind":"ConfigMap","metadata":{"name":"a","resourceVersion":"2"}}})";
const std::string bookmark = R"({"type":"BOOKMARK","object":{"kind":"ConfigMap","metadata":{"resourceVersion":"7"}}})";
const std::string gone = R"({"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired"}})";

std::string name_of(const RawWatchEvent& e) { return std::string(e.object.at("metadata").at("name").as_string()); }
}  // namespace

TEST_CASE("watch decoder: whole lines become events in order", "[client][watch]") {
  WatchFrameDecoder decoder;
  std::vector<RawWatchEvent> events;
  REQUIRE_FALSE(decoder.feed(added + "\n" + modified + "\n" + bookmark + "\n" + gone + "\n", events));
  REQUIRE(events.size() == 4);
  CHECK(events[0].type == WatchEventType::added);
  CHECK(events[1].type == WatchEventType::modified);
  CHECK(events[2].type == WatchEventType::bookmark);
  CHECK(events[3].type == WatchEventType::error);
  CHECK(events[3].object.at("code").as_int64() == 410);
  CHECK_FALSE(decoder.finish());
}

TEST_CASE("watch decoder: a line split at every byte boundary decodes once", "[client][watch]") {
  const std::string stream = added + "\n" + modified + "\n";
  for (std::size_t cut = 1; cut < stream.size(); ++cut) {
    WatchFrameDecoder decoder;
    std::vector<RawWatchEvent> events;
    REQUIRE_FALSE(decoder.feed(std::string_view(stream).substr(0, cut), events));
    REQUIRE_FALSE(decoder.feed(std::string_view(stream).substr(cut), events));
    REQUIRE(events.size() == 2);
    CHECK(name_of(events[0]) == "a");
    CHECK(events[1].object.at("metadata").at("resourceVersion").as_string() == "2");
    CHECK_FALSE(decoder.finish());
  }
}

TEST_CASE("watch decoder: byte-by-byte feeding", "[client][watch]") {
  const std::string stream = added + "\r\n\n" + bookmark + "\n";
  WatchFrameDecoder decoder;
  std::vector<RawWatchEvent> events;
  for (char c : stream) REQUIRE_FALSE(decoder.feed(std::string_view(&c, 1), events));
  REQUIRE(events.size() == 2);
  CHECK(events[1].type == WatchEventType::bookmark);
}

TEST_CASE("watch decoder: a stream that ends inside an event is truncated", "[client][watch]") {
  WatchFrameDecoder decoder;
  std::vector<RawWatchEvent> events;
  REQUIRE_FALSE(decoder.feed(added + "\n" + modified.substr(0, 30), events));
  CHECK(events.size() == 1);
  CHECK(decoder.finish() == kopp::make_error_code(kopp::errc::watch_stream_truncated));
}

TEST_CASE("watch decoder: garbage is an error, never a skipped event", "[client][watch]") {
  WatchFrameDecoder decoder;
  std::vector<RawWatchEvent> events;
  auto ec = decoder.feed(added + "\nthis is not json\n" + modified + "\n", events);
  CHECK(ec == kopp::make_error_code(kopp::errc::watch_frame_malformed));
  REQUIRE(events.size() == 1);  // the good event before the garbage survives
  CHECK(decoder.error_detail().find("this is not json") != std::string::npos);
  // After an error the decoder stays failed: the MODIFIED after the garbage is not emitted.
  CHECK(decoder.feed(modified + "\n", events) == kopp::make_error_code(kopp::errc::watch_frame_malformed));
  CHECK(events.size() == 1);
}

TEST_CASE("watch decoder: valid JSON that is not an event is malformed", "[client][watch]") {
  for (std::string bad : {R"({"type":"ADDED"})", R"({"object":{}})", R"({"type":"EXPLODED","object":{}})",
                          R"({"type":1,"object":{}})", R"([1,2,3])", R"({"type":"ADDED","object":"x"})"}) {
    WatchFrameDecoder decoder;
    std::vector<RawWatchEvent> events;
    INFO(bad);
    CHECK(decoder.feed(bad + "\n", events) == kopp::make_error_code(kopp::errc::watch_frame_malformed));
    CHECK(events.empty());
  }
}

TEST_CASE("watch decoder: an endless line is refused at the limit", "[client][watch]") {
  WatchFrameDecoder decoder(1024);
  std::vector<RawWatchEvent> events;
  const std::string chunk(600, 'x');
  REQUIRE_FALSE(decoder.feed(chunk, events));
  CHECK(decoder.feed(chunk, events) == kopp::make_error_code(kopp::errc::frame_too_large));
}

TEST_CASE("watch decoder: an object nested as deep as the API server allows decodes", "[client][watch][depth]") {
  // The frame adds one level around the object: an object of depth json_max_depth must pass.
  const std::string line =
      R"({"type":"ADDED","object":)" + kopp_test::deep_object(kopp::json_max_depth) + "}\n" + modified + "\n";
  WatchFrameDecoder decoder;
  std::vector<RawWatchEvent> events;
  const auto ec = decoder.feed(line, events);
  INFO(decoder.error_detail());
  REQUIRE_FALSE(ec);
  REQUIRE(events.size() == 2);
  CHECK(name_of(events[0]) == "deep");
  const boost::json::value* v = &events[0].object.at("spec");
  std::size_t levels = 1;  // the object itself
  while (v->is_object()) {
    ++levels;
    v = &v->get_object().at("a");
  }
  CHECK(levels == kopp::json_max_depth);
  CHECK(name_of(events[1]) == "a");
}

TEST_CASE("watch decoder: deeper than json_max_depth is a malformed frame, not a crash", "[client][watch][depth]") {
  const std::string line = R"({"type":"ADDED","object":)" + kopp_test::deep_object(kopp::json_max_depth + 50) + "}\n";
  WatchFrameDecoder decoder;
  std::vector<RawWatchEvent> events;
  CHECK(decoder.feed(line, events) == kopp::make_error_code(kopp::errc::watch_frame_malformed));
  CHECK(events.empty());
}
