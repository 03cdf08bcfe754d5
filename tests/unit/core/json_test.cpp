#include <kopp/core/json.hpp>

#include <boost/describe.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace json_test {

enum class RestartPolicy { Always, OnFailure, Never };
BOOST_DESCRIBE_ENUM(RestartPolicy, Always, OnFailure, Never)

struct Port {
  std::string name;
  std::int32_t containerPort = 0;
  std::optional<std::string> protocol;
};
BOOST_DESCRIBE_STRUCT(Port, (), (name, containerPort, protocol))

struct Container {
  std::string name;
  std::string image;
  std::vector<std::string> args;
  std::vector<Port> ports;
  std::map<std::string, std::string> env;
  std::optional<bool> privileged;
};
BOOST_DESCRIBE_STRUCT(Container, (), (name, image, args, ports, env, privileged))

struct PodSpec {
  std::vector<Container> containers;
  RestartPolicy restartPolicy = RestartPolicy::Always;
  std::optional<std::int64_t> terminationGracePeriodSeconds;
  bool hostNetwork = false;
  double cpuShare = 0.0;
  std::map<std::string, std::vector<std::int32_t>> portGroups;
};
BOOST_DESCRIBE_STRUCT(PodSpec, (),
                      (containers, restartPolicy, terminationGracePeriodSeconds, hostNetwork, cpuShare, portGroups))

struct Template {
  PodSpec spec;
};
BOOST_DESCRIBE_STRUCT(Template, (), (spec))

struct Spec {
  std::int32_t replicas = 0;
  Template template_;
  std::string namespace_;
  std::string continue_;
};
BOOST_DESCRIBE_STRUCT(Spec, (), (replicas, template_, namespace_, continue_))

struct Thing {
  std::string kind;
  Spec spec;
};
BOOST_DESCRIBE_STRUCT(Thing, (), (kind, spec))

struct Numbers {
  std::int8_t i8 = 0;
  std::int32_t i32 = 0;
  std::int64_t i64 = 0;
  std::uint16_t u16 = 0;
  std::uint64_t u64 = 0;
  double d = 0.0;
};
BOOST_DESCRIBE_STRUCT(Numbers, (), (i8, i32, i64, u16, u64, d))

struct Raw {
  boost::json::value raw;
  boost::json::object obj;
  boost::json::array arr;
  std::optional<boost::json::value> maybe;
};
BOOST_DESCRIBE_STRUCT(Raw, (), (raw, obj, arr, maybe))

struct Counters {
  std::int64_t generation = 0;
  std::int32_t replicas = 0;
  bool paused = false;
  bool suspend = false;
};
BOOST_DESCRIBE_STRUCT(Counters, (), (generation, replicas, paused, suspend))
KOPP_JSON_OMIT_ZERO(Counters, generation, paused)

struct Base {
  std::string name;
};
BOOST_DESCRIBE_STRUCT(Base, (), (name))

struct Empties {
  std::string s;
  std::vector<int> v;
  std::map<std::string, int> m;
  std::optional<std::string> os;
  std::optional<std::vector<int>> ov;
  Base nested;  // all of its members omitted -> omitted itself
  std::optional<Base> onested;
  bool b = false;
  std::int32_t n = 0;
};
BOOST_DESCRIBE_STRUCT(Empties, (), (s, v, m, os, ov, nested, onested, b, n))

struct Derived : Base {
  std::int32_t size = 0;
};
BOOST_DESCRIBE_STRUCT(Derived, (Base), (size))

// A type with ADL hooks: a "1.5Gi"-like quantity stored in bytes, written as a string.
struct Bytes {
  std::int64_t value = 0;
  friend boost::json::value kopp_to_json(const Bytes& b) { return boost::json::value(std::to_string(b.value) + "B"); }
  friend void kopp_from_json(const boost::json::value& v, Bytes& out, kopp::json_path& path) {
    if (!v.is_string()) path.fail("expected a byte count string");
    std::string s(v.get_string().c_str());
    if (s.empty() || s.back() != 'B') path.fail("expected a byte count ending in B, got \"" + s + "\"");
    out.value = std::stoll(s.substr(0, s.size() - 1));
  }
};

// A type mapped through a json_codec specialisation (as for a type one cannot change).
struct Color {
  int r = 0, g = 0, b = 0;
};

