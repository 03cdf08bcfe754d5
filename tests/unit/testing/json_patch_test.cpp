// RFC 6902 JSON patch as the fake API server applies application/json-patch+json.
#include <kopp/testing/detail/json_patch.hpp>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <string>
#include <string_view>

namespace {

using kopp::testing::detail::apply_json_patch;
using kopp::testing::detail::PatchError;

boost::json::value J(std::string_view text) { return boost::json::parse(text); }

/// The PatchError `patch` raises on `document`; fails the test when none is thrown.
PatchError patch_error(std::string_view document, std::string_view patch) {
  try {
    apply_json_patch(J(document), J(patch));
  } catch (const PatchError& error) {
    return error;
  }
  FAIL("no PatchError for " << patch);
  throw;  // unreachable
}

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("RFC 6902 appendix A: the examples that succeed", "[testing][json_patch]") {
  // A.1 adding an object member; A.2 adding an array element; A.3 removing a member
  CHECK(apply_json_patch(J(R"({"foo":"bar"})"), J(R"([{"op":"add","path":"/baz","value":"qux"}])")) ==
        J(R"({"baz":"qux","foo":"bar"})"));
  CHECK(apply_json_patch(J(R"({"foo":["bar","baz"]})"), J(R"([{"op":"add","path":"/foo/1","value":"qux"}])")) ==
        J(R"({"foo":["bar","qux","baz"]})"));
  CHECK(apply_json_patch(J(R"({"baz":"qux","foo":"bar"})"), J(R"([{"op":"remove","path":"/baz"}])")) ==
        J(R"({"foo":"bar"})"));
  // A.4 removing an array element; A.5 replacing a value
  CHECK(apply_json_patch(J(R"({"foo":["bar","qux","baz"]})"), J(R"([{"op":"remove","path":"/foo/1"}])")) ==
        J(R"({"foo":["bar","baz"]})"));
  CHECK(apply_json_patch(J(R"({"baz":"qux","foo":"bar"})"), J(R"([{"op":"replace","path":"/baz","value":"boo"}])")) ==
        J(R"({"baz":"boo","foo":"bar"})"));
  // A.6 moving a value; A.7 moving an array element
  CHECK(apply_json_patch(J(R"({"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}})"),
                         J(R"([{"op":"move","from":"/foo/waldo","path":"/qux/thud"}])")) ==
        J(R"({"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}})"));
  CHECK(apply_json_patch(J(R"({"foo":["all","grass","cows","eat"]})"),
                         J(R"([{"op":"move","from":"/foo/1","path":"/foo/3"}])")) ==
        J(R"({"foo":["all","cows","eat","grass"]})"));
  // A.8 testing a value: success
  CHECK(apply_json_patch(J(R"({"baz":"qux","foo":["a",2,"c"]})"),
                         J(R"([{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2}])")) ==
        J(R"({"baz":"qux","foo":["a",2,"c"]})"));
  // A.10 adding a nested member object; A.11 ignoring unrecognised elements
  CHECK(apply_json_patch(J(R"({"foo":"bar"})"), J(R"([{"op":"add","path":"/child","value":{"grandchild":{}}}])")) ==
        J(R"({"foo":"bar","child":{"grandchild":{}}})"));
  CHECK(apply_json_patch(J(R"({"foo":"bar"})"), J(R"([{"op":"add","path":"/baz","value":"qux","xyz":123}])")) ==
        J(R"({"foo":"bar","baz":"qux"})"));
  // A.14 ~ escape ordering; A.15 comparing strings and numbers; A.16 adding an array value
  CHECK(apply_json_patch(J(R"({"/":9,"~1":10})"), J(R"([{"op":"test","path":"/~01","value":10}])")) ==
        J(R"({"/":9,"~1":10})"));
  CHECK(apply_json_patch(J(R"({"foo":["bar"]})"), J(R"([{"op":"add","path":"/foo/-","value":["abc","def"]}])")) ==
        J(R"({"foo":["bar",["abc","def"]]})"));
}

