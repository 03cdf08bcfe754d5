#pragma once
// RFC 6902 JSON patch applied to a document, as the API server applies
// application/json-patch+json: add, remove, replace, move, copy and test, with JSON
// pointers (RFC 6901, "~0"/"~1" escapes, "-" for the end of an array).

#include <kopp/testing/detail/patch_error.hpp>

#include <boost/json/value.hpp>

namespace kopp::testing::detail {

/// The document after every operation of `patch` (an array of operations), applied in
/// order and atomically: any failing operation (a failed test, a missing path, a malformed
/// operation) throws PatchError with the status the API server answers and a message that
/// names the operation's index (from 0), op and path; `document` is never modified.
/// 400 BadRequest: the body is not an array of operations (or op/path/from is not a string);
/// 413: more than 10000 operations; 422 Invalid: an operation that fails to apply.
boost::json::value apply_json_patch(const boost::json::value& document, const boost::json::value& patch);

}  // namespace kopp::testing::detail

#include <kopp/testing/detail/impl/json_patch.ipp>
