#pragma once
// RFC 7386 JSON merge patch applied to a document, as the API server applies
// application/merge-patch+json (objects merged member by member, null deletes a member,
// anything else replaces). kopp::json_merge_diff (kopp/core/merge_patch.hpp) computes one.

#include <kopp/testing/detail/patch_error.hpp>

#include <boost/json/value.hpp>

namespace kopp::testing::detail {

/// Throws PatchError 400 BadRequest when `patch` is not an object (null, array or scalar):
/// the API server decodes a merge patch into a map before applying it.
boost::json::value apply_merge_patch(const boost::json::value& document, const boost::json::value& patch);

}  // namespace kopp::testing::detail

#include <kopp/testing/detail/impl/apply_merge_patch.ipp>
