#pragma once

#include <kopp/testing/detail/apply_merge_patch.hpp>

#include <boost/json/object.hpp>

namespace kopp::testing::detail {

namespace merge_patch_detail {
/// RFC 7386 MergePatch(target, patch), section 2: objects merge member by member (null
/// removes), any other patch value replaces the target.
inline boost::json::value merge(const boost::json::value* target, const boost::json::value& patch) {
  if (!patch.is_object()) return patch;
  boost::json::object result = target && target->is_object() ? target->get_object() : boost::json::object();
  for (const auto& member : patch.get_object()) {
    if (member.value().is_null()) {
      result.erase(member.key());
      continue;
    }
    result[member.key()] = merge(result.if_contains(member.key()), member.value());
  }
  return result;
}
}  // namespace merge_patch_detail

inline boost::json::value apply_merge_patch(const boost::json::value& document, const boost::json::value& patch) {
  return merge_patch_detail::merge(&document, patch);
}

}  // namespace kopp::testing::detail
