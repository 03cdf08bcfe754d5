#include <kopp/runtime/telemetry/log.hpp>

#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>

TEST_CASE("text log lines: level, message, context then fields, quoted when needed", "[runtime][log]") {
  kopp::LogSink sink(stderr, kopp::LogLevel::info, kopp::LogFormat::text);
  const std::vector<kopp::LogField> context{{"controller", "memcached"}, {"object", "ns/a"}};
  const auto line = sink.format_line(kopp::LogLevel::warn, "reconcile failed", context,
                                     {{"error", "GET /x: 404 \"x\" not found"}, {"attempt", 3}, {"ok", false}});
  // A time stamp, then the rest.
  REQUIRE(line.size() > 25);
  CHECK(line[4] == '-');
  CHECK(line.substr(25) ==
        "WARN reconcile failed controller=memcached object=ns/a error=\"GET /x: 404 \\\"x\\\" not found\" attempt=3 "
        "ok=false\n");
}

TEST_CASE("JSON log lines parse back with every field", "[runtime][log]") {
  kopp::LogSink sink(stderr, kopp::LogLevel::debug, kopp::LogFormat::json);
  const auto line = sink.format_line(kopp::LogLevel::info, "line\nbreak", {{"reconcileID", "abc"}}, {{"n", 42}});
  auto parsed = boost::json::parse(line).as_object();
  CHECK(parsed.at("level").as_string() == "info");
  CHECK(parsed.at("msg").as_string() == "line\nbreak");
  CHECK(parsed.at("reconcileID").as_string() == "abc");
  CHECK(parsed.at("n").as_string() == "42");
  CHECK(parsed.contains("ts"));
}

TEST_CASE("levels filter and loggers carry context", "[runtime][log]") {
  std::FILE* out = std::tmpfile();
  REQUIRE(out);
  kopp::LogSink sink(out, kopp::LogLevel::info, kopp::LogFormat::text);
  kopp::Logger base(sink);
  auto logger = base.with({{"controller", "c"}}).with({{"controller", "d"}, {"object", "o"}});
  logger.debug("hidden");
  logger.info("shown");
  std::rewind(out);
  char buffer[512] = {};
  const auto n = std::fread(buffer, 1, sizeof buffer - 1, out);
  std::fclose(out);
  const std::string text(buffer, n);
  CHECK(text.find("hidden") == std::string::npos);
  CHECK(text.find("INFO shown controller=d object=o\n") != std::string::npos);
  CHECK(kopp::parse_log_level("warning") == kopp::LogLevel::warn);
  CHECK_FALSE(kopp::parse_log_level("loud"));
  CHECK(kopp::parse_log_format("json") == kopp::LogFormat::json);
}
