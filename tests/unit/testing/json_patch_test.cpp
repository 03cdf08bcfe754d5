// RFC 6902 JSON patch and RFC 7386 merge patch as the fake API server applies them.

#include <kopp/testing/detail/apply_merge_patch.hpp>
#include <kopp/testing/detail/json_patch.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <catch2/catch.hpp>

#include <string>

namespace {

using kopp::testing::detail::PatchError;

std::string json_patch(const char* document, const char* patch) {
  return boost::json::serialize(
      kopp::testing::detail::apply_json_patch(boost::json::parse(document), boost::json::parse(patch)));
}

std::string merge_patch(const char* document, const char* patch) {
  return boost::json::serialize(
      kopp::testing::detail::apply_merge_patch(boost::json::parse(document), boost::json::parse(patch)));
}

/// The PatchError a JSON patch fails with, as "status: message".
std::string json_patch_error(const char* document, const char* patch) {
  try {
    json_patch(document, patch);
  } catch (const PatchError& e) {
    return std::to_string(e.status()) + ": " + e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("JSON patch operations (RFC 6902 section 4)", "[json_patch]") {
  CHECK(json_patch(R"({"a":1})", R"([{"op":"add","path":"/b","value":2}])") == R"({"a":1,"b":2})");
  CHECK(json_patch(R"({"a":[1,2]})", R"([{"op":"add","path":"/a/1","value":9}])") == R"({"a":[1,9,2]})");
  CHECK(json_patch(R"({"a":[1,2]})", R"([{"op":"add","path":"/a/-","value":3}])") == R"({"a":[1,2,3]})");
  CHECK(json_patch(R"({"a":[1,2,3]})", R"([{"op":"remove","path":"/a/1"}])") == R"({"a":[1,3]})");
  CHECK(json_patch(R"({"a":1})", R"([{"op":"replace","path":"/a","value":"x"}])") == R"({"a":"x"})");
  CHECK(json_patch(R"({"a":{"b":1},"c":{}})", R"([{"op":"move","from":"/a/b","path":"/c/d"}])") ==
        R"({"a":{},"c":{"d":1}})");
  CHECK(json_patch(R"({"a":[1]})", R"([{"op":"copy","from":"/a/0","path":"/b"}])") == R"({"a":[1],"b":1})");
  CHECK(json_patch(R"({"a/b":{"m~n":1}})", R"([{"op":"replace","path":"/a~1b/m~0n","value":2}])") ==
        R"({"a/b":{"m~n":2}})");
  CHECK(json_patch(R"({"a":[1,{"b":"c"}]})", R"([{"op":"test","path":"/a/1/b","value":"c"}])") ==
        R"({"a":[1,{"b":"c"}]})");
  CHECK(json_patch(R"({"a":1})", R"([{"op":"add","path":"","value":[1]}])") == "[1]");
}

TEST_CASE("a failing JSON patch operation names its index, op and path and applies nothing", "[json_patch]") {
  CHECK(json_patch_error(R"({"a":1})", R"([{"op":"add","path":"/b","value":2},{"op":"test","path":"/a","value":2}])") ==
        "422: json patch operation 1 (test /a): testing value 2 failed");
  CHECK(json_patch_error(R"({"a":1})", R"([{"op":"remove","path":"/x/y"}])") ==
        "422: json patch operation 0 (remove /x/y): path does not exist");
  CHECK(json_patch_error(R"({"a":[1]})", R"([{"op":"add","path":"/a/5","value":1}])") ==
        "422: json patch operation 0 (add /a/5): array index out of range");
  CHECK(json_patch_error(R"({"a":[1]})", R"([{"op":"remove","path":"/a/01"}])") ==
        "422: json patch operation 0 (remove /a/01): array index out of range");
  CHECK(json_patch_error(R"({"a":{}})", R"([{"op":"move","from":"/a","path":"/a/b"}])") ==
        "422: json patch operation 0 (move /a/b): cannot move a value into itself");
  CHECK(json_patch_error(R"({})", R"([{"op":"frobnicate","path":"/a"}])") ==
        "422: json patch operation 0 (frobnicate /a): unknown op");
  CHECK(json_patch_error(R"({})", R"([{"path":"/a"}])") == "422: json patch operation 0 (? ): missing \"op\"");
  CHECK(json_patch_error(R"({})", R"({"op":"add"})") == "400: json patch: the patch is not a JSON array of operations");
}

TEST_CASE("merge patch (RFC 7386 appendix A)", "[json_patch]") {
  CHECK(merge_patch(R"({"a":"b"})", R"({"a":"c"})") == R"({"a":"c"})");
  CHECK(merge_patch(R"({"a":"b"})", R"({"b":"c"})") == R"({"a":"b","b":"c"})");
  CHECK(merge_patch(R"({"a":"b"})", R"({"a":null})") == R"({})");
  CHECK(merge_patch(R"({"a":"b","b":"c"})", R"({"a":null})") == R"({"b":"c"})");
  CHECK(merge_patch(R"({"a":["b"]})", R"({"a":"c"})") == R"({"a":"c"})");
  CHECK(merge_patch(R"({"a":"c"})", R"({"a":["b"]})") == R"({"a":["b"]})");
  CHECK(merge_patch(R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})") == R"({"a":{"b":"d"}})");
  CHECK(merge_patch(R"({"a":[{"b":"c"}]})", R"({"a":[1]})") == R"({"a":[1]})");
  CHECK(merge_patch(R"(["a","b"])", R"(["c","d"])") == R"(["c","d"])");
  CHECK(merge_patch(R"({"a":"b"})", R"(["c"])") == R"(["c"])");
  CHECK(merge_patch(R"({"a":"foo"})", "null") == "null");
  CHECK(merge_patch(R"({"e":null})", R"({"a":1})") == R"({"e":null,"a":1})");
  CHECK(merge_patch(R"([1,2])", R"({"a":"b","c":null})") == R"({"a":"b"})");
  CHECK(merge_patch(R"({})", R"({"a":{"bb":{"ccc":null}}})") == R"({"a":{"bb":{}}})");
}
