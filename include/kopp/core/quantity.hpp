#pragma once
// kopp::Quantity: Kubernetes' resource.Quantity ("500m" CPU, "1Gi" memory, "2.5e3").
//
// It keeps the text it was given, so decoding and encoding an object never rewrites a
// quantity (Go re-emits the canonical form, "0.5" -> "500m"; kopp leaves that to the
// server). Comparison is by exact value, not text: "500m" == "0.5", "1Gi" > "1G",
// "1e3" == "1k". No floating point is involved; as_double() is only for display and
// arithmetic where rounding does not matter.
//
// Syntax (as the API server accepts it): an optional sign, a decimal number ("1", "1.5",
// "1.", ".5") and at most one suffix: a binary SI suffix Ki Mi Gi Ti Pi Ei (powers of
// 1024), a decimal SI suffix m "" k M G T P E (10^-3 .. 10^18), or a decimal exponent
// e<int> / E<int> ("1e3", "5E-2"). Anything else is rejected with std::invalid_argument
// naming the text and what is wrong. Unlike Go, values are not capped at 2^63-1 nor
// rounded to 3 decimal places; the exponent must stay within +-1000.
//
// JSON: a string (a plain JSON number is accepted too, as the server does).

#include <kopp/core/json_error.hpp>

#include <boost/json/value.hpp>

#include <cmath>
#include <compare>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace kopp {

class Quantity {
 public:
  /// Zero ("0").
  Quantity() : Quantity(std::string_view("0")) {}
  /// Parses `text`; throws std::invalid_argument when it is not a quantity.
  Quantity(std::string_view text);
  Quantity(const std::string& text) : Quantity(std::string_view(text)) {}
  Quantity(const char* text) : Quantity(std::string_view(text)) {}

  /// Like the constructor, but empty instead of throwing.
  [[nodiscard]] static std::optional<Quantity> try_parse(std::string_view text) noexcept;

  /// The text it was parsed from, unchanged.
  [[nodiscard]] const std::string& to_string() const noexcept { return text_; }
  /// -1, 0 or 1.
  [[nodiscard]] int sign() const noexcept { return is_zero_ ? 0 : (negative_ ? -1 : 1); }
  [[nodiscard]] bool is_zero() const noexcept { return is_zero_; }
  /// The value as the nearest double (may round; never use it to compare quantities).
  [[nodiscard]] double as_double() const;

  friend bool operator==(const Quantity& a, const Quantity& b) { return compare(a, b) == 0; }
  friend std::strong_ordering operator<=>(const Quantity& a, const Quantity& b) { return compare(a, b) <=> 0; }
  friend std::ostream& operator<<(std::ostream& os, const Quantity& q) { return os << q.text_; }

  friend boost::json::value kopp_to_json(const Quantity& q) { return boost::json::value(q.text_); }
  friend void kopp_from_json(const boost::json::value& v, Quantity& out, json_path& path) { decode(v, out, path); }

 private:
  struct parsed_tag {};
  Quantity(parsed_tag) noexcept {}
  /// Empty on success, otherwise what is wrong with `text`.
  static std::string parse_into(std::string_view text, Quantity& out);
  static int compare(const Quantity& a, const Quantity& b);
  static void decode(const boost::json::value& v, Quantity& out, json_path& path);

  std::string text_;
  // value = (negative_ ? -1 : 1) * digits_ * 10^exp10_ * 2^exp2_, digits_ without leading
  // zeros ("" when the value is zero).
  std::string digits_;
  std::int32_t exp10_ = 0;
  std::int32_t exp2_ = 0;
  bool negative_ = false;
  bool is_zero_ = true;
};

// ---------------------------------------------------------------------------------------

