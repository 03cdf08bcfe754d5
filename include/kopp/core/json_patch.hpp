#pragma once
// RFC 6902 JSON patches computed from two versions of a document: what a mutating admission
// webhook answers (the API server applies it to the object it sent). The patch only adds,
// removes and replaces; arrays that differ are replaced whole (a patch of positions inside
// an array is as large and breaks when another writer reorders the array).

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <string_view>

namespace kopp {

/// RFC 6901: a member name as one reference token of a JSON pointer ("~" -> "~0", "/" -> "~1").
[[nodiscard]] inline std::string json_pointer_token(std::string_view name) {
  std::string token;
  token.reserve(name.size());
  for (char c : name) {
    if (c == '~')
      token += "~0";
    else if (c == '/')
      token += "~1";
    else
      token += c;
  }
  return token;
}

namespace detail {
inline void json_patch_diff_into(boost::json::array& ops, const std::string& path, const boost::json::value& before,
                                 const boost::json::value& after) {
  if (before == after) return;
  if (before.is_object() && after.is_object()) {
    const auto& old_members = before.get_object();
    const auto& new_members = after.get_object();
    for (const auto& member : old_members)
      if (!new_members.contains(member.key()))
        ops.push_back(boost::json::object{{"op", "remove"}, {"path", path + "/" + json_pointer_token(member.key())}});
    for (const auto& member : new_members) {
      const std::string member_path = path + "/" + json_pointer_token(member.key());
      if (const auto* old = old_members.if_contains(member.key()))
        json_patch_diff_into(ops, member_path, *old, member.value());
      else
        ops.push_back(boost::json::object{{"op", "add"}, {"path", member_path}, {"value", member.value()}});
    }
    return;
  }
  ops.push_back(boost::json::object{{"op", "replace"}, {"path", path}, {"value", after}});
}
}  // namespace detail

/// RFC 6902: the operations that turn `before` into `after` (an empty array when equal).
/// Applied to `before`, they give exactly `after`: removals first, then additions and
/// replacements member by member, the whole document replaced at path "" when its type changes.
[[nodiscard]] inline boost::json::array json_patch_diff(const boost::json::value& before,
                                                        const boost::json::value& after) {
  boost::json::array ops;
  detail::json_patch_diff_into(ops, "", before, after);
  return ops;
}

}  // namespace kopp
