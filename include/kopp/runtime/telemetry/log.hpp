#pragma once
// Structured logging: every line has a time, a level, a message and key=value fields, as
// text (`2026-11-26T23:55:00.123Z INFO reconciled controller=memcached object=ns/name`) or
// JSON lines (`{"ts":"...","level":"info","msg":"reconciled","controller":"memcached"}`).
// A Logger carries fields (controller, object key, reconcile id) and is cheap to copy.
//
// Guarantees: one line per call, written atomically (a mutex around the write); values
// are escaped. Caveat: the caller decides what goes into fields — never put a token or a
// key there.

#include <kopp/core/detail/config.hpp>

#include <cstdio>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace kopp {

enum class LogLevel { debug = 0, info = 1, warn = 2, error = 3 };
enum class LogFormat { text, json };

std::optional<LogLevel> parse_log_level(std::string_view text) noexcept;
std::optional<LogFormat> parse_log_format(std::string_view text) noexcept;

struct LogField {
  LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
  LogField(std::string_view k, const char* v) : key(k), value(v) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(v) {}
  template <class Number, class = std::enable_if_t<std::is_arithmetic_v<Number>>>
  LogField(std::string_view k, Number v) : key(k), value(format_number(v)) {}

  std::string key;
  std::string value;

 private:
  template <class Number>
  static std::string format_number(Number v) {
    if constexpr (std::is_same_v<Number, bool>)
      return v ? "true" : "false";
    else
      return std::to_string(v);
  }
};

/// Where log lines go and which are kept. One per process by default (LogSink::global()).
class LogSink {
 public:
  explicit LogSink(std::FILE* out = stderr, LogLevel level = LogLevel::info, LogFormat format = LogFormat::text)
      : out_(out), level_(level), format_(format) {}

  static LogSink& global();

  void set_level(LogLevel level) noexcept { level_ = level; }
  void set_format(LogFormat format) noexcept { format_ = format; }
  void set_output(std::FILE* out) noexcept { out_ = out; }
  LogLevel level() const noexcept { return level_; }
  bool enabled(LogLevel level) const noexcept { return level >= level_; }

  void write(LogLevel level, std::string_view message, const std::vector<LogField>& context,
             std::initializer_list<LogField> fields);

  /// Renders one line without writing it (for tests).
  std::string format_line(LogLevel level, std::string_view message, const std::vector<LogField>& context,
                          std::initializer_list<LogField> fields) const;

 private:
  std::FILE* out_;
  LogLevel level_;
  LogFormat format_;
  std::mutex mutex_;
};

class Logger {
 public:
  explicit Logger(LogSink& sink = LogSink::global()) : sink_(&sink) {}

  /// A logger that adds `fields` to every line.
  Logger with(std::initializer_list<LogField> fields) const;

  void debug(std::string_view message, std::initializer_list<LogField> fields = {}) const {
    log(LogLevel::debug, message, fields);
  }
  void info(std::string_view message, std::initializer_list<LogField> fields = {}) const {
    log(LogLevel::info, message, fields);
  }
  void warn(std::string_view message, std::initializer_list<LogField> fields = {}) const {
    log(LogLevel::warn, message, fields);
  }
  void error(std::string_view message, std::initializer_list<LogField> fields = {}) const {
    log(LogLevel::error, message, fields);
  }
  void log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields) const {
    if (sink_->enabled(level)) sink_->write(level, message, context_, fields);
  }

 private:
  LogSink* sink_;
  std::vector<LogField> context_;
};

}  // namespace kopp

#if KOPP_HEADER_ONLY
#include <kopp/runtime/telemetry/impl/log.ipp>
#endif