namespace detail {

/// Just enough of an unsigned big integer to compare quantities exactly.
class quantity_bigint {
 public:
  static quantity_bigint from_decimal(std::string_view digits) {
    quantity_bigint n;
    for (char c : digits) {
      n.multiply(10);
      n.add(static_cast<std::uint32_t>(c - '0'));
    }
    return n;
  }
  void multiply_pow10(std::int32_t k) {
    for (; k >= 9; k -= 9) multiply(1000000000u);
    for (; k > 0; --k) multiply(10);
  }
  void multiply_pow2(std::int32_t k) {
    for (; k >= 31; k -= 31) multiply(1u << 31);
    if (k > 0) multiply(1u << k);
  }
  static int compare(const quantity_bigint& a, const quantity_bigint& b) {
    if (a.limbs_.size() != b.limbs_.size()) return a.limbs_.size() < b.limbs_.size() ? -1 : 1;
    for (std::size_t i = a.limbs_.size(); i-- > 0;)
      if (a.limbs_[i] != b.limbs_[i]) return a.limbs_[i] < b.limbs_[i] ? -1 : 1;
    return 0;
  }

 private:
  void multiply(std::uint32_t m) {
    std::uint64_t carry = 0;
    for (std::uint32_t& limb : limbs_) {
      const std::uint64_t x = static_cast<std::uint64_t>(limb) * m + carry;
      limb = static_cast<std::uint32_t>(x);
      carry = x >> 32;
    }
    if (carry) limbs_.push_back(static_cast<std::uint32_t>(carry));
  }
  void add(std::uint32_t a) {
    std::uint64_t carry = a;
    for (std::size_t i = 0; carry && i < limbs_.size(); ++i) {
      const std::uint64_t x = static_cast<std::uint64_t>(limbs_[i]) + carry;
      limbs_[i] = static_cast<std::uint32_t>(x);
      carry = x >> 32;
    }
    if (carry) limbs_.push_back(static_cast<std::uint32_t>(carry));
  }

  std::vector<std::uint32_t> limbs_;  // little endian, no leading zero limbs
};

}  // namespace detail

inline Quantity::Quantity(std::string_view text) {
  const std::string problem = parse_into(text, *this);
  if (!problem.empty()) throw std::invalid_argument("kopp: invalid quantity \"" + std::string(text) + "\": " + problem);
}

inline std::optional<Quantity> Quantity::try_parse(std::string_view text) noexcept {
  try {
    Quantity q{parsed_tag{}};
    if (!parse_into(text, q).empty()) return std::nullopt;
    return q;
  } catch (...) {  // std::bad_alloc
    return std::nullopt;
  }
}