struct Palette {
  std::vector<Bytes> sizes;
  Color main;
  std::map<std::string, Color> named;
};
BOOST_DESCRIBE_STRUCT(Palette, (), (sizes, main, named))

boost::json::value J(std::string_view text) { return boost::json::parse(text); }

}  // namespace json_test

template <>
struct kopp::json_codec<json_test::Color> {
  static boost::json::value to_json(const json_test::Color& c) { return boost::json::array{c.r, c.g, c.b}; }
  static void from_json(const boost::json::value& v, json_test::Color& c, kopp::json_path& path) {
    if (!v.is_array() || v.get_array().size() != 3) path.fail("expected [r, g, b]");
    std::vector<int> parts = kopp::from_json<std::vector<int>>(v);
    c = {parts[0], parts[1], parts[2]};
  }
};

using namespace json_test;

TEST_CASE("nested described structs round-trip", "[core][json]") {
  Thing t;
  t.kind = "Thing";
  t.spec.replicas = 3;
  t.spec.namespace_ = "prod";
  t.spec.continue_ = "token";
  Container c;
  c.name = "web";
  c.image = "nginx:1.25";
  c.args = {"-g", "daemon off;"};
  c.ports = {Port{"http", 80, "TCP"}, Port{"metrics", 9090, std::nullopt}};
  c.env = {{"A", "1"}, {"B", ""}};
  c.privileged = false;
  t.spec.template_.spec.containers = {c};
  t.spec.template_.spec.restartPolicy = RestartPolicy::OnFailure;
  t.spec.template_.spec.terminationGracePeriodSeconds = 30;
  t.spec.template_.spec.cpuShare = 0.25;
  t.spec.template_.spec.portGroups = {{"web", {80, 443}}};

  const boost::json::value v = kopp::to_json(t);
  CHECK(v == J(R"({"kind":"Thing","spec":{"replicas":3,"template":{"spec":{
        "containers":[{"name":"web","image":"nginx:1.25","args":["-g","daemon off;"],
          "ports":[{"name":"http","containerPort":80,"protocol":"TCP"},
                   {"name":"metrics","containerPort":9090}],
          "env":{"A":"1","B":""},"privileged":false}],
        "restartPolicy":"OnFailure","terminationGracePeriodSeconds":30,"hostNetwork":false,
        "cpuShare":0.25,"portGroups":{"web":[80,443]}}},
      "namespace":"prod","continue":"token"}})"));

  const Thing back = kopp::from_json<Thing>(v);
  CHECK(back.spec.namespace_ == "prod");
  CHECK(back.spec.continue_ == "token");
  CHECK(back.spec.template_.spec.containers.at(0).ports.at(1).containerPort == 9090);
  CHECK_FALSE(back.spec.template_.spec.containers.at(0).ports.at(1).protocol.has_value());
  CHECK(back.spec.template_.spec.containers.at(0).privileged == false);
  CHECK(back.spec.template_.spec.restartPolicy == RestartPolicy::OnFailure);
  CHECK(back.spec.template_.spec.portGroups.at("web") == std::vector<std::int32_t>{80, 443});
  CHECK(kopp::to_json(back) == v);

  // The text functions agree with the value functions.
  const std::string text = kopp::to_json_string(t);
  CHECK(J(text) == v);
  CHECK(kopp::to_json(kopp::parse_json<Thing>(text)) == v);
}

TEST_CASE("empty members are omitted, bools and numbers are written", "[core][json]") {
  Empties e;
  CHECK(kopp::to_json(e) == J(R"({"b":false,"n":0})"));

  e.os = "";
  e.ov = std::vector<int>{};
  e.onested = Base{};
  // An engaged optional is present even when empty (like Go's pointer fields).
  CHECK(kopp::to_json(e) == J(R"({"os":"","ov":[],"onested":{},"b":false,"n":0})"));

  Empties f;
  f.s = "x";
  f.v = {1};
  f.m = {{"k", 0}};
  f.nested.name = "n";
  CHECK(kopp::to_json(f) == J(R"({"s":"x","v":[1],"m":{"k":0},"nested":{"name":"n"},"b":false,"n":0})"));
}

