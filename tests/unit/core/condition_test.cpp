#include <kopp/core/condition.hpp>
#include <kopp/core/json.hpp>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <vector>

namespace {
kopp::Condition make(std::string type, std::string status, std::string reason, std::int64_t generation = 1) {
  kopp::Condition c;
  c.type = std::move(type);
  c.status = std::move(status);
  c.reason = std::move(reason);
  c.observedGeneration = generation;
  return c;
}
}  // namespace

TEST_CASE("set_status_condition adds a condition with the caller's time", "[core][condition]") {
  std::vector<kopp::Condition> conditions;
  const kopp::Time t1 = kopp::Time::parse("2026-01-01T00:00:00Z");
  CHECK(kopp::set_status_condition(conditions, make("Ready", "False", "Starting"), t1));
  REQUIRE(conditions.size() == 1);
  CHECK(conditions[0].lastTransitionTime == t1);

  // A condition that brings its own transition time keeps it.
  kopp::Condition with_time = make("Degraded", "False", "AsExpected");
  with_time.lastTransitionTime = kopp::Time::parse("2025-12-31T00:00:00Z");
  CHECK(kopp::set_status_condition(conditions, with_time, t1));
  CHECK(kopp::find_status_condition(conditions, "Degraded")->lastTransitionTime ==
        kopp::Time::parse("2025-12-31T00:00:00Z"));
}

TEST_CASE("set_status_condition moves lastTransitionTime only when status changes", "[core][condition]") {
  std::vector<kopp::Condition> conditions;
  const kopp::Time t1 = kopp::Time::parse("2026-01-01T00:00:00Z");
  const kopp::Time t2 = kopp::Time::parse("2026-01-01T00:05:00Z");
  const kopp::Time t3 = kopp::Time::parse("2026-01-01T00:10:00Z");
  (void)kopp::set_status_condition(conditions, make("Ready", "False", "Starting"), t1);

  // Same status, new reason and generation: updated, time unchanged.
  CHECK(kopp::set_status_condition(conditions, make("Ready", "False", "Pulling", 2), t2));
  CHECK(conditions[0].reason == "Pulling");
  CHECK(conditions[0].observedGeneration == 2);
  CHECK(conditions[0].lastTransitionTime == t1);

  // Nothing differs: no change reported.
  CHECK_FALSE(kopp::set_status_condition(conditions, make("Ready", "False", "Pulling", 2), t2));

  // Status flips: the transition time moves to now.
  CHECK(kopp::set_status_condition(conditions, make("Ready", "True", "Running", 2), t3));
  CHECK(conditions[0].status == "True");
  CHECK(conditions[0].lastTransitionTime == t3);
  CHECK(conditions.size() == 1);
}

TEST_CASE("condition queries and removal", "[core][condition]") {
  std::vector<kopp::Condition> conditions;
  const kopp::Time now = kopp::Time::parse("2026-01-01T00:00:00Z");
  (void)kopp::set_status_condition(conditions, make("Ready", "True", "Running"), now);
  (void)kopp::set_status_condition(conditions, make("Progressing", "False", "Done"), now);

  CHECK(kopp::is_status_condition_true(conditions, "Ready"));
  CHECK_FALSE(kopp::is_status_condition_false(conditions, "Ready"));
  CHECK(kopp::is_status_condition_false(conditions, "Progressing"));
  CHECK_FALSE(kopp::is_status_condition_true(conditions, "Missing"));
  CHECK_FALSE(kopp::is_status_condition_false(conditions, "Missing"));
  CHECK(kopp::is_status_condition_present_and_equal(conditions, "Progressing", "False"));
  CHECK(kopp::find_status_condition(conditions, "Missing") == nullptr);

  CHECK(kopp::remove_status_condition(conditions, "Ready"));
  CHECK_FALSE(kopp::remove_status_condition(conditions, "Ready"));
  CHECK(conditions.size() == 1);
  CHECK(conditions[0].type == "Progressing");
}

TEST_CASE("Condition maps to meta/v1 JSON", "[core][condition][json]") {
  const auto c = kopp::from_json<kopp::Condition>(boost::json::parse(
      R"({"type":"Available","status":"True","observedGeneration":4,
            "lastTransitionTime":"2026-11-26T23:30:00Z","reason":"MinimumReplicasAvailable",
            "message":"Deployment has minimum availability."})"));
  CHECK(c.type == "Available");
  CHECK(c.observedGeneration == 4);
  CHECK(c.lastTransitionTime.to_string() == "2026-11-26T23:30:00Z");
  CHECK(kopp::to_json(c).at("lastTransitionTime") == "2026-11-26T23:30:00Z");
  CHECK(kopp::from_json<kopp::Condition>(kopp::to_json(c)) == c);
}

TEST_CASE("a condition's empty reason and message are still written (CRD schemas require them)", "[core][condition]") {
  kopp::Condition c;
  c.type = "Ready";
  c.status = "True";
  const boost::json::value v = kopp::to_json(c);
  const auto& o = v.as_object();
  REQUIRE(o.contains("message"));
  CHECK(o.at("message").as_string() == "");
  REQUIRE(o.contains("reason"));
  CHECK(o.at("reason").as_string() == "");
  CHECK_FALSE(o.contains("observedGeneration"));  // omitted when zero
  CHECK_FALSE(o.contains("lastTransitionTime"));  // a zero time is absent, as in Go
}

TEST_CASE("make_condition carries the observed generation; condition_status maps a bool", "[core][condition]") {
  const kopp::Condition c =
      kopp::make_condition("Ready", kopp::condition_status(true), "AllGood", "all replicas are up", 7);
  CHECK(c.type == "Ready");
  CHECK(c.status == "True");
  CHECK(c.reason == "AllGood");
  CHECK(c.message == "all replicas are up");
  CHECK(c.observedGeneration == 7);
  CHECK(c.lastTransitionTime.is_zero());  // set_status_condition fills it in
  CHECK(kopp::condition_status(false) == kopp::condition_false);
  std::vector<kopp::Condition> conditions;
  CHECK(kopp::set_status_condition(conditions, c, kopp::Time::now()));
  CHECK_FALSE(conditions.front().lastTransitionTime.is_zero());
}
