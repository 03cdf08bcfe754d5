// Schemas derived from described structs, field rules and their compile-time checks.
#include <kopp/core/crd.hpp>
#include <kopp/core.hpp>

#include <boost/describe.hpp>
#include <boost/json.hpp>

#include <catch2/catch.hpp>

#include <map>
#include <optional>
#include <unordered_map>
#include <vector>

namespace json = boost::json;

namespace crdtest {

enum class Tier { Free, Pro, class_ };
BOOST_DESCRIBE_ENUM(Tier, Free, Pro, class_)

struct Port {
  std::string name;
  std::int32_t number = 0;
};
BOOST_DESCRIBE_STRUCT(Port, (), (name, number))
KOPP_CRD_FIELDS(Port, kopp::crd::field("name").required().min_length(1),
                kopp::crd::field("number").minimum(1).maximum(65535))
KOPP_CRD_DOC(Port, "A named port.")

struct Everything {
  std::string text;
  bool flag = false;
  std::int8_t i8 = 0;
  std::int32_t i32 = 0;
  std::int64_t i64 = 0;
  std::uint16_t u16 = 0;
  std::uint32_t u32 = 0;
  float f = 0;
  double d = 0;
  std::optional<std::string> maybe;
  std::vector<std::string> list;
  std::map<std::string, std::int32_t> counts;
  std::unordered_map<std::string, Port> port_map;
  std::vector<Port> ports;
  Tier tier = Tier::Free;
  kopp::IntOrString max_unavailable;
  kopp::Time when;
  kopp::MicroTime renew;
  kopp::ObjectMeta meta;
  std::vector<kopp::Condition> conditions;
  boost::json::value raw;
  boost::json::object raw_object;
  kopp::Quantity memory;
  kopp::RawJson raw_json;
  std::string namespace_;
  kopp::UnknownFields unknown_fields;
};
BOOST_DESCRIBE_STRUCT(Everything, (),
                      (text, flag, i8, i32, i64, u16, u32, f, d, maybe, list, counts, port_map, ports, tier,
                       max_unavailable, when, renew, meta, conditions, raw, raw_object, memory, raw_json, namespace_,
                       unknown_fields))

struct Rules {
  std::int32_t size = 1;
  std::optional<std::string> image;
  std::optional<std::int32_t> port;
  double ratio = 0;
  std::vector<std::string> tags;
  std::vector<Port> ports;
  std::map<std::string, std::string> labels;
  Tier tier = Tier::Free;
  std::string mode;
  std::optional<bool> enabled;
  kopp::IntOrString surge;
  std::optional<kopp::Quantity> memory;
  std::string email;
  boost::json::object extra;
};
BOOST_DESCRIBE_STRUCT(Rules, (),
                      (size, image, port, ratio, tags, ports, labels, tier, mode, enabled, surge, memory, email, extra))
KOPP_CRD_FIELDS(Rules, kopp::crd::field("size").description("Number of pods").minimum(1).maximum(10).required(),
                kopp::crd::field("image")
                    .description("Container image")
                    .default_value("memcached:1.6.38")
                    .pattern("^[a-z0-9.:/-]+$")
                    .max_length(128),
                kopp::crd::field("port").default_value(11211).exclusive_minimum(0),
                kopp::crd::field("ratio").minimum(0.5).exclusive_maximum(1.5).default_value(1.0),
                kopp::crd::field("tags").min_items(1).max_items(5).list_type("set"),
                kopp::crd::field("ports").list_map_keys({"name"}).default_json(R"([{"name":"http","number":80}])"),
                kopp::crd::field("labels").max_properties(8).nullable(),
                kopp::crd::field("tier").enum_values({"Free", "Pro"}).default_value("Pro"),
                kopp::crd::field("mode").enum_values({"fast", "safe"}).default_value("safe"),
                kopp::crd::field("enabled").default_value(true), kopp::crd::field("surge").default_value("25%"),
                kopp::crd::field("memory").default_value("64Mi"), kopp::crd::field("email").format("email"),
                kopp::crd::field("extra").preserve_unknown_fields().validation("size(self) <= 3",
                                                                               "at most three extra keys"))
KOPP_CRD_TYPE(Rules, kopp::crd::type_rule()
                         .description("Rules of everything.")
                         .validation("!has(self.port) || self.port != 22", "port 22 is reserved"))

struct Recursive {
  std::vector<Recursive> children;
};
BOOST_DESCRIBE_STRUCT(Recursive, (), (children))

struct Money {
  std::int64_t cents = 0;
  friend json::value kopp_to_json(const Money& m) { return json::value(std::to_string(m.cents)); }
  friend void kopp_from_json(const json::value&, Money&, kopp::json_path&) {}
  friend json::object kopp_crd_schema(Money*) { return {{"type", "string"}, {"pattern", "^[0-9]+$"}}; }
};

struct Legacy {
  int v = 0;
};

struct Priced {
  Money price;
  std::optional<Legacy> legacy;
};
BOOST_DESCRIBE_STRUCT(Priced, (), (price, legacy))
KOPP_CRD_FIELDS(Priced, kopp::crd::field("price").description("Price in cents").minimum(3))

}  // namespace crdtest