TEST_CASE("KOPP_JSON_OMIT_ZERO omits the listed members when zero", "[core][json]") {
  CHECK(kopp::to_json(Counters{}) == J(R"({"replicas":0,"suspend":false})"));
  CHECK(kopp::to_json(Counters{7, 1, true, true}) ==
        J(R"({"generation":7,"replicas":1,"paused":true,"suspend":true})"));
}

TEST_CASE("missing keys and nulls leave members default-initialised", "[core][json]") {
  const Thing t = kopp::from_json<Thing>(J(R"({"spec":{"template":{}}})"));
  CHECK(t.kind.empty());
  CHECK(t.spec.replicas == 0);
  CHECK(t.spec.template_.spec.containers.empty());
  CHECK(t.spec.template_.spec.restartPolicy == RestartPolicy::Always);

  const Thing n =
      kopp::from_json<Thing>(J(R"({"kind":null,"spec":{"replicas":null,"template":null,"namespace":null}})"));
  CHECK(n.kind.empty());
  CHECK(n.spec.replicas == 0);
  CHECK(n.spec.namespace_.empty());

  Empties e = kopp::from_json<Empties>(J(R"({"os":null,"onested":null,"ov":[1,null,3]})"));
  CHECK_FALSE(e.os.has_value());
  CHECK_FALSE(e.onested.has_value());
  CHECK(e.ov == std::vector<int>{1, 0, 3});

  CHECK(kopp::from_json<Thing>(boost::json::value(nullptr)).spec.replicas == 0);
}

TEST_CASE("the out-parameter form replaces the previous value", "[core][json]") {
  Port p{"old", 1, "UDP"};
  kopp::from_json(J(R"({"containerPort":8080})"), p);
  CHECK(p.name.empty());
  CHECK(p.containerPort == 8080);
  CHECK_FALSE(p.protocol.has_value());
}

TEST_CASE("a wrong type reports the exact JSON path", "[core][json]") {
  const auto path_of = [](std::string_view text) -> std::string {
    try {
      (void)kopp::from_json<Thing>(J(text));
    } catch (const kopp::json_error& e) {
      return e.what();
    }
    return "no error";
  };
  CHECK(path_of(R"({"spec":{"template":{"spec":{"containers":[{"name":"a"},{"ports":[
              {"containerPort":1},{"containerPort":"80"}]}]}}}})") ==
        "kopp: JSON at $.spec.template.spec.containers[1].ports[1].containerPort: "
        "expected an integer, got string");
  CHECK(path_of(R"({"spec":{"template":{"spec":{"containers":[{"env":{"app.kubernetes.io/name":5}}]}}}})") ==
        "kopp: JSON at $.spec.template.spec.containers[0].env[\"app.kubernetes.io/name\"]: "
        "expected a string, got integer");
  CHECK(path_of(R"({"spec":{"template":{"spec":{"portGroups":{"web":[80,true]}}}}})") ==
        "kopp: JSON at $.spec.template.spec.portGroups.web[1]: expected an integer, got bool");
  CHECK(path_of(R"({"spec":[]})") == "kopp: JSON at $.spec: expected an object, got array");
  CHECK(path_of(R"({"spec":{"template":{"spec":{"containers":{}}}}})") ==
        "kopp: JSON at $.spec.template.spec.containers: expected an array, got object");
  CHECK(path_of(R"({"spec":{"template":{"spec":{"hostNetwork":"true"}}}})") ==
        "kopp: JSON at $.spec.template.spec.hostNetwork: expected a bool, got string");
  CHECK(path_of(R"([1])") == "kopp: JSON at $: expected an object, got array");

  try {
    (void)kopp::from_json<Thing>(J(R"({"kind":7})"));
    FAIL("no json_error");
  } catch (const kopp::json_error& e) {
    CHECK(e.path() == "$.kind");
    CHECK(e.problem() == "expected a string, got integer");
    CHECK_FALSE(e.offset().has_value());
  }
}

