#pragma once
// RFC 6902 JSON patches computed from two versions of a document: what a mutating admission
// webhook answers (the API server applies it to the object it sent). The patch only adds,
// removes and replaces; arrays that differ are replaced whole (a patch of positions inside
// an array is as large and breaks when another writer reorders the array).

#include <kopp/core/detail/json_equal.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <string_view>
#include <vector>

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

/// RFC 6902: the operations that turn `before` into `after` (an empty array when equal).
/// Applied to `before`, they give exactly `after`: removals first, then additions and
/// replacements member by member, the whole document replaced at path "" when its type changes.
/// Objects are walked member by member, never compared whole on the way down (that would
/// be quadratic in the depth), without recursion: any depth kopp parses.
[[nodiscard]] inline boost::json::array json_patch_diff(const boost::json::value& before,
                                                        const boost::json::value& after) {
  boost::json::array ops;
  if (!before.is_object() || !after.is_object()) {
    if (!detail::json_equal(before, after))
      ops.push_back(boost::json::object{{"op", "replace"}, {"path", ""}, {"value", after}});
    return ops;
  }
  // One pair of objects being walked: the next member of `after` to look at, and the
  // length of the path to the pair (one path string for the whole walk).
  struct Level {
    const boost::json::object* before;
    const boost::json::object* after;
    boost::json::object::const_iterator next;
    std::size_t path_length;
  };
  std::string path;
  std::vector<Level> levels;
  const auto enter = [&](const boost::json::object& old_members, const boost::json::object& new_members) {
    for (const auto& member : old_members)
      if (!new_members.contains(member.key())) {
        ops.push_back(boost::json::object{{"op", "remove"}, {"path", path + "/" + json_pointer_token(member.key())}});
      }
    levels.push_back({&old_members, &new_members, new_members.begin(), path.size()});
  };
  enter(before.get_object(), after.get_object());
  while (!levels.empty()) {
    Level& level = levels.back();
    if (level.next == level.after->end()) {
      levels.pop_back();
      continue;
    }
    const auto& member = *level.next++;
    path.resize(level.path_length);
    path += '/';
    path += json_pointer_token(member.key());
    const boost::json::value* old = level.before->if_contains(member.key());
    if (old == nullptr)
      ops.push_back(boost::json::object{{"op", "add"}, {"path", path}, {"value", member.value()}});
    else if (old->is_object() && member.value().is_object())
      enter(old->get_object(), member.value().get_object());  // invalidates `level`
    else if (!detail::json_equal(*old, member.value()))
      ops.push_back(boost::json::object{{"op", "replace"}, {"path", path}, {"value", member.value()}});
  }
  return ops;
}

}  // namespace kopp