template <>
struct kopp::crd::schema_of<crdtest::Legacy> {
  static boost::json::object schema() { return {{"type", "integer"}, {"format", "int32"}}; }
};

using crdtest::Everything;
using crdtest::Rules;

namespace {
const json::object& prop(const json::object& schema, std::string_view key) {
  return schema.at("properties").as_object().at(key).as_object();
}
}  // namespace

TEST_CASE("crd schema: every supported member type", "[crd]") {
  const json::object s = kopp::crd::schema<Everything>();
  CHECK(s.at("type") == "object");
  CHECK_FALSE(s.contains("required"));                              // required-ness is explicit
  CHECK_FALSE(s.contains("x-kubernetes-preserve-unknown-fields"));  // UnknownFields does not ask for it
  CHECK(prop(s, "text") == json::parse(R"({"type":"string"})"));
  CHECK(prop(s, "flag") == json::parse(R"({"type":"boolean"})"));
  CHECK(prop(s, "i8") == json::parse(R"({"type":"integer","format":"int32"})"));
  CHECK(prop(s, "i32") == json::parse(R"({"type":"integer","format":"int32"})"));
  CHECK(prop(s, "i64") == json::parse(R"({"type":"integer","format":"int64"})"));
  CHECK(prop(s, "u16") == json::parse(R"({"type":"integer","format":"int32","minimum":0})"));
  CHECK(prop(s, "u32") == json::parse(R"({"type":"integer","format":"int64","minimum":0})"));
  CHECK(prop(s, "f") == json::parse(R"({"type":"number","format":"float"})"));
  CHECK(prop(s, "d") == json::parse(R"({"type":"number","format":"double"})"));
  CHECK(prop(s, "maybe") == json::parse(R"({"type":"string"})"));
  CHECK(prop(s, "list") == json::parse(R"({"type":"array","items":{"type":"string"}})"));
  CHECK(prop(s, "counts") ==
        json::parse(R"({"type":"object","additionalProperties":{"type":"integer","format":"int32"}})"));
  const json::object& port_map = prop(s, "port_map");
  CHECK(port_map.at("type") == "object");
  CHECK(port_map.at("additionalProperties").at("description") == "A named port.");
  const json::object& ports = prop(s, "ports");
  CHECK(ports.at("type") == "array");
  const json::object& port = ports.at("items").as_object();
  CHECK(port.at("required") == json::parse(R"(["name"])"));
  CHECK(prop(port, "name") == json::parse(R"({"type":"string","minLength":1})"));
  CHECK(prop(port, "number") == json::parse(R"({"type":"integer","format":"int32","minimum":1,"maximum":65535})"));
  CHECK(prop(s, "tier") == json::parse(R"({"type":"string","enum":["Free","Pro","class"]})"));
  CHECK(prop(s, "max_unavailable") ==
        json::parse(R"({"anyOf":[{"type":"integer"},{"type":"string"}],"x-kubernetes-int-or-string":true})"));
  CHECK(prop(s, "when") == json::parse(R"({"type":"string","format":"date-time"})"));
  CHECK(prop(s, "renew") == json::parse(R"({"type":"string","format":"date-time"})"));
  CHECK(prop(s, "meta") == json::parse(R"({"type":"object"})"));
  const json::object& condition = prop(s, "conditions").at("items").as_object();
  CHECK(condition.at("required") == json::parse(R"(["lastTransitionTime","message","reason","status","type"])"));
  CHECK(prop(condition, "status").at("enum") == json::parse(R"(["True","False","Unknown"])"));
  CHECK(prop(condition, "lastTransitionTime").at("format") == "date-time");
  CHECK(prop(condition, "observedGeneration").at("minimum") == 0);
  CHECK(prop(s, "raw") == json::parse(R"({"x-kubernetes-preserve-unknown-fields":true})"));
  CHECK(prop(s, "raw_object") == json::parse(R"({"type":"object","x-kubernetes-preserve-unknown-fields":true})"));
  CHECK(s.at("properties").as_object().contains("namespace"));  // trailing underscore dropped
  CHECK_FALSE(s.at("properties").as_object().contains("unknown_fields"));
  CHECK(prop(s, "memory") == kopp::crd::quantity_schema());
  CHECK(prop(s, "memory").at("x-kubernetes-int-or-string") == true);
  CHECK(prop(s, "raw_json") == json::parse(R"({"x-kubernetes-preserve-unknown-fields":true})"));
  CHECK(s.at("properties").as_object().size() == 25);
  CHECK(kopp::crd::structural_problems(s).empty());
}

