#pragma once

#include <kopp/core/crd/schema.hpp>
// Definitions for kopp/core/crd/schema.hpp.

#include <boost/core/type_name.hpp>
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/mp11/algorithm.hpp>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace kopp::crd::detail {

KOPP_DECL void structural_walk(const boost::json::value& v, const std::string& path,
                               std::vector<std::string>& problems) {
  const std::string where = path.empty() ? std::string("(root)") : path;
  if (!v.is_object()) {
    problems.push_back(where + ": a schema must be an object");
    return;
  }
  const boost::json::object& node = v.get_object();
  const auto is_true = [&](const char* key) {
    const boost::json::value* x = node.if_contains(key);
    return x && x->is_bool() && x->get_bool();
  };
  if (node.contains("$ref")) problems.push_back(where + ": $ref is not allowed");
  if (!node.contains("type") && !is_true("x-kubernetes-int-or-string") &&
      !is_true("x-kubernetes-preserve-unknown-fields"))
    problems.push_back(where + ": no type");
  if (node.contains("properties") && node.contains("additionalProperties"))
    problems.push_back(where + ": properties and additionalProperties together");
  if (const boost::json::value* ap = node.if_contains("additionalProperties")) {
    if (ap->is_bool())
      problems.push_back(where + ": additionalProperties must be a schema, not a bool");
    else
      structural_walk(*ap, path + "{}", problems);
  }
  if (const boost::json::value* props = node.if_contains("properties")) {
    if (!props->is_object()) {
      problems.push_back(where + ": properties must be an object");
    } else {
      for (const auto& kv : props->get_object())
        structural_walk(kv.value(), (path.empty() ? std::string() : path + ".") + std::string(kv.key()), problems);
    }
  }
  if (const boost::json::value* items = node.if_contains("items")) structural_walk(*items, path + "[]", problems);
  const boost::json::value* type = node.if_contains("type");
  if (type && type->is_string() && type->get_string() == "array" && !node.contains("items"))
    problems.push_back(where + ": an array needs items");
}
}  // namespace kopp::crd::detail

namespace kopp::crd {

KOPP_DECL std::vector<std::string> structural_problems(const boost::json::object& schema) {
  std::vector<std::string> problems;
  detail::structural_walk(boost::json::value(schema), std::string(), problems);
  return problems;
}
}  // namespace kopp::crd