inline std::string Quantity::parse_into(std::string_view text, Quantity& out) {
  constexpr std::int32_t max_exponent = 1000;
  const auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  if (text.empty()) return "empty";
  std::size_t i = 0;
  bool negative = false;
  if (text[i] == '+' || text[i] == '-') negative = text[i++] == '-';
  std::string digits;
  std::size_t int_digits = 0, frac_digits = 0;
  for (; i < text.size() && is_digit(text[i]); ++i, ++int_digits) digits += text[i];
  if (i < text.size() && text[i] == '.') {
    for (++i; i < text.size() && is_digit(text[i]); ++i, ++frac_digits) digits += text[i];
  }
  if (int_digits + frac_digits == 0) return "expected a number at the start";
  if (digits.size() > 2 * max_exponent) return "too many digits";
  std::int32_t exp10 = -static_cast<std::int32_t>(frac_digits);
  std::int32_t exp2 = 0;
  const std::string_view suffix = text.substr(i);
  if (suffix.size() > 1 && (suffix[0] == 'e' || suffix[0] == 'E') && suffix != "Ei") {
    std::size_t j = 1;
    bool exp_negative = false;
    if (suffix[j] == '+' || suffix[j] == '-') exp_negative = suffix[j++] == '-';
    if (j == suffix.size()) return "exponent without digits";
    std::int64_t e = 0;
    for (; j < suffix.size(); ++j) {
      if (!is_digit(suffix[j])) return "unexpected character in the exponent";
      e = e * 10 + (suffix[j] - '0');
      if (e > max_exponent) return "exponent out of range";
    }
    exp10 += static_cast<std::int32_t>(exp_negative ? -e : e);
  } else if (suffix.empty()) {
  } else if (suffix == "m") {
    exp10 -= 3;
  } else if (suffix == "k") {
    exp10 += 3;
  } else if (suffix == "M") {
    exp10 += 6;
  } else if (suffix == "G") {
    exp10 += 9;
  } else if (suffix == "T") {
    exp10 += 12;
  } else if (suffix == "P") {
    exp10 += 15;
  } else if (suffix == "E") {
    exp10 += 18;
  } else if (suffix.size() == 2 && suffix[1] == 'i') {
    const std::string_view prefixes = "KMGTPE";
    const std::size_t p = prefixes.find(suffix[0]);
    if (p == std::string_view::npos) return "unknown suffix \"" + std::string(suffix) + "\"";
    exp2 = static_cast<std::int32_t>(10 * (p + 1));
  } else {
    return "unknown suffix \"" + std::string(suffix) + "\"";
  }
  // Normalise: no leading zeros, trailing zeros moved into the exponent.
  const std::size_t first = digits.find_first_not_of('0');
  out.text_ = std::string(text);
  out.negative_ = negative;
  if (first == std::string::npos) {
    out.digits_.clear();
    out.exp10_ = 0;
    out.exp2_ = 0;
    out.is_zero_ = true;
    return {};
  }
  digits.erase(0, first);
  while (digits.back() == '0') {
    digits.pop_back();
    ++exp10;
  }
  out.digits_ = std::move(digits);
  out.exp10_ = exp10;
  out.exp2_ = exp2;
  out.is_zero_ = false;
  return {};
}

inline int Quantity::compare(const Quantity& a, const Quantity& b) {
  const int sa = a.sign(), sb = b.sign();
  if (sa != sb) return sa < sb ? -1 : 1;
  if (sa == 0) return 0;
  // Both sides times 10^shift are integers: compare digits * 10^(exp10+shift) * 2^exp2.
  std::int32_t shift = 0;
  if (a.exp10_ < shift) shift = a.exp10_;
  if (b.exp10_ < shift) shift = b.exp10_;
  detail::quantity_bigint x = detail::quantity_bigint::from_decimal(a.digits_);
  detail::quantity_bigint y = detail::quantity_bigint::from_decimal(b.digits_);
  x.multiply_pow10(a.exp10_ - shift);
  y.multiply_pow10(b.exp10_ - shift);
  x.multiply_pow2(a.exp2_);
  y.multiply_pow2(b.exp2_);
  const int magnitude = detail::quantity_bigint::compare(x, y);
  return sa > 0 ? magnitude : -magnitude;
}

inline double Quantity::as_double() const {
  if (is_zero_) return 0.0;
  const std::string scientific = digits_ + "e" + std::to_string(exp10_);
  const double value = std::ldexp(std::strtod(scientific.c_str(), nullptr), exp2_);
  return negative_ ? -value : value;
}

inline void Quantity::decode(const boost::json::value& v, Quantity& out, json_path& path) {
  std::string text;
  if (v.is_string()) {
    text.assign(v.get_string().data(), v.get_string().size());
  } else if (v.is_int64()) {
    text = std::to_string(v.get_int64());
  } else if (v.is_uint64()) {
    text = std::to_string(v.get_uint64());
  } else if (v.is_double()) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", v.get_double());
    text = buf;
  } else {
    path.fail(std::string("expected a quantity (string), got ") + (v.is_bool()    ? "bool"
                                                                   : v.is_array() ? "array"
                                                                                  : "object"));
  }
  Quantity q{parsed_tag{}};
  const std::string problem = parse_into(text, q);
  if (!problem.empty()) path.fail("invalid quantity \"" + text + "\": " + problem);
  out = std::move(q);
}

}  // namespace kopp
