// JSON nested as deep as the API server accepts (kopp::json_max_depth = 10,000 levels)
// through parse_json and the typed mapping, inside a coroutine (so on an ordinary thread
// stack, as in an operator), also under AddressSanitizer.
#include "support/deep_json.hpp"

#include <kopp/core/json.hpp>
#include <kopp/core/json_patch.hpp>
#include <kopp/core/managed_fields.hpp>
#include <kopp/core/merge_patch.hpp>
#include <kopp/core/object_meta.hpp>
#include <kopp/core/raw_json.hpp>
#include <kopp/testing/run.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/describe.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include <string>

namespace json_depth_test {

struct Holder {
  std::string name;
  kopp::RawJson raw;
  boost::json::value value;
  kopp::UnknownFields unknown_fields;
};
BOOST_DESCRIBE_STRUCT(Holder, (), (name, raw, value, unknown_fields))

}  // namespace json_depth_test

namespace {

using json_depth_test::Holder;

std::size_t depth_of(const boost::json::value& root) {
  std::size_t levels = 0;
  const boost::json::value* v = &root;
  while (v->is_object() && !v->get_object().empty()) {
    ++levels;
    v = &v->get_object().begin()->value();
  }
  return levels;
}

/// A document of depth `depth` whose three deep members each hold `depth - 1` levels.
std::string holder_text(std::size_t depth) {
  const std::string deep = kopp_test::nested_objects(depth - 1);
  return R"({"name":"n","raw":)" + deep + R"(,"value":)" + deep + R"(,"extra":)" + deep + "}";
}

}  // namespace

TEST_CASE("json: objects nested json_max_depth levels parse and decode into RawJson, value and UnknownFields",
          "[json][depth]") {
  kopp::testing::run([]() -> boost::asio::awaitable<void> {
    const std::string text = holder_text(kopp::json_max_depth);
    Holder h = kopp::parse_json<Holder>(text);
    CHECK(h.name == "n");
    CHECK(depth_of(h.raw.value()) == kopp::json_max_depth - 1);
    CHECK(depth_of(h.value) == kopp::json_max_depth - 1);
    REQUIRE(h.unknown_fields.find("extra"));
    CHECK(depth_of(*h.unknown_fields.find("extra")) == kopp::json_max_depth - 1);

    // Copies, comparisons, encoding and destruction of the deep values.
    Holder copy = h;
    CHECK(copy.raw == h.raw);
    CHECK(copy.unknown_fields == h.unknown_fields);
    const std::string encoded = kopp::to_json_string(copy);
    CHECK(encoded.size() == text.size());
    const Holder again = kopp::from_json<Holder>(kopp::to_json(copy));
    CHECK(kopp::detail::json_equal(again.value, h.value));  // Boost.JSON's == is quadratic in the depth
    co_return;
  });
}

TEST_CASE("json: deeper than json_max_depth (plus the list envelope) is a parse error, not a crash", "[json][depth]") {
  const std::string too_deep = kopp_test::nested_objects(kopp::json_max_depth + 3);
  CHECK_THROWS_AS(kopp::parse_json_value(too_deep), kopp::json_error);
  // The envelope of a List (the List and its items array) around a maximal object fits.
  const std::string list = R"({"items":[)" + kopp_test::nested_objects(kopp::json_max_depth) + "]}";
  CHECK(kopp::parse_json_value(list).is_object());
}

TEST_CASE("json: a managedFields trie of a deeply nested object reads back", "[json][depth]") {
  // A server-side apply of a deep custom resource records one trie level per JSON level.
  std::string trie;
  for (int i = 0; i < 100; ++i) trie += "{\"f:x\":";
  trie += "{}";
  for (int i = 0; i < 100; ++i) trie += "}";
  const auto parsed = kopp::parse_json_value(trie);
  const kopp::FieldsV1 fields(parsed);
  CHECK(fields.value() == parsed);  // Boost.JSON's default depth (32) refused this
}

TEST_CASE("json: a deep value is written as Boost.JSON writes it, in one pass", "[json][depth]") {
  // kopp writes deep values into a buffer of their worst-case size, because Boost.JSON
  // 1.81's serializer is quadratic in the depth when its buffer fills (found by tests/fuzz).
  // The text must stay exactly Boost.JSON's, whatever the value holds.
  std::string mixed;
  for (int i = 0; i < 3000; ++i)
    mixed += i % 2 ? R"([-1.5e300,"\u0001\"\\é",)" : R"({"k\n":18446744073709551615,"f:x":)";
  mixed += "null";
  for (int i = 2999; i >= 0; --i) mixed += i % 2 ? "]" : "}";
  for (const std::string& text : {kopp_test::nested_objects(kopp::json_max_depth), mixed,
                                  std::string(R"({"a":[1,true]})"), std::string(R"("\u0000\u001f")")}) {
    const boost::json::value value = kopp::parse_json_value(text);
    CHECK(kopp::detail::json_serialize(value) == boost::json::serialize(value));
  }
  // Through the typed mapping and a managedFields trie too.
  const std::string trie = kopp_test::nested_objects(kopp::json_max_depth - 4);
  const auto meta = kopp::parse_json<kopp::ObjectMeta>(R"({"managedFields":[{"fieldsV1":)" + trie + "}]}");
  CHECK(meta.managedFields.at(0).fieldsV1.text() == trie);
  CHECK(kopp::to_json_string(meta) == R"({"managedFields":[{"fieldsV1":)" + trie + "}]}");
}

TEST_CASE("json: values compare as Boost.JSON compares them, without copying subtrees", "[json][depth]") {
  // Boost.JSON 1.81's == copies every member's subtree (quadratic in the depth): kopp's
  // types and diffs compare with detail::json_equal, which must give the same answers.
  const char* texts[] = {"1",
                         "1.0",
                         "18446744073709551615",
                         "-1",
                         R"("1")",
                         "null",
                         "true",
                         "[1,2]",
                         "[2,1]",
                         "[1,2,3]",
                         R"({"a":1,"b":[true]})",
                         R"({"b":[true],"a":1})",
                         R"({"a":1})",
                         R"({"a":1,"b":[false]})",
                         "{}"};
  for (const char* left : texts)
    for (const char* right : texts) {
      const auto a = boost::json::parse(left), b = boost::json::parse(right);
      INFO(left << " vs " << right);
      CHECK(kopp::detail::json_equal(a, b) == (a == b));
    }
  const auto deep = kopp::parse_json_value(kopp_test::nested_objects(kopp::json_max_depth));
  auto changed = kopp::parse_json_value(kopp_test::nested_objects(kopp::json_max_depth));
  boost::json::value* bottom = &changed;
  while (bottom->is_object()) bottom = &bottom->get_object().begin()->value();
  *bottom = 2;
  CHECK(kopp::detail::json_equal(deep, kopp::parse_json_value(kopp_test::nested_objects(kopp::json_max_depth))));
  CHECK_FALSE(kopp::detail::json_equal(deep, changed));
  // The types that hold raw JSON, and the diffs, on the same deep values.
  CHECK(kopp::RawJson(deep) == kopp::RawJson(deep));
  CHECK_FALSE(kopp::RawJson(deep) == kopp::RawJson(changed));
  // json_merge_diff recurses once per level (like json_merge_apply): 1,000 levels here.
  const auto thousand = kopp::parse_json_value(kopp_test::nested_objects(1000));
  CHECK(kopp::json_merge_diff(thousand, thousand) == boost::json::object{});
  CHECK(kopp::json_patch_diff(deep, deep).empty());
  CHECK(kopp::json_patch_diff(deep, changed).size() == 1);
}
