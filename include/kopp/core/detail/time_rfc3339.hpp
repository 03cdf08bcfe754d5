#pragma once
// Private: RFC 3339 parsing and formatting for kopp::Time and kopp::MicroTime.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace kopp::detail {

using time_micros = std::chrono::sys_time<std::chrono::microseconds>;

inline bool time_read_digits(std::string_view text, std::size_t& pos, std::size_t count, int& out) noexcept {
  if (pos + count > text.size()) return false;
  int value = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const char c = text[pos + i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  pos += count;
  out = value;
  return true;
}

inline bool time_expect(std::string_view text, std::size_t& pos, char a, char b = '\0') noexcept {
  if (pos >= text.size()) return false;
  if (text[pos] != a && (b == '\0' || text[pos] != b)) return false;
  ++pos;
  return true;
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)`; digits of the fraction beyond
/// microseconds are truncated. Empty when the text is not such a time, or when its offset
/// puts it outside years 0000-9999 in UTC. Every year the text can hold (0000-9999, what
/// the API server accepts) fits: microseconds since the epoch in
/// 64 bits span about 292,000 years. (system_clock's nanoseconds span only 1677-2262.)
inline std::optional<time_micros> time_parse_rfc3339(std::string_view text) noexcept {
  using namespace std::chrono;
  std::size_t pos = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!time_read_digits(text, pos, 4, year) || !time_expect(text, pos, '-') || !time_read_digits(text, pos, 2, month) ||
      !time_expect(text, pos, '-') || !time_read_digits(text, pos, 2, day) || !time_expect(text, pos, 'T', 't') ||
      !time_read_digits(text, pos, 2, hour) || !time_expect(text, pos, ':') ||
      !time_read_digits(text, pos, 2, minute) || !time_expect(text, pos, ':') ||
      !time_read_digits(text, pos, 2, second))
    return std::nullopt;
  std::int64_t micros = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    std::size_t digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 6) micros = micros * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (std::size_t d = digits; d < 6; ++d) micros *= 10;
  }
  int offset_minutes = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    int offset_hour = 0, offset_minute = 0;
    if (!time_read_digits(text, pos, 2, offset_hour) || !time_expect(text, pos, ':') ||
        !time_read_digits(text, pos, 2, offset_minute))
      return std::nullopt;
    if (offset_hour > 23 || offset_minute > 59) return std::nullopt;
    offset_minutes = sign * (offset_hour * 60 + offset_minute);
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  if (hour > 23 || minute > 59 || second > 59) return std::nullopt;
  const year_month_day date{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                            std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok()) return std::nullopt;
  const time_micros utc = time_micros(sys_days(date)) + hours(hour) + minutes(minute) + seconds(second) +
                          microseconds(micros) - minutes(offset_minutes);
  // kopp writes times in UTC, as the API server does; an offset that moves the time out of
  // years 0000-9999 in UTC ("9999-12-31T23:59:59-01:00") has no RFC 3339 form to write
  // back, so it is refused here rather than changed when written (found by tests/fuzz).
  const time_micros first = time_micros(sys_days(std::chrono::year(0) / January / 1));
  const time_micros last = time_micros(sys_days(std::chrono::year(10000) / January / 1)) - microseconds(1);
  if (utc < first || utc > last) return std::nullopt;
  return utc;
}

/// `t` as a system_clock::time_point, saturated to the clock's range (years 1677-2262 with
/// libstdc++'s nanoseconds) instead of overflowing.
inline std::chrono::system_clock::time_point time_to_system_clock(time_micros t) noexcept {
  using namespace std::chrono;
  using tp = system_clock::time_point;
  const auto lowest = ceil<microseconds>(tp::min());
  const auto highest = floor<microseconds>(tp::max());
  if (t <= lowest) return tp::min();
  if (t >= highest) return tp::max();
  return time_point_cast<system_clock::duration>(t);
}

/// `2026-11-26T23:30:00Z`, or with `with_micros` `2026-11-26T23:30:00.123456Z`.
/// A time before year 0 or after 9999 (only from arithmetic, never parsed) is clamped to
/// those years' ends so the text stays RFC 3339.
inline std::string time_format_rfc3339(time_micros t, bool with_micros) {
  using namespace std::chrono;
  const time_micros first = sys_days(year(0) / January / 1);
  const time_micros last = sys_days(year(9999) / December / 31) + days(1) - microseconds(1);
  if (t < first) t = first;
  if (t > last) t = last;
  const sys_days day_point = floor<days>(t);
  const year_month_day date(day_point);
  const microseconds since_midnight = t - day_point;
  const hh_mm_ss<microseconds> clock_time(since_midnight);
  char buffer[48];
  const int n =
      std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02d", static_cast<int>(date.year()),
                    static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                    static_cast<int>(clock_time.hours().count()), static_cast<int>(clock_time.minutes().count()),
                    static_cast<int>(clock_time.seconds().count()));
  std::string out(buffer, static_cast<std::size_t>(n));
  if (with_micros) {
    std::snprintf(buffer, sizeof buffer, ".%06d", static_cast<int>(clock_time.subseconds().count()));
    out += buffer;
  }
  out += 'Z';
  return out;
}

}  // namespace kopp::detail
