#pragma once
// The property the JSON mapping targets check: text that decodes into T re-encodes to JSON
// that decodes and encodes to the same JSON (encoding is a fixed point after one pass), and
// decoding fails only with kopp::json_error.
//
// Doubles are compared to within a few units in the last place: Boost.JSON 1.81 parses a
// decimal number to a double that may be one ulp from the nearest (docs/core.md, "Caveat"),
// so the first re-read of a written double can move it by that much.

#include "fuzz_check.hpp"

#include <kopp/core/json.hpp>

#include <cmath>

namespace kopp_fuzz {

inline bool same_json(const boost::json::value& a, const boost::json::value& b) {
  if (a.is_double() || b.is_double()) {
    if (!a.is_number() || !b.is_number()) return false;
    const double x = a.to_number<double>(), y = b.to_number<double>();
    return x == y ||
           std::fabs(x - y) <= 4 * std::numeric_limits<double>::epsilon() * std::fmax(std::fabs(x), std::fabs(y));
  }
  if (a.kind() != b.kind()) return false;
  if (a.is_object()) {
    const auto& ao = a.get_object();
    const auto& bo = b.get_object();
    if (ao.size() != bo.size()) return false;
    for (auto ai = ao.begin(), bi = bo.begin(); ai != ao.end(); ++ai, ++bi)
      if (ai->key() != bi->key() || !same_json(ai->value(), bi->value())) return false;
    return true;
  }
  if (a.is_array()) {
    const auto& aa = a.get_array();
    const auto& ba = b.get_array();
    if (aa.size() != ba.size()) return false;
    for (std::size_t i = 0; i < aa.size(); ++i)
      if (!same_json(aa[i], ba[i])) return false;
    return true;
  }
  return a == b;
}

template <class T>
void json_round_trip(std::string_view text) {
  T decoded;
  try {
    decoded = kopp::parse_json<T>(text);
  } catch (const kopp::json_error&) {
    return;
  }
  const boost::json::value once = kopp::to_json(decoded);
  T again;
  try {
    again = kopp::from_json<T>(once);
  } catch (const kopp::json_error& e) {
    std::fprintf(stderr, "kopp's own encoding does not decode: %s\n", e.what());
    std::abort();
  }
  // Through text, as a write and a later read would go.
  T reread;
  try {
    reread = kopp::parse_json<T>(kopp::to_json_string(decoded));
  } catch (const kopp::json_error& e) {
    std::fprintf(stderr, "kopp's own encoding does not parse: %s\n", e.what());
    std::abort();
  }
  // Also within an ulp: a managedFields trie is kept as text, so even decoding a value
  // re-reads its doubles (found by tests/fuzz: -1844674407e097 moved by one ulp).
  KOPP_FUZZ_CHECK(same_json(kopp::to_json(again), once));
  KOPP_FUZZ_CHECK(same_json(kopp::to_json(reread), once));
}

}  // namespace kopp_fuzz