TEST_CASE("crd schema: field and type rules", "[crd]") {
  const json::object s = kopp::crd::schema<Rules>();
  CHECK(s.begin()->key() == "description");  // description first, for readers of the YAML
  CHECK(s.at("description") == "Rules of everything.");
  CHECK(s.at("x-kubernetes-validations") ==
        json::parse(R"([{"rule":"!has(self.port) || self.port != 22","message":"port 22 is reserved"}])"));
  CHECK(s.at("required") == json::parse(R"(["size"])"));
  CHECK(prop(s, "size") == json::parse(R"({"description":"Number of pods","type":"integer","format":"int32",
                                              "minimum":1,"maximum":10})"));
  CHECK(prop(s, "image") == json::parse(R"({"description":"Container image","type":"string",
                                               "maxLength":128,"pattern":"^[a-z0-9.:/-]+$",
                                               "default":"memcached:1.6.38"})"));
  CHECK(prop(s, "port") == json::parse(R"({"type":"integer","format":"int32","minimum":0,
                                              "exclusiveMinimum":true,"default":11211})"));
  CHECK(prop(s, "ratio") == json::parse(R"({"type":"number","format":"double","minimum":0.5,
                                               "maximum":1.5,"exclusiveMaximum":true,"default":1.0})"));
  CHECK(prop(s, "ratio").at("default").is_double());
  CHECK(prop(s, "port").at("default").is_int64());
  CHECK(prop(s, "tags") == json::parse(R"({"type":"array","items":{"type":"string"},"minItems":1,
                                              "maxItems":5,"x-kubernetes-list-type":"set"})"));
  const json::object& ports = prop(s, "ports");
  CHECK(ports.at("x-kubernetes-list-type") == "map");
  CHECK(ports.at("x-kubernetes-list-map-keys") == json::parse(R"(["name"])"));
  CHECK(ports.at("default") == json::parse(R"([{"name":"http","number":80}])"));
  CHECK(prop(s, "labels").at("maxProperties") == 8);
  CHECK(prop(s, "labels").at("nullable") == true);
  CHECK(prop(s, "tier") == json::parse(R"({"type":"string","enum":["Free","Pro"],"default":"Pro"})"));
  CHECK(prop(s, "mode") == json::parse(R"({"type":"string","enum":["fast","safe"],"default":"safe"})"));
  CHECK(prop(s, "enabled") == json::parse(R"({"type":"boolean","default":true})"));
  CHECK(prop(s, "surge").at("default") == "25%");
  CHECK(prop(s, "memory").at("default") == "64Mi");
  CHECK(prop(s, "email") == json::parse(R"({"type":"string","format":"email"})"));
  CHECK(prop(s, "extra") == json::parse(R"({"type":"object","x-kubernetes-preserve-unknown-fields":true,
        "x-kubernetes-validations":[{"rule":"size(self) <= 3","message":"at most three extra keys"}]})"));
  CHECK(kopp::crd::structural_problems(s).empty());
}

