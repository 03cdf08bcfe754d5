// RFC 7386 JSON merge patch as the fake API server applies application/merge-patch+json.
#include <kopp/testing/detail/apply_merge_patch.hpp>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <string>
#include <string_view>

namespace {

using kopp::testing::detail::apply_merge_patch;
using kopp::testing::detail::PatchError;

boost::json::value J(std::string_view text) { return boost::json::parse(text); }

/// RFC 7386 appendix A's cases are written for any target; the API server's patch is always
/// an object, so each case is checked one level down, under "x", where the RFC holds as is.
boost::json::value nested(std::string_view target, std::string_view patch) {
  auto result = apply_merge_patch(J(std::string(R"({"x":)") + std::string(target) + "}"),
                                  J(std::string(R"({"x":)") + std::string(patch) + "}"));
  auto* member = result.as_object().if_contains("x");
  return member != nullptr ? *member : J(R"("<removed>")");
}

}  // namespace

TEST_CASE("RFC 7386 appendix A examples", "[testing][merge_patch]") {
  CHECK(nested(R"({"a":"b"})", R"({"a":"c"})") == J(R"({"a":"c"})"));
  CHECK(nested(R"({"a":"b"})", R"({"b":"c"})") == J(R"({"a":"b","b":"c"})"));
  CHECK(nested(R"({"a":"b"})", R"({"a":null})") == J(R"({})"));
  CHECK(nested(R"({"a":"b","b":"c"})", R"({"a":null})") == J(R"({"b":"c"})"));
  CHECK(nested(R"({"a":["b"]})", R"({"a":"c"})") == J(R"({"a":"c"})"));
  CHECK(nested(R"({"a":"c"})", R"({"a":["b"]})") == J(R"({"a":["b"]})"));
  CHECK(nested(R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})") == J(R"({"a":{"b":"d"}})"));
  CHECK(nested(R"({"a":[{"b":"c"}]})", R"({"a":[1]})") == J(R"({"a":[1]})"));
  CHECK(nested(R"(["a","b"])", R"(["c","d"])") == J(R"(["c","d"])"));
  CHECK(nested(R"({"a":"b"})", R"(["c"])") == J(R"(["c"])"));
  CHECK(nested(R"({"e":null})", R"({"a":1})") == J(R"({"e":null,"a":1})"));
  CHECK(nested(R"([1,2])", R"({"a":"b","c":null})") == J(R"({"a":"b"})"));
  CHECK(nested(R"({})", R"({"a":{"bb":{"ccc":null}}})") == J(R"({"a":{"bb":{}}})"));
  CHECK(nested(R"({"a":"foo"})", R"("bar")") == J(R"("bar")"));
  // {"a":"foo"} patched with null is null in the RFC; one level down, null removes the member.
  CHECK(nested(R"({"a":"foo"})", "null") == J(R"("<removed>")"));
}

TEST_CASE("merge patch of an object document", "[testing][merge_patch]") {
  const auto document = J(R"({"metadata":{"name":"n","labels":{"a":"1","b":"2"}},"spec":{"replicas":1}})");
  const auto before = document;
  CHECK(apply_merge_patch(document, J(R"({"metadata":{"labels":{"a":null,"c":"3"}},"spec":{"replicas":3}})")) ==
        J(R"({"metadata":{"name":"n","labels":{"b":"2","c":"3"}},"spec":{"replicas":3}})"));
  CHECK(document == before);
  CHECK(apply_merge_patch(document, J("{}")) == document);
}

TEST_CASE("merge patch: a top-level patch that is not an object is 400 as on the API server",
          "[testing][merge_patch]") {
  const auto document = J(R"({"a":"foo"})");
  for (const auto* patch : {"null", R"(["c"])", R"("bar")", "5", "true"}) {
    CAPTURE(patch);
    try {
      apply_merge_patch(document, J(patch));
      FAIL("no PatchError");
    } catch (const PatchError& error) {
      CHECK(error.status() == 400);
      CHECK(error.reason() == "BadRequest");
      CHECK(!std::string(error.what()).empty());
    }
  }
  try {
    apply_merge_patch(document, J(R"(["c"])"));
  } catch (const PatchError& error) {
    CHECK(std::string(error.what()).find("cannot unmarshal array") != std::string::npos);
  }
}
