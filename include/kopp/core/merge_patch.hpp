#pragma once
// JSON merge patches (RFC 7386) computed from two versions of an object: what to send to
// change exactly what the caller changed. kopp::merge_patch(before, after), which wraps the
// result as a client Patch, is in kopp/client/params.hpp.

#include <kopp/core/detail/json_equal.hpp>
#include <kopp/core/json.hpp>

#include <boost/json/value.hpp>

#include <utility>

namespace kopp {

/// RFC 7386: the merge patch that turns `before` into `after`.
[[nodiscard]] inline boost::json::value json_merge_diff(const boost::json::value& before,
                                                        const boost::json::value& after) {
  if (!before.is_object() || !after.is_object()) return after;
  boost::json::object patch;
  const auto& old_fields = before.get_object();
  const auto& new_fields = after.get_object();
  for (const auto& kv : new_fields) {
    const auto* old = old_fields.if_contains(kv.key());
    if (!old)
      patch.emplace(kv.key(), kv.value());
    else if (old->is_object() && kv.value().is_object()) {
      // Not compared first: comparing every subtree on the way down is quadratic in the depth.
      boost::json::value nested = json_merge_diff(*old, kv.value());
      if (!nested.get_object().empty()) patch.emplace(kv.key(), std::move(nested));
    } else if (!detail::json_equal(*old, kv.value())) {
      patch.emplace(kv.key(), kv.value());
    }
  }
  for (const auto& kv : old_fields)
    if (!new_fields.contains(kv.key())) patch.emplace(kv.key(), nullptr);
  return patch;
}

/// RFC 7386: a merge patch that sets every member of `after` (changed or not) and removes,
/// with null, every member of `before` that `after` lacks, at every level of nested
/// objects. Unlike json_merge_diff it does not trust `before` to be the server's state for
/// the members `after` has: a stale `before` (an object from the cache) cannot leave an old
/// value in place.
[[nodiscard]] inline boost::json::value json_merge_replacement(const boost::json::value& before,
                                                               const boost::json::value& after) {
  if (!before.is_object() || !after.is_object()) return after;
  boost::json::object patch;
  const auto& old_fields = before.get_object();
  for (const auto& kv : after.get_object()) {
    const auto* old = old_fields.if_contains(kv.key());
    patch.emplace(kv.key(), old ? json_merge_replacement(*old, kv.value()) : kv.value());
  }
  for (const auto& kv : old_fields)
    if (!after.get_object().contains(kv.key())) patch.emplace(kv.key(), nullptr);
  return patch;
}

/// RFC 7386: applies the merge patch `patch` to `target` in place (objects merged member by
/// member, null removes a member, anything else replaces; a patch object merged into a
/// non-object starts from {}).
inline void json_merge_apply(boost::json::value& target, const boost::json::value& patch) {
  const auto* members = patch.if_object();
  if (members == nullptr) {
    target = patch;
    return;
  }
  if (!target.is_object()) target = boost::json::object();
  auto& object = target.get_object();
  for (const auto& member : *members) {
    if (member.value().is_null())
      object.erase(member.key());
    else
      json_merge_apply(object[member.key()], member.value());
  }
}

/// The merge patch that turns `before` into `after`, both encoded with kopp's JSON mapping.
template <class K>
[[nodiscard]] boost::json::value merge_patch_json(const K& before, const K& after) {
  return json_merge_diff(to_json(before), to_json(after));
}

}  // namespace kopp
