// Label selectors parsed and matched locally, with the server's syntax and semantics.
#include <kopp/runtime/cache/label_selector.hpp>

#include <catch2/catch.hpp>

using kopp::LabelSelector;
using Labels = std::map<std::string, std::string>;

TEST_CASE("the empty selector matches everything", "[selector]") {
  auto selector = LabelSelector::parse("  ");
  CHECK(selector.empty());
  CHECK(selector.matches({}));
  CHECK(selector.matches({{"a", "b"}}));
  CHECK(selector.to_string().empty());
}

TEST_CASE("equality, inequality and existence", "[selector]") {
  auto selector = LabelSelector::parse("app=web, tier==front,env!=prod,owner,!canary");
  CHECK(selector.matches({{"app", "web"}, {"tier", "front"}, {"owner", "x"}}));
  CHECK(selector.matches({{"app", "web"}, {"tier", "front"}, {"owner", ""}, {"env", "dev"}}));
  CHECK_FALSE(selector.matches({{"app", "web"}, {"tier", "front"}, {"owner", "x"}, {"env", "prod"}}));
  CHECK_FALSE(selector.matches({{"app", "web"}, {"tier", "front"}, {"owner", "x"}, {"canary", "1"}}));
  CHECK_FALSE(selector.matches({{"app", "web"}, {"tier", "front"}}));  // owner missing
  CHECK_FALSE(selector.matches({{"app", "api"}, {"tier", "front"}, {"owner", "x"}}));
  CHECK(selector.requirements().size() == 5);
}

TEST_CASE("!= and notin match objects without the key, as on the server", "[selector]") {
  CHECK(LabelSelector::parse("env!=prod").matches({}));
  CHECK(LabelSelector::parse("env notin (prod)").matches({}));
  CHECK_FALSE(LabelSelector::parse("env in (prod)").matches({}));
  CHECK_FALSE(LabelSelector::parse("env=prod").matches({}));
}

TEST_CASE("set-based requirements", "[selector]") {
  auto selector = LabelSelector::parse("tier in (cache, db),env notin(prod,staging)");
  CHECK(selector.matches({{"tier", "db"}}));
  CHECK(selector.matches({{"tier", "cache"}, {"env", "dev"}}));
  CHECK_FALSE(selector.matches({{"tier", "web"}}));
  CHECK_FALSE(selector.matches({{"tier", "db"}, {"env", "staging"}}));
  CHECK(selector.to_string() == "env notin (prod,staging),tier in (cache,db)");
}

TEST_CASE("greater-than and less-than compare integers", "[selector]") {
  auto selector = LabelSelector::parse("replicas>2,replicas<10");
  CHECK(selector.matches({{"replicas", "3"}}));
  CHECK_FALSE(selector.matches({{"replicas", "2"}}));
  CHECK_FALSE(selector.matches({{"replicas", "ten"}}));
  CHECK_FALSE(selector.matches({}));
}

TEST_CASE("prefixed keys and empty values", "[selector]") {
  auto selector = LabelSelector::parse("app.kubernetes.io/name=memcached,example.com/empty=");
  CHECK(selector.matches({{"app.kubernetes.io/name", "memcached"}, {"example.com/empty", ""}}));
  CHECK_FALSE(selector.matches({{"app.kubernetes.io/name", "memcached"}, {"example.com/empty", "x"}}));
}

TEST_CASE("to_string round-trips", "[selector]") {
  for (const char* text : {"a=b", "a!=b", "a in (x,y)", "a notin (x)", "a", "!a", "a>3", "a<3", "a=b,c in (d,e),!f"}) {
    auto parsed = LabelSelector::parse(text);
    CHECK(LabelSelector::parse(parsed.to_string()) == parsed);
  }
}

TEST_CASE("from_labels is the conjunction of equalities", "[selector]") {
  auto selector = LabelSelector::from_labels({{"app", "web"}, {"tier", "front"}});
  CHECK(selector.to_string() == "app=web,tier=front");
  CHECK(selector.matches({{"app", "web"}, {"tier", "front"}, {"x", "y"}}));
  CHECK_FALSE(selector.matches({{"app", "web"}}));
}

TEST_CASE("the empty value is a value of a set, as on the server (found by tests/fuzz)", "[selector]") {
  // apimachinery reads `a in ()` as the set {""}; to_string() used to drop a leading empty
  // value, so `x notin (ab,)` came back as `x notin (ab)`, a different selector.
  const auto empty_only = LabelSelector::parse("a in ()");
  REQUIRE(empty_only.requirements().size() == 1);
  CHECK(empty_only.requirements()[0].values == std::vector<std::string>{""});
  CHECK(empty_only.to_string() == "a in ()");
  CHECK(empty_only.matches({{"a", ""}}));
  CHECK_FALSE(empty_only.matches({{"a", "b"}}));
  CHECK_FALSE(empty_only.matches({}));
  const auto with_empty = LabelSelector::parse("x notin (ab,)");
  CHECK(with_empty.to_string() == "x notin (,ab)");
  CHECK(LabelSelector::parse(with_empty.to_string()) == with_empty);
  CHECK_FALSE(with_empty.matches({{"x", ""}}));
  CHECK(with_empty.matches({{"x", "c"}}));
}

TEST_CASE("malformed selectors are refused with the position", "[selector]") {
  for (const char* text :
       {"a=b,", ",a", "a in (b", "a in b", "a b", "-a=b", "a=b c", "a>x", "a!b", "a=-b", "Bad_Prefix/a=b",
        "a=0123456789012345678901234567890123456789012345678901234567890123", "!", "a==b==c"}) {
    INFO(text);
    CHECK_THROWS_AS(LabelSelector::parse(text), std::invalid_argument);
  }
  CHECK_THROWS_WITH(LabelSelector::parse("a in b"), Catch::Contains("position"));
}
