#include <kopp/core/json.hpp>
#include <kopp/core/quantity.hpp>

#include <boost/describe.hpp>
#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <map>
#include <optional>
#include <stdexcept>
#include <string>

using kopp::Quantity;

namespace quantity_test {
struct Resources {
  std::map<std::string, Quantity> limits;
  std::optional<Quantity> storage;
};
BOOST_DESCRIBE_STRUCT(Resources, (), (limits, storage))
}  // namespace quantity_test

TEST_CASE("Quantity compares by exact value, across suffixes", "[core][quantity]") {
  CHECK(Quantity("500m") == Quantity("0.5"));
  CHECK(Quantity("1") == Quantity("1000m"));
  CHECK(Quantity("1k") == Quantity("1e3"));
  CHECK(Quantity("1k") == Quantity("1000"));
  CHECK(Quantity("1Ki") == Quantity("1024"));
  CHECK(Quantity("1Gi") > Quantity("1G"));
  CHECK(Quantity("1Gi") == Quantity("1024Mi"));
  CHECK(Quantity("1.5Gi") == Quantity("1536Mi"));
  CHECK(Quantity("0.1") == Quantity("100m"));
  CHECK(Quantity("1E") == Quantity("1e18"));
  CHECK(Quantity("1Ei") > Quantity("1E"));
  CHECK(Quantity("5E-2") == Quantity("50m"));
  CHECK(Quantity("+2") == Quantity("2"));
  CHECK(Quantity("-1") < Quantity("0"));
  CHECK(Quantity("-2Gi") < Quantity("-1Gi"));
  CHECK(Quantity("-0") == Quantity("0"));
  CHECK(Quantity(".5") == Quantity("0.5"));
  CHECK(Quantity("5.") == Quantity("5"));
  CHECK(Quantity("0.001") == Quantity("1m"));
  CHECK(Quantity("1m") != Quantity("1M"));
  CHECK(Quantity("1m") < Quantity("1M"));
  // Digits beyond double precision still compare exactly.
  CHECK(Quantity("9007199254740993") > Quantity("9007199254740992"));
  CHECK(Quantity("100000000000000000000000001m") > Quantity("1e23"));
}

TEST_CASE("Quantity keeps its text and converts to double", "[core][quantity]") {
  CHECK(Quantity("0.5").to_string() == "0.5");
  CHECK(Quantity("1536Mi").to_string() == "1536Mi");
  CHECK(Quantity().to_string() == "0");
  CHECK(Quantity().is_zero());
  CHECK(Quantity("-3").sign() == -1);
  CHECK(Quantity("250m").as_double() == Approx(0.25));
  CHECK(Quantity("1Gi").as_double() == 1073741824.0);
}

TEST_CASE("Quantity rejects malformed text with a reason", "[core][quantity]") {
  for (const char* bad : {"", "m", "Gi", "1.2.3", "1 Gi", " 1", "1g", "1Xi", "1KiB", "1e", "1e+", "1e3.5", "--1",
                          "1ee3", "1e1001", "0x10", "Infinity"}) {
    INFO("text: \"" << bad << "\"");
    CHECK_THROWS_AS(Quantity(bad), std::invalid_argument);
    CHECK_FALSE(Quantity::try_parse(bad).has_value());
  }
  CHECK_THROWS_WITH(Quantity("12Qi"), Catch::Contains("12Qi") && Catch::Contains("unknown suffix"));
  CHECK(Quantity::try_parse("2Mi").has_value());
}

TEST_CASE("Quantity maps to a JSON string and accepts numbers", "[core][quantity]") {
  const auto r = kopp::from_json<quantity_test::Resources>(
      boost::json::parse(R"({"limits":{"cpu":"500m","memory":1024,"gpu":1.5},"storage":"10Gi"})"));
  CHECK(r.limits.at("cpu") == Quantity("0.5"));
  CHECK(r.limits.at("memory") == Quantity("1Ki"));
  CHECK(r.limits.at("gpu") == Quantity("1500m"));
  REQUIRE(r.storage.has_value());
  CHECK(r.storage->to_string() == "10Gi");
  const boost::json::value encoded = kopp::to_json(r);
  CHECK(encoded.at("limits").at("cpu") == "500m");
  CHECK(encoded.at("storage") == "10Gi");

  try {
    (void)kopp::from_json<quantity_test::Resources>(boost::json::parse(R"({"limits":{"cpu":"lots"}})"));
    FAIL("a malformed quantity was accepted");
  } catch (const kopp::json_error& e) {
    CHECK(std::string(e.what()).find("limits.cpu") != std::string::npos);
    CHECK(std::string(e.what()).find("invalid quantity \"lots\"") != std::string::npos);
  }
  CHECK_THROWS_AS(kopp::from_json<quantity_test::Resources>(boost::json::parse(R"({"storage":true})")),
                  kopp::json_error);
}
