#include <kopp/core/int_or_string.hpp>
#include <kopp/core/json.hpp>

#include <boost/describe.hpp>
#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <optional>
#include <stdexcept>
#include <variant>

namespace ios_test {
struct RollingUpdate {
  std::optional<kopp::IntOrString> maxUnavailable;
  kopp::IntOrString port;
};
BOOST_DESCRIBE_STRUCT(RollingUpdate, (), (maxUnavailable, port))
}  // namespace ios_test

using ios_test::RollingUpdate;

TEST_CASE("IntOrString holds an int or a string", "[core][intorstring]") {
  const kopp::IntOrString n = 8080;
  const kopp::IntOrString s = "http";
  CHECK(n.is_int());
  CHECK(n.int_value() == 8080);
  CHECK_THROWS_AS(n.string_value(), std::bad_variant_access);
  CHECK(s.is_string());
  CHECK(s.string_value() == "http");
  CHECK(n.to_string() == "8080");
  CHECK(n != kopp::IntOrString("8080"));
  CHECK(kopp::IntOrString() == kopp::IntOrString(0));
}

TEST_CASE("IntOrString scales percentages like Go", "[core][intorstring]") {
  CHECK(kopp::IntOrString("25%").scaled_value(10, true) == 3);
  CHECK(kopp::IntOrString("25%").scaled_value(10, false) == 2);
  CHECK(kopp::IntOrString(4).scaled_value(10, true) == 4);
  CHECK_THROWS_AS(kopp::IntOrString("25").scaled_value(10, true), std::invalid_argument);
  CHECK_THROWS_AS(kopp::IntOrString("x%").scaled_value(10, true), std::invalid_argument);
}

TEST_CASE("IntOrString maps to a JSON number or string", "[core][intorstring][json]") {
  RollingUpdate r;
  r.maxUnavailable = kopp::IntOrString("25%");
  r.port = 80;
  CHECK(kopp::to_json(r) == boost::json::parse(R"({"maxUnavailable":"25%","port":80})"));

  const RollingUpdate back = kopp::from_json<RollingUpdate>(boost::json::parse(R"({"maxUnavailable":1,"port":"web"})"));
  CHECK(back.maxUnavailable == kopp::IntOrString(1));
  CHECK(back.port == kopp::IntOrString("web"));

  CHECK_THROWS_WITH(kopp::from_json<RollingUpdate>(boost::json::parse(R"({"port":true})")),
                    "kopp: JSON at $.port: expected an integer or a string, got bool");
  CHECK_THROWS_WITH(kopp::from_json<RollingUpdate>(boost::json::parse(R"({"port":4294967296})")),
                    "kopp: JSON at $.port: integer 4294967296 out of range for int32");
}
