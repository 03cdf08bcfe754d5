#pragma once

#include <kopp/runtime/telemetry/log.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <ctime>

namespace kopp {
namespace detail {

KOPP_DECL std::string log_timestamp() {
  const auto now = std::chrono::system_clock::now();
  const auto seconds = std::chrono::time_point_cast<std::chrono::seconds>(now);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now - seconds).count();
  const std::time_t t = std::chrono::system_clock::to_time_t(seconds);
  std::tm utc{};
  gmtime_r(&t, &utc);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1,
                utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(millis));
  return buffer;
}

KOPP_DECL void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char escape[8];
          std::snprintf(escape, sizeof escape, "\\u%04x", c);
          out += escape;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

/// key=value, quoted (JSON-style escapes) when the value has spaces, quotes, '=' or
/// control characters, so a line always splits back into its fields.
KOPP_DECL void append_text_value(std::string& out, std::string_view v) {
  const bool plain = !v.empty() && v.find_first_of(" \"=\\\n\r\t") == std::string_view::npos;
  if (plain)
    out += v;
  else
    append_json_string(out, v);
}

KOPP_DECL std::string_view level_name(LogLevel level) {
  switch (level) {
    case LogLevel::debug:
      return "debug";
    case LogLevel::info:
      return "info";
    case LogLevel::warn:
      return "warn";
    case LogLevel::error:
      return "error";
  }
  return "info";
}

}  // namespace detail

KOPP_DECL std::optional<LogLevel> parse_log_level(std::string_view text) noexcept {
  if (text == "debug") return LogLevel::debug;
  if (text == "info") return LogLevel::info;
  if (text == "warn" || text == "warning") return LogLevel::warn;
  if (text == "error") return LogLevel::error;
  return std::nullopt;
}

KOPP_DECL std::optional<LogFormat> parse_log_format(std::string_view text) noexcept {
  if (text == "text") return LogFormat::text;
  if (text == "json") return LogFormat::json;
  return std::nullopt;
}

KOPP_DECL LogSink& LogSink::global() {
  static LogSink sink;
  return sink;
}

KOPP_DECL std::string LogSink::format_line(LogLevel level, std::string_view message,
                                           const std::vector<LogField>& context,
                                           std::initializer_list<LogField> fields) const {
  std::string line;
  line.reserve(128);
  const std::string ts = detail::log_timestamp();
  if (format_ == LogFormat::json) {
    line += "{\"ts\":\"" + ts + "\",\"level\":\"";
    line += detail::level_name(level);
    line += "\",\"msg\":";
    detail::append_json_string(line, message);
    auto add = [&](const LogField& f) {
      line += ',';
      detail::append_json_string(line, f.key);
      line += ':';
      detail::append_json_string(line, f.value);
    };
    for (const auto& f : context) add(f);
    for (const auto& f : fields) add(f);
    line += "}\n";
  } else {
    line += ts;
    line += ' ';
    std::string level_text(detail::level_name(level));
    for (auto& c : level_text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    line += level_text;
    line += ' ';
    line += message;
    auto add = [&](const LogField& f) {
      line += ' ';
      line += f.key;
      line += '=';
      detail::append_text_value(line, f.value);
    };
    for (const auto& f : context) add(f);
    for (const auto& f : fields) add(f);
    line += '\n';
  }
  return line;
}

KOPP_DECL void LogSink::write(LogLevel level, std::string_view message, const std::vector<LogField>& context,
                              std::initializer_list<LogField> fields) {
  const std::string line = format_line(level, message, context, fields);
  std::lock_guard lock(mutex_);
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

KOPP_DECL Logger Logger::with(std::initializer_list<LogField> fields) const {
  Logger child(*this);
  for (const auto& f : fields) {
    auto it = std::find_if(child.context_.begin(), child.context_.end(),
                           [&](const LogField& existing) { return existing.key == f.key; });
    if (it != child.context_.end())
      it->value = f.value;
    else
      child.context_.push_back(f);
  }
  return child;
}

}  // namespace kopp