TEST_CASE("crd schema: customisation points and refusals", "[crd]") {
  const json::object s = kopp::crd::schema<crdtest::Priced>();
  CHECK(prop(s, "price") == json::parse(R"({"description":"Price in cents","type":"string",
                                               "pattern":"^[0-9]+$","minimum":3})"));
  CHECK(prop(s, "legacy") == json::parse(R"({"type":"integer","format":"int32"})"));
  try {
    (void)kopp::crd::schema<crdtest::Recursive>();
    FAIL("a recursive type gave a schema");
  } catch (const std::invalid_argument& e) {
    CHECK_THAT(e.what(), Catch::Contains("crdtest::Recursive contains itself"));
  }
  CHECK(kopp::crd::quantity_schema().at("x-kubernetes-int-or-string") == true);
  CHECK(kopp::crd::quantity_schema().at("pattern").as_string().starts_with("^(\\+|-)?"));
}

TEST_CASE("crd schema: structural problems are found", "[crd]") {
  const auto problems = kopp::crd::structural_problems(json::parse(R"({
        "type": "object",
        "properties": {
            "a": {"description": "no type"},
            "b": {"type": "object", "properties": {"x": {"type": "string"}},
                  "additionalProperties": {"type": "string"}},
            "c": {"type": "array"},
            "d": {"type": "array", "items": {"type": "object", "additionalProperties": false}},
            "e": {"x-kubernetes-int-or-string": true},
            "f": {"x-kubernetes-preserve-unknown-fields": true}
        }})")
                                                           .as_object());
  REQUIRE(problems.size() == 4);
  CHECK(problems[0] == "a: no type");
  CHECK(problems[1] == "b: properties and additionalProperties together");
  CHECK(problems[2] == "c: an array needs items");
  CHECK(problems[3] == "d[]: additionalProperties must be a schema, not a bool");
}

// --- Compile-time checks: the same function KOPP_CRD_FIELDS static-asserts on. ---------
namespace {
using kopp::crd::check_field_rules;
using kopp::crd::field;
template <class T, class... R>
constexpr std::string_view problem_of(R... rules) {
  return check_field_rules<T>(std::array<kopp::crd::field_rule, sizeof...(R)>{rules...}).problem;
}
template <class T, class... R>
constexpr std::string_view field_of(R... rules) {
  return check_field_rules<T>(std::array<kopp::crd::field_rule, sizeof...(R)>{rules...}).field;
}
}  // namespace

static_assert(problem_of<Rules>(field("size").minimum(1), field("image").pattern("x")).empty());
static_assert(problem_of<Rules>(field("sizes").minimum(1)) == "the type has no member with this JSON key");
static_assert(field_of<Rules>(field("size"), field("sizes").minimum(1)) == "sizes");
static_assert(problem_of<Everything>(field("unknown_fields")) == "the type has no member with this JSON key");
static_assert(problem_of<Everything>(field("namespace_")) == "the type has no member with this JSON key");
static_assert(problem_of<Everything>(field("namespace").max_length(63)).empty());
static_assert(problem_of<Rules>(field("size"), field("size")) == "two rules name the same field");
static_assert(problem_of<Rules>(field("image").minimum(1)) == "minimum/maximum need a number member");
static_assert(problem_of<Rules>(field("size").pattern("^a$")) == "pattern needs a string member");
static_assert(problem_of<Rules>(field("size").max_length(3)) == "min_length/max_length need a string member");
static_assert(problem_of<Rules>(field("image").max_items(3)) ==
              "min_items/max_items need an array (std::vector) member");