TEST_CASE("RFC 6902 appendix A: the examples that fail answer 422 Invalid", "[testing][json_patch]") {
  // A.9 testing a value: error
  auto failed_test = patch_error(R"({"baz":"qux"})", R"([{"op":"test","path":"/baz","value":"bar"}])");
  CHECK(failed_test.status() == 422);
  CHECK(failed_test.reason() == "Invalid");
  CHECK(contains(failed_test.what(), "the server rejected our request due to an error in our request"));
  CHECK(contains(failed_test.what(), "operation 0"));
  CHECK(contains(failed_test.what(), "\"test\""));
  CHECK(contains(failed_test.what(), "\"/baz\""));
  // A.12 adding to a nonexistent target
  auto missing_parent = patch_error(R"({"foo":"bar"})", R"([{"op":"add","path":"/baz/bat","value":"qux"}])");
  CHECK(missing_parent.status() == 422);
  CHECK(contains(missing_parent.what(), "\"/baz/bat\""));
  CHECK(contains(missing_parent.what(), "\"baz\" does not exist"));
  // A.15 a string is not a number
  auto string_number = patch_error(R"({"/":9,"~1":10})", R"([{"op":"test","path":"/~01","value":"10"}])");
  CHECK(string_number.status() == 422);
}

TEST_CASE("JSON patch: the index, op and path of the failing operation are named", "[testing][json_patch]") {
  auto error = patch_error(R"({"a":1})", R"([{"op":"test","path":"/a","value":1},{"op":"remove","path":"/b"}])");
  CHECK(error.status() == 422);
  CHECK(contains(error.what(), "operation 1"));
  CHECK(contains(error.what(), "\"remove\""));
  CHECK(contains(error.what(), "\"/b\""));
  auto move = patch_error(R"({"a":{}})", R"([{"op":"move","from":"/x","path":"/a/y"}])");
  CHECK(contains(move.what(), "from \"/x\""));
}

TEST_CASE("JSON patch: array index rules", "[testing][json_patch]") {
  const auto* doc = R"({"l":[1,2]})";
  // index == size is allowed for add only
  CHECK(apply_json_patch(J(doc), J(R"([{"op":"add","path":"/l/2","value":3}])")) == J(R"({"l":[1,2,3]})"));
  CHECK(patch_error(doc, R"([{"op":"replace","path":"/l/2","value":3}])").status() == 422);
  CHECK(patch_error(doc, R"([{"op":"remove","path":"/l/2"}])").status() == 422);
  CHECK(patch_error(doc, R"([{"op":"add","path":"/l/3","value":3}])").status() == 422);
  // leading zeros, signs and "-" outside add are not indices
  auto leading_zero = patch_error(doc, R"([{"op":"replace","path":"/l/01","value":3}])");
  CHECK(contains(leading_zero.what(), "\"01\" is not an array index"));
  CHECK(patch_error(doc, R"([{"op":"remove","path":"/l/-1"}])").status() == 422);
  CHECK(patch_error(doc, R"([{"op":"remove","path":"/l/-"}])").status() == 422);
  CHECK(patch_error(doc, R"([{"op":"test","path":"/l/99999999999999999999999","value":1}])").status() == 422);
  CHECK(apply_json_patch(J(doc), J(R"([{"op":"replace","path":"/l/0","value":0}])")) == J(R"({"l":[0,2]})"));
}

