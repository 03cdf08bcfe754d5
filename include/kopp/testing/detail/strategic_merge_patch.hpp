#pragma once
// Strategic merge patch (application/strategic-merge-patch+json) for the built-in kinds the
// fake API server serves: lists merged by their patchMergeKey (containers by name, ports by
// containerPort, env by name, volumes by name, ...), directives $patch (replace, delete;
// merge is refused as the API server refuses it), $retainKeys, $deleteFromPrimitiveList/<field>.
// $setElementOrder/<field> is not modelled: 501 NotImplemented naming it.
// Custom resources have no strategy: the API server refuses a strategic merge patch on
// them with 415 UnsupportedMediaType, and so does this.

#include <kopp/testing/detail/patch_error.hpp>

#include <boost/json/value.hpp>

#include <string_view>

namespace kopp::testing::detail {

/// True when apply_strategic_merge_patch knows the kind's patch strategies.
bool has_strategic_merge_strategy(std::string_view api_version, std::string_view kind);

/// `document` with `patch` applied. Throws PatchError: 415 for a kind without strategies,
/// 400/422 for a malformed patch or directive, and 500 with an empty reason where the API
/// server passes strategicpatch's error through untyped (a list element without its merge
/// key, an unknown $patch value); the message names the field path. A
/// directive the fake does not model throws 501 NotImplemented naming it, never a silent
/// difference from the real server.
boost::json::value apply_strategic_merge_patch(const boost::json::value& document, const boost::json::value& patch,
                                               std::string_view api_version, std::string_view kind);

}  // namespace kopp::testing::detail

#include <kopp/testing/detail/impl/strategic_merge_patch.ipp>
