#pragma once
// JSON text nested as deep as the API server accepts (kopp::json_max_depth), for tests of
// every parse and decode path.

#include <cstddef>
#include <string>

namespace kopp_test {

/// `levels` nested objects: {"a":{"a":...{"a":1}...}} (levels >= 1).
inline std::string nested_objects(std::size_t levels) {
  std::string out;
  out.reserve(levels * 6 + 1);
  for (std::size_t i = 0; i < levels; ++i) out += "{\"a\":";
  out += '1';
  out.append(levels, '}');
  return out;
}

/// A ConfigMap-shaped object whose own nesting depth is `depth` (the object itself is
/// level 1; its "spec" member holds the rest).
inline std::string deep_object(std::size_t depth, const std::string& name = "deep", const std::string& rv = "5") {
  return R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":")" + name +
         R"(","namespace":"ns","resourceVersion":")" + rv + R"("},"spec":)" + nested_objects(depth - 1) + "}";
}

}  // namespace kopp_test
