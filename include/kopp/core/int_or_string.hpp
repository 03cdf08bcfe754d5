#pragma once
// kopp::IntOrString: Kubernetes' intstr.IntOrString (a port number or name, a count or a
// percentage such as maxUnavailable: "25%"). JSON: a number or a string.

#include <kopp/core/json_error.hpp>

#include <boost/json/value.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace kopp {

class IntOrString {
 public:
  IntOrString() noexcept = default;  // the integer 0
  IntOrString(std::int32_t value) noexcept : value_(value) {}
  IntOrString(std::string value) noexcept : value_(std::move(value)) {}
  IntOrString(std::string_view value) : value_(std::string(value)) {}
  IntOrString(const char* value) : value_(std::string(value)) {}

  [[nodiscard]] bool is_int() const noexcept { return value_.index() == 0; }
  [[nodiscard]] bool is_string() const noexcept { return value_.index() == 1; }
  /// Throws std::bad_variant_access when it holds a string.
  [[nodiscard]] std::int32_t int_value() const { return std::get<std::int32_t>(value_); }
  /// Throws std::bad_variant_access when it holds an integer.
  [[nodiscard]] const std::string& string_value() const { return std::get<std::string>(value_); }

  /// `8080` or `http`.
  [[nodiscard]] std::string to_string() const { return is_int() ? std::to_string(int_value()) : string_value(); }

  /// Like Go's intstr.GetScaledValueFromIntOrPercent: an integer is returned as is; a
  /// string "N%" is N percent of `total`, rounded up or down. Throws
  /// std::invalid_argument for any other string.
  [[nodiscard]] int scaled_value(int total, bool round_up) const;

  friend bool operator==(const IntOrString&, const IntOrString&) = default;

  friend std::ostream& operator<<(std::ostream& os, const IntOrString& v) { return os << v.to_string(); }

  friend boost::json::value kopp_to_json(const IntOrString& v) {
    if (v.is_int()) return boost::json::value(static_cast<std::int64_t>(v.int_value()));
    return boost::json::value(v.string_value());
  }
  friend void kopp_from_json(const boost::json::value& v, IntOrString& out, json_path& path) {
    out = from_json_value(v, path);
  }

 private:
  static IntOrString from_json_value(const boost::json::value& v, json_path& path);

  std::variant<std::int32_t, std::string> value_;
};

// ---------------------------------------------------------------------------------------

inline int IntOrString::scaled_value(int total, bool round_up) const {
  if (is_int()) return int_value();
  const std::string& s = string_value();
  const auto invalid = [&] { return std::invalid_argument("kopp: invalid int-or-percent value \"" + s + "\""); };
  if (s.size() < 2 || s.back() != '%') throw invalid();
  long long percent = 0;
  for (std::size_t i = 0; i + 1 < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') throw invalid();
    percent = percent * 10 + (s[i] - '0');
    if (percent > std::numeric_limits<int>::max()) throw invalid();
  }
  const double scaled = static_cast<double>(percent) * total / 100.0;
  return static_cast<int>(round_up ? std::ceil(scaled) : std::floor(scaled));
}

inline IntOrString IntOrString::from_json_value(const boost::json::value& v, json_path& path) {
  if (v.is_string()) {
    const boost::json::string& s = v.get_string();
    return IntOrString(std::string(s.data(), s.size()));
  }
  std::int64_t i = 0;
  if (v.is_int64()) {
    i = v.get_int64();
  } else if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    i = static_cast<std::int64_t>(v.get_uint64());
  } else if (v.is_double() && std::trunc(v.get_double()) == v.get_double() && std::abs(v.get_double()) < 1e18) {
    i = static_cast<std::int64_t>(v.get_double());
  } else if (v.is_number()) {
    path.fail("expected an int32 or a string, got a non-integral or huge number");
  } else {
    path.fail(std::string("expected an integer or a string, got ") + (v.is_bool()    ? "bool"
                                                                      : v.is_array() ? "array"
                                                                                     : "object"));
  }
  if (!std::in_range<std::int32_t>(i)) path.fail("integer " + std::to_string(i) + " out of range for int32");
  return IntOrString(static_cast<std::int32_t>(i));
}

}  // namespace kopp
