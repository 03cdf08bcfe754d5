// kopp::json_patch_diff: applied with an RFC 6902 implementation (the fake API server's),
// the diff of any two documents turns the first into the second.
#include <kopp/core/json_patch.hpp>
#include <kopp/testing/detail/json_patch.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include <random>

namespace {

boost::json::value J(std::string_view text) { return boost::json::parse(text); }

// A random document from a small alphabet of keys (so two documents share members) that
// includes the characters JSON pointers escape.
boost::json::value random_value(std::mt19937& rng, int depth) {
  static const char* keys[] = {"a", "b", "c/d", "e~f", "", "spec", "~1"};
  const int kind = std::uniform_int_distribution<int>(0, depth > 0 ? 6 : 3)(rng);
  switch (kind) {
    case 0:
      return nullptr;
    case 1:
      return std::uniform_int_distribution<int>(0, 3)(rng);
    case 2:
      return std::uniform_int_distribution<int>(0, 1)(rng) == 1;
    case 3:
      return boost::json::string(keys[std::uniform_int_distribution<int>(0, 6)(rng)]);
    case 4: {
      boost::json::array a;
      for (int i = std::uniform_int_distribution<int>(0, 3)(rng); i > 0; --i) a.push_back(random_value(rng, depth - 1));
      return a;
    }
    default: {
      boost::json::object o;
      for (int i = std::uniform_int_distribution<int>(0, 4)(rng); i > 0; --i)
        o[keys[std::uniform_int_distribution<int>(0, 6)(rng)]] = random_value(rng, depth - 1);
      return o;
    }
  }
}

}  // namespace

TEST_CASE("json_patch_diff: the patch turns before into after", "[core][json_patch]") {
  std::mt19937 rng(20261202);
  for (int i = 0; i < 2000; ++i) {
    const auto before = random_value(rng, 4);
    const auto after = random_value(rng, 4);
    const auto patch = kopp::json_patch_diff(before, after);
    INFO("before " << boost::json::serialize(before) << "\nafter " << boost::json::serialize(after) << "\npatch "
                   << boost::json::serialize(patch));
    CHECK(kopp::testing::detail::apply_json_patch(before, patch) == after);
    if (before == after) CHECK(patch.empty());
  }
}

TEST_CASE("json_patch_diff: minimal operations with escaped pointers", "[core][json_patch]") {
  const auto before = J(R"({"metadata":{"labels":{"a/b":"1","keep":"x"}},"spec":{"list":[1,2],"old":true}})");
  const auto after = J(R"({"metadata":{"labels":{"a/b":"2","keep":"x","t~":"n"}},"spec":{"list":[1,3]}})");
  CHECK(kopp::json_patch_diff(before, after) == J(R"([
    {"op":"replace","path":"/metadata/labels/a~1b","value":"2"},
    {"op":"add","path":"/metadata/labels/t~0","value":"n"},
    {"op":"remove","path":"/spec/old"},
    {"op":"replace","path":"/spec/list","value":[1,3]}])"));
  CHECK(kopp::json_patch_diff(J("[1]"), J("{}")) == J(R"([{"op":"replace","path":"","value":{}}])"));
  CHECK(kopp::json_pointer_token("a~/b") == "a~0~1b");
}
