#include <kopp/core/json.hpp>
#include <kopp/core/raw_json.hpp>
#include <kopp/core/unknown_fields.hpp>

#include <boost/describe.hpp>
#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <optional>
#include <string>

namespace raw_json_test {
struct Holder {
  std::optional<kopp::RawJson> schema;
  kopp::RawJson data;
};
BOOST_DESCRIBE_STRUCT(Holder, (), (schema, data))
}  // namespace raw_json_test

TEST_CASE("RawJson keeps any JSON value as it is", "[core][rawjson]") {
  const char* text =
      R"({"schema":{"type":"object","properties":{"x":{"type":"integer","x-kubernetes-int-or-string":true}}},)"
      R"("data":[1,"two",{"three":3.5},null,false]})";
  const boost::json::value in = boost::json::parse(text);
  const auto h = kopp::parse_json<raw_json_test::Holder>(text);  // decoded from an arena that is gone
  REQUIRE(h.schema.has_value());
  CHECK(h.schema->value().at("properties").at("x").at("type") == "integer");
  CHECK(h.data.value().as_array().size() == 5);
  CHECK(kopp::to_json(h) == in);
}

TEST_CASE("An engaged optional RawJson keeps an empty object", "[core][rawjson]") {
  const auto h = kopp::from_json<raw_json_test::Holder>(boost::json::parse(R"({"schema":{}})"));
  REQUIRE(h.schema.has_value());
  CHECK(kopp::to_json(h) == boost::json::parse(R"({"schema":{}})"));
  CHECK(kopp::to_json(raw_json_test::Holder()) == boost::json::parse("{}"));
  CHECK(kopp::RawJson().is_null());
  CHECK(kopp::RawJson(boost::json::parse("[1]")).to_string() == "[1]");
}

// Boost.JSON 1.81 reads 9e999 as Infinity and writes it back as `Infinity`, which is not
// JSON: a RawJson kept as read would make the next write of the object invalid.
TEST_CASE("A RawJson holding a number beyond double's range is refused with its path", "[core][rawjson]") {
  try {
    (void)kopp::parse_json<raw_json_test::Holder>(R"({"data":{"limits":[1,-9e999]}})");
    FAIL("an infinite number was kept");
  } catch (const kopp::json_error& e) {
    CHECK(e.path() == "$.data");
    CHECK_THAT(e.problem(), Catch::Contains("beyond the range of a double"));
  }
}
