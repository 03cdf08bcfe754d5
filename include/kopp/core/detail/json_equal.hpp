#pragma once
// Private: equality of JSON values that does not copy them (kopp::UnknownFields, RawJson and
// the diffs compare with it).

#include <boost/json/value.hpp>

#include <cstddef>
#include <utility>
#include <vector>

namespace kopp::detail {

/// Pairs of values still to compare.
using json_value_pairs = std::vector<std::pair<const boost::json::value*, const boost::json::value*>>;

/// Whether the members of `a` equal those of `b` (same keys, equal values), pushing the
/// value pairs still to compare.
inline bool json_equal_members(const boost::json::object& a, const boost::json::object& b, json_value_pairs& pending) {
  if (a.size() != b.size()) return false;
  for (const auto& member : a) {
    const boost::json::value* other = b.if_contains(member.key());
    if (other == nullptr) return false;
    pending.emplace_back(&member.value(), other);
  }
  return true;
}

inline bool json_equal_pending(json_value_pairs& pending) {
  while (!pending.empty()) {
    const auto [x, y] = pending.back();
    pending.pop_back();
    if (x->is_array()) {
      if (!y->is_array() || x->get_array().size() != y->get_array().size()) return false;
      for (std::size_t i = 0; i < x->get_array().size(); ++i)
        pending.emplace_back(&x->get_array()[i], &y->get_array()[i]);
    } else if (x->is_object()) {
      if (!y->is_object() || !json_equal_members(x->get_object(), y->get_object(), pending)) return false;
    } else if (*x != *y) {  // a scalar or string: Boost.JSON's comparison does not recurse
      return false;
    }
  }
  return true;
}

/// a == b for JSON values, in time linear in their size. Boost.JSON 1.81 compares objects
/// with `for (auto e : object)`, which copies each member's whole subtree: quadratic in the
/// depth (12 s for two equal 10,000-level objects). Same answers as Boost.JSON's ==
/// (numbers compare as Boost.JSON compares them). Iterative: any depth.
inline bool json_equal(const boost::json::value& a, const boost::json::value& b) {
  json_value_pairs pending{{&a, &b}};
  return json_equal_pending(pending);
}

/// The same for two objects (UnknownFields), without wrapping them in values (a copy).
inline bool json_equal(const boost::json::object& a, const boost::json::object& b) {
  json_value_pairs pending;
  return json_equal_members(a, b, pending) && json_equal_pending(pending);
}

}  // namespace kopp::detail