TEST_CASE("integers are range-checked", "[core][json]") {
  const Numbers n = kopp::from_json<Numbers>(J(
      R"({"i8":-128,"i32":2147483647,"i64":-9223372036854775808,"u16":65535,
            "u64":18446744073709551615,"d":3})"));
  CHECK(n.i8 == -128);
  CHECK(n.i32 == 2147483647);
  CHECK(n.i64 == INT64_MIN);
  CHECK(n.u16 == 65535);
  CHECK(n.u64 == UINT64_MAX);
  CHECK(n.d == 3.0);
  // An integral number written with an exponent is still an integer.
  CHECK(kopp::from_json<Numbers>(J(R"({"i32":3e2})")).i32 == 300);

  CHECK_THROWS_WITH(kopp::from_json<Numbers>(J(R"({"i32":3e10})")),
                    "kopp: JSON at $.i32: integer 30000000000 out of range for int32 "
                    "[-2147483648, 2147483647]");
  CHECK_THROWS_WITH(kopp::from_json<Numbers>(J(R"({"i32":2147483648})")),
                    "kopp: JSON at $.i32: integer 2147483648 out of range for int32 "
                    "[-2147483648, 2147483647]");
  CHECK_THROWS_WITH(kopp::from_json<Numbers>(J(R"({"i8":200})")),
                    "kopp: JSON at $.i8: integer 200 out of range for int8 [-128, 127]");
  CHECK_THROWS_WITH(kopp::from_json<Numbers>(J(R"({"u16":-1})")),
                    "kopp: JSON at $.u16: integer -1 out of range for uint16 [0, 65535]");
  CHECK_THROWS_WITH(kopp::from_json<Numbers>(J(R"({"i64":9223372036854775808})")),
                    Catch::Contains("$.i64: integer 9223372036854775808 out of range for int64"));
  CHECK_THROWS_WITH(kopp::from_json<Numbers>(J(R"({"i64":1.5})")),
                    "kopp: JSON at $.i64: expected an integer, got number 1.5");
  CHECK_THROWS_WITH(kopp::from_json<Numbers>(J(R"({"d":"1"})")), "kopp: JSON at $.d: expected a number, got string");
}

TEST_CASE("described enums map to their enumerator names", "[core][json]") {
  PodSpec spec;
  spec.restartPolicy = RestartPolicy::Never;
  CHECK(kopp::to_json(spec).as_object().at("restartPolicy") == "Never");
  CHECK(kopp::from_json<PodSpec>(J(R"({"restartPolicy":"OnFailure"})")).restartPolicy == RestartPolicy::OnFailure);
  CHECK_THROWS_WITH(kopp::from_json<PodSpec>(J(R"({"restartPolicy":"Sometimes"})")),
                    "kopp: JSON at $.restartPolicy: expected one of \"Always\", \"OnFailure\", "
                    "\"Never\", got \"Sometimes\"");
  CHECK_THROWS_WITH(kopp::from_json<PodSpec>(J(R"({"restartPolicy":1})")),
                    Catch::Contains("expected a string (one of \"Always\""));
  CHECK_THROWS_AS(kopp::to_json(static_cast<RestartPolicy>(42)), kopp::json_error);
}

TEST_CASE("raw JSON members pass through verbatim", "[core][json]") {
  const boost::json::value input = J(
      R"({"raw":{"apiVersion":"v1","kind":"Pod","x":[1,{"y":null}]},"obj":{"a":1},
            "arr":[true,"s"],"maybe":{"k":"v"}})");
  const Raw r = kopp::from_json<Raw>(input);
  CHECK(r.raw == input.at("raw"));
  CHECK(r.obj == input.at("obj").as_object());
  CHECK(r.arr == input.at("arr").as_array());
  CHECK(r.maybe == input.at("maybe"));
  CHECK(kopp::to_json(r) == input);

  CHECK_THROWS_WITH(kopp::from_json<Raw>(J(R"({"obj":[]})")), "kopp: JSON at $.obj: expected an object, got array");
  // parse_json's arena is gone when it returns: raw members own copies of their JSON.
  const Raw parsed = kopp::parse_json<Raw>(boost::json::serialize(input));
  CHECK(parsed.raw.storage().get() == boost::json::storage_ptr().get());
  CHECK(kopp::to_json(parsed) == input);
  // A raw value may be any JSON, including a scalar.
  CHECK(kopp::from_json<Raw>(J(R"({"raw":42})")).raw == 42);
}