static_assert(problem_of<Rules>(field("size").list_type("set")) ==
              "list_type/list_map_keys need an array (std::vector) member");
static_assert(problem_of<Rules>(field("tags").preserve_unknown_fields()) ==
              "preserve_unknown_fields needs a map, struct or JSON member");
static_assert(problem_of<Rules>(field("size").default_value("one")) ==
              "a string default needs a string, enum, time or IntOrString member");
static_assert(problem_of<Rules>(field("image").default_value(3)) ==
              "a number default needs a number or IntOrString member");
static_assert(problem_of<Rules>(field("size").default_value(1.5)) ==
              "a fractional default needs a floating-point member");
static_assert(problem_of<Rules>(field("enabled").default_value(1)) ==
              "a number default needs a number or IntOrString member");
static_assert(problem_of<Rules>(field("size").default_value(true)) == "a bool default needs a bool member");
static_assert(problem_of<Rules>(field("size").default_value(5'000'000'000LL)) ==
              "the default is out of the member's integer range");
static_assert(problem_of<Rules>(field("size").minimum(1).default_value(0)) == "the default is below the minimum");
static_assert(problem_of<Rules>(field("port").exclusive_maximum(10).default_value(10)) ==
              "the default is above the maximum");
static_assert(problem_of<Rules>(field("tier").default_value("Gold")) ==
              "the default is not an enumerator of the member's enum");
static_assert(problem_of<Rules>(field("tier").enum_values({"Free", "Gold"})) ==
              "an enum_values entry is not an enumerator of the member's enum");
static_assert(problem_of<Rules>(field("mode").enum_values({"a"}).default_value("b")) ==
              "the default is not one of enum_values");
static_assert(problem_of<Rules>(field("image").max_length(3).default_value("long")) ==
              "the default is longer than max_length");
static_assert(problem_of<Rules>(field("tags").default_json(R"({"a":1})")) ==
              "default_json's text is not a JSON value of the member's type");
static_assert(problem_of<Rules>(field("size").enum_values({"1"})) == "enum_values need a string or enum member");
static_assert(problem_of<crdtest::Priced>(field("price").minimum(1).pattern("x")).empty());  // custom schema
static_assert(kopp::crd::check_type_rule<Rules>(kopp::crd::type_rule().required()).problem ==
              "a type rule takes only description, validation, preserve_unknown_fields and "
              "min/max_properties; put the others on the field");
static_assert(!kopp::crd::check_type_rule<Rules>(kopp::crd::type_rule().preserve_unknown_fields()));

// Misuse that needs no member type throws while the rule is built (a compile error in
// KOPP_CRD_FIELDS, an exception at run time).
TEST_CASE("crd field rules: builder misuse", "[crd]") {
  CHECK_THROWS_AS(field("a").minimum(5).maximum(1), std::invalid_argument);
  CHECK_THROWS_AS(field("a").min_length(-1), std::invalid_argument);
  CHECK_THROWS_AS(field("a").max_items(1).min_items(2), std::invalid_argument);
  CHECK_THROWS_AS(field("a").list_type("bag"), std::invalid_argument);
  CHECK_THROWS_AS(field("a").validation("", "m"), std::invalid_argument);
  CHECK_THROWS_AS(field("a").default_value(std::uint64_t{1} << 63), std::out_of_range);
  CHECK(field("a").minimum(1).maximum(1).data().maximum->integer == 1);
}