TEST_CASE("JSON patch: pointers, copy, the whole document and numeric equality", "[testing][json_patch]") {
  CHECK(apply_json_patch(J(R"({"a/b":{"m~n":1}})"), J(R"([{"op":"replace","path":"/a~1b/m~0n","value":2}])")) ==
        J(R"({"a/b":{"m~n":2}})"));
  CHECK(apply_json_patch(J(R"({"a":{"b":[1]}})"), J(R"([{"op":"copy","from":"/a","path":"/c"}])")) ==
        J(R"({"a":{"b":[1]},"c":{"b":[1]}})"));
  CHECK(apply_json_patch(J(R"({"a":1})"), J(R"([{"op":"replace","path":"","value":{"b":2}}])")) == J(R"({"b":2})"));
  CHECK(apply_json_patch(J(R"({"a":1.0})"), J(R"([{"op":"test","path":"/a","value":1}])")) == J(R"({"a":1.0})"));
  CHECK(apply_json_patch(J(R"({"a":{"x":1,"y":[1,{"z":2}]}})"),
                         J(R"([{"op":"test","path":"/a","value":{"y":[1,{"z":2}],"x":1}}])")) ==
        J(R"({"a":{"x":1,"y":[1,{"z":2}]}})"));
  CHECK(contains(patch_error(R"({"a":1})", R"([{"op":"add","path":"a","value":1}])").what(), "JSON pointer"));
  CHECK(contains(patch_error(R"({"a":1})", R"([{"op":"add","path":"/a~2","value":1}])").what(), "~0"));
  CHECK(contains(patch_error(R"({"a":{}})", R"([{"op":"move","from":"/a","path":"/a/b"}])").what(), "own children"));
  CHECK(contains(patch_error(R"({"a":1})", R"([{"op":"remove","path":""}])").what(), "whole document"));
  CHECK(contains(patch_error(R"({"a":1})", R"([{"op":"add","path":"/a/b","value":1}])").what(), "number"));
}

TEST_CASE("JSON patch: malformed operations", "[testing][json_patch]") {
  // Operations that decode but cannot apply are 422, as the apiserver's Apply reports them.
  auto unknown = patch_error(R"({})", R"([{"op":"frobnicate","path":"/a"}])");
  CHECK(unknown.status() == 422);
  CHECK(contains(unknown.what(), "unknown op \"frobnicate\""));
  CHECK(contains(patch_error(R"({})", R"([{"op":"add","value":1}])").what(), "no \"path\""));
  CHECK(contains(patch_error(R"({})", R"([{"op":"add","path":"/a"}])").what(), "no \"value\""));
  CHECK(contains(patch_error(R"({"a":1})", R"([{"op":"copy","path":"/b"}])").what(), "no \"from\""));
  CHECK(patch_error(R"({})", R"([null])").status() == 422);
  // A body that does not decode as a list of operations is 400.
  auto not_array = patch_error(R"({})", R"({"op":"add","path":"/a","value":1})");
  CHECK(not_array.status() == 400);
  CHECK(not_array.reason() == "BadRequest");
  CHECK(contains(not_array.what(), "cannot unmarshal object"));
  auto element = patch_error(R"({})", R"([{"op":"add","path":"/a","value":1}, 5])");
  CHECK(element.status() == 400);
  CHECK(contains(element.what(), "operation 1"));
  auto path_type = patch_error(R"({})", R"([{"op":"add","path":7,"value":1}])");
  CHECK(path_type.status() == 400);
  CHECK(contains(path_type.what(), "jsonPatchOp.path"));
}

TEST_CASE("JSON patch is atomic: a failing operation leaves the document as it was", "[testing][json_patch]") {
  const auto document = J(R"({"a":[1,2],"b":"x"})");
  const auto before = document;
  CHECK_THROWS_AS(
      apply_json_patch(document, J(R"([{"op":"remove","path":"/a/0"},{"op":"test","path":"/b","value":"y"}])")),
      PatchError);
  CHECK(document == before);
}

TEST_CASE("JSON patch: more than 10000 operations is 413", "[testing][json_patch]") {
  boost::json::array operations;
  for (int i = 0; i < 10001; ++i) operations.push_back(J(R"({"op":"test","path":"","value":{}})"));
  auto error = patch_error("{}", boost::json::serialize(operations));
  CHECK(error.status() == 413);
  CHECK(error.reason() == "RequestEntityTooLarge");
}