TEST_CASE("inherited members of described structs are mapped", "[core][json]") {
  Derived d;
  d.name = "n";
  d.size = 2;
  CHECK(kopp::to_json(d) == J(R"({"name":"n","size":2})"));
  const Derived back = kopp::from_json<Derived>(J(R"({"name":"m","size":5})"));
  CHECK(back.name == "m");
  CHECK(back.size == 5);
}

TEST_CASE("ADL hooks and json_codec specialisations customise the mapping", "[core][json]") {
  Palette p;
  p.sizes = {Bytes{10}, Bytes{2048}};
  p.main = Color{1, 2, 3};
  p.named = {{"red", Color{255, 0, 0}}};
  const boost::json::value v = kopp::to_json(p);
  CHECK(v == J(R"({"sizes":["10B","2048B"],"main":[1,2,3],"named":{"red":[255,0,0]}})"));

  const Palette back = kopp::from_json<Palette>(v);
  CHECK(back.sizes.at(1).value == 2048);
  CHECK(back.main.b == 3);
  CHECK(back.named.at("red").r == 255);

  CHECK_THROWS_WITH(kopp::from_json<Palette>(J(R"({"sizes":["1B","2KB?"]})")),
                    "kopp: JSON at $.sizes[1]: expected a byte count ending in B, got \"2KB?\"");
  CHECK_THROWS_WITH(kopp::from_json<Palette>(J(R"({"named":{"blue":[0,0]}})")),
                    "kopp: JSON at $.named.blue: expected [r, g, b]");
}

TEST_CASE("unparsable text is a json_error naming the offset", "[core][json]") {
  try {
    (void)kopp::parse_json<Thing>(R"({"kind": "Thing", "spec": {)");
    FAIL("no json_error");
  } catch (const kopp::json_error& e) {
    REQUIRE(e.offset().has_value());
    CHECK(std::string(e.what()).starts_with("kopp: invalid JSON at offset "));
  }
  try {
    (void)kopp::parse_json_value(R"({"a": tru})");
    FAIL("no json_error");
  } catch (const kopp::json_error& e) {
    CHECK(e.offset() == 6u);
    CHECK(std::string(e.what()) == "kopp: invalid JSON at offset 6: " + e.problem());
  }
  // Mapping errors from parse_json carry the path.
  CHECK_THROWS_WITH(kopp::parse_json<Thing>(R"({"spec":{"replicas":"3"}})"),
                    "kopp: JSON at $.spec.replicas: expected an integer, got string");
}

TEST_CASE("top-level containers and scalars map too", "[core][json]") {
  CHECK(kopp::to_json(std::vector<int>{1, 2}) == J("[1,2]"));
  CHECK(kopp::from_json<std::map<std::string, std::int64_t>>(J(R"({"a":1})")).at("a") == 1);
  CHECK(kopp::to_json_string(std::string("x")) == R"("x")");
  CHECK(kopp::parse_json<std::vector<std::optional<int>>>("[1,null]") ==
        std::vector<std::optional<int>>{1, std::nullopt});
  CHECK_THROWS_WITH(kopp::parse_json<std::vector<int>>(R"([1,"2"])"),
                    "kopp: JSON at $[1]: expected an integer, got string");
}

TEST_CASE("Infinity never enters or leaves as JSON (found by tests/fuzz)", "[core][json]") {
  // 9e999 parses as Infinity in Boost.JSON 1.81, which writes it as `Infinity` (not JSON).
  CHECK_THROWS_WITH(kopp::parse_json<Numbers>(R"({"d":9e999})"),
                    Catch::Contains("$.d") && Catch::Contains("beyond the range of a double"));
  CHECK_THROWS_WITH(kopp::parse_json<Raw>(R"({"raw":{"a":[1,-9e999]}})"), Catch::Contains("$.raw"));
  CHECK_THROWS_AS(kopp::parse_json<Raw>(R"({"obj":{"a":9e999}})"), kopp::json_error);
  CHECK_THROWS_AS(kopp::parse_json<Raw>(R"({"arr":[9e999]})"), kopp::json_error);
  Numbers n;
  n.d = std::numeric_limits<double>::infinity();
  CHECK_THROWS_WITH(kopp::to_json_string(n), Catch::Contains("Infinity or NaN"));
  n.d = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_AS(kopp::to_json_string(n), kopp::json_error);
}
