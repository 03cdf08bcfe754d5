// RFC 7386 merge patches computed from two versions of an object.
#include <kopp/core/merge_patch.hpp>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

namespace {
boost::json::value J(std::string_view text) { return boost::json::parse(text); }
}  // namespace

TEST_CASE("json_merge_diff sends only what changed, null for what was removed", "[core][merge_patch]") {
  const auto before = J(R"({"a":1,"b":{"c":2,"d":3},"e":[1,2],"gone":true})");
  const auto after = J(R"({"a":1,"b":{"c":2,"d":4},"e":[1],"new":"x"})");
  CHECK(kopp::json_merge_diff(before, after) == J(R"({"b":{"d":4},"e":[1],"gone":null,"new":"x"})"));
  CHECK(kopp::json_merge_diff(before, before) == J("{}"));
}

TEST_CASE("json_merge_replacement sends everything of after, null for what after lacks", "[core][merge_patch]") {
  const auto before = J(R"({"a":1,"b":{"c":2,"d":3},"gone":true})");
  const auto after = J(R"({"a":1,"b":{"c":2},"new":"x"})");
  // Unchanged members are sent too, so a stale `before` cannot leave an old value behind.
  CHECK(kopp::json_merge_replacement(before, after) == J(R"({"a":1,"b":{"c":2,"d":null},"new":"x","gone":null})"));
  CHECK(kopp::json_merge_replacement(J("null"), after) == after);
  CHECK(kopp::json_merge_replacement(before, J("null")) == J("null"));
}
