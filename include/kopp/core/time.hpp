#pragma once
// kopp::Time and kopp::MicroTime: Kubernetes' meta/v1 Time (RFC 3339, whole seconds, as in
// metadata.creationTimestamp) and MicroTime (microseconds, as in Lease and Event times).
//
// Both hold microseconds since the Unix epoch (std::chrono::sys_time<microseconds>) floored
// to their precision, so a value survives a JSON round trip unchanged. The default value is
// the zero time (the Unix epoch); like Go's metav1.Time it encodes as JSON null, so a zero
// member is omitted.
//
// Guarantees: every RFC 3339 time the API server accepts (years 0000-9999) parses and
// formats back unchanged; an object carrying 0001-01-01 or 9999-12-31 decodes.
// Caveats: system_clock::time_point (nanoseconds in libstdc++) spans only 1677-2262, so
// time_point() saturates outside that range; sys_time() gives the exact value.

#include <kopp/core/json_error.hpp>
#include <kopp/core/detail/time_rfc3339.hpp>

#include <boost/json/value.hpp>

#include <chrono>
#include <compare>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace kopp {

namespace detail {
template <class Precision>
class time_base {
 public:
  using clock = std::chrono::system_clock;

  constexpr time_base() noexcept = default;
  /// Any sys_time (system_clock::time_point, sys_seconds, sys_time<microseconds>, ...),
  /// floored to the precision.
  template <class Duration>
  explicit time_base(std::chrono::sys_time<Duration> tp) noexcept
      : micros_(std::chrono::floor<Precision>(std::chrono::floor<std::chrono::microseconds>(tp))) {}

  /// As system_clock::time_point, saturated to its range (years 1677-2262 in libstdc++).
  [[nodiscard]] clock::time_point time_point() const noexcept { return time_to_system_clock(micros_); }
  /// The exact value, whatever the year.
  [[nodiscard]] time_micros sys_time() const noexcept { return micros_; }
  [[nodiscard]] bool is_zero() const noexcept { return micros_.time_since_epoch().count() == 0; }

  friend bool operator==(const time_base&, const time_base&) = default;
  friend auto operator<=>(const time_base&, const time_base&) = default;

 protected:
  // Kept in microseconds (not system_clock's nanoseconds) so that formatting never
  // needs a range check.
  time_micros micros_{};
};
}  // namespace detail

/// meta/v1 Time: RFC 3339 with second precision, `2026-11-26T23:30:00Z`.
class Time : public detail::time_base<std::chrono::seconds> {
 public:
  using time_base::time_base;

  [[nodiscard]] static Time now() { return Time(clock::now()); }

  /// Parses RFC 3339 (`Z` or `+02:00` offsets, optional fractional seconds, which are
  /// dropped). Throws std::invalid_argument naming the text.
  [[nodiscard]] static Time parse(std::string_view text);
  /// Like parse(), but empty instead of throwing.
  [[nodiscard]] static std::optional<Time> try_parse(std::string_view text) noexcept;

  /// `2026-11-26T23:30:00Z` (always UTC).
  [[nodiscard]] std::string to_string() const { return detail::time_format_rfc3339(micros_, false); }

  friend std::ostream& operator<<(std::ostream& os, const Time& t) { return os << t.to_string(); }

  friend boost::json::value kopp_to_json(const Time& t) {
    if (t.is_zero()) return nullptr;
    return boost::json::value(t.to_string());
  }
  friend void kopp_from_json(const boost::json::value& v, Time& out, json_path& path) {
    out = from_json_value(v, path);
  }

 private:
  static Time from_json_value(const boost::json::value& v, json_path& path);
};

/// meta/v1 MicroTime: RFC 3339 with microsecond precision, `2026-11-26T23:30:00.123456Z`.
class MicroTime : public detail::time_base<std::chrono::microseconds> {
 public:
  using time_base::time_base;

  [[nodiscard]] static MicroTime now() { return MicroTime(clock::now()); }

  /// Parses RFC 3339 (offsets, 0..9 fraction digits; beyond microseconds truncated).
  /// Throws std::invalid_argument naming the text.
  [[nodiscard]] static MicroTime parse(std::string_view text);
  [[nodiscard]] static std::optional<MicroTime> try_parse(std::string_view text) noexcept;

  /// `2026-11-26T23:30:00.123456Z` (always UTC, always six digits).
  [[nodiscard]] std::string to_string() const { return detail::time_format_rfc3339(micros_, true); }

  friend std::ostream& operator<<(std::ostream& os, const MicroTime& t) { return os << t.to_string(); }

  friend boost::json::value kopp_to_json(const MicroTime& t) {
    if (t.is_zero()) return nullptr;
    return boost::json::value(t.to_string());
  }
  friend void kopp_from_json(const boost::json::value& v, MicroTime& out, json_path& path) {
    out = from_json_value(v, path);
  }

 private:
  static MicroTime from_json_value(const boost::json::value& v, json_path& path);
};

// ---------------------------------------------------------------------------------------

namespace detail {
template <class T>
std::optional<T> time_try_parse(std::string_view text) noexcept {
  const std::optional<time_micros> parsed = time_parse_rfc3339(text);
  if (!parsed) return std::nullopt;
  return T(*parsed);
}

template <class T>
T time_parse(std::string_view text) {
  std::optional<T> parsed = time_try_parse<T>(text);
  if (!parsed) throw std::invalid_argument("kopp: invalid RFC 3339 time \"" + std::string(text) + "\"");
  return *parsed;
}

template <class T>
T time_from_json(const boost::json::value& v, json_path& path) {
  if (!v.is_string()) {
    path.fail(std::string("expected an RFC 3339 time string, got ") + (v.is_number()  ? "number"
                                                                       : v.is_bool()  ? "bool"
                                                                       : v.is_array() ? "array"
                                                                                      : "object"));
  }
  const boost::json::string& s = v.get_string();
  const std::string_view text(s.data(), s.size());
  std::optional<T> parsed = time_try_parse<T>(text);
  if (!parsed) path.fail("expected an RFC 3339 time, got \"" + std::string(text) + "\"");
  return *parsed;
}
}  // namespace detail

inline Time Time::parse(std::string_view text) { return detail::time_parse<Time>(text); }
inline std::optional<Time> Time::try_parse(std::string_view text) noexcept {
  return detail::time_try_parse<Time>(text);
}
inline Time Time::from_json_value(const boost::json::value& v, json_path& path) {
  return detail::time_from_json<Time>(v, path);
}

inline MicroTime MicroTime::parse(std::string_view text) { return detail::time_parse<MicroTime>(text); }
inline std::optional<MicroTime> MicroTime::try_parse(std::string_view text) noexcept {
  return detail::time_try_parse<MicroTime>(text);
}
inline MicroTime MicroTime::from_json_value(const boost::json::value& v, json_path& path) {
  return detail::time_from_json<MicroTime>(v, path);
}

}  // namespace kopp
