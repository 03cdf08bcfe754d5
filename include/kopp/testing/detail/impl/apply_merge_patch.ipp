#pragma once
// RFC 7386 applied to a copy of the document. Below the top level this is the RFC exactly;
// at the top level the kube-apiserver accepts only an object (it decodes the body into a Go
// map first), so a null, array or scalar patch is 400 BadRequest as there.

#include <kopp/core/merge_patch.hpp>

#include <boost/json/object.hpp>

#include <string>
#include <utility>

namespace kopp::testing::detail {
inline boost::json::value apply_merge_patch(const boost::json::value& document, const boost::json::value& patch) {
  if (patch.is_null()) throw PatchError(400, "BadRequest", "Invalid JSON Patch");
  if (!patch.is_object()) {
    const char* kind = patch.is_array() ? "array" : patch.is_string() ? "string" : patch.is_bool() ? "bool" : "number";
    throw PatchError(400, "BadRequest",
                     std::string("error decoding patch: json: cannot unmarshal ") + kind +
                         " into Go value of type map[string]interface {} (a merge patch of an object is an object)");
  }
  boost::json::value result = document;
  json_merge_apply(result, patch);
  return result;
}

}  // namespace kopp::testing::detail
