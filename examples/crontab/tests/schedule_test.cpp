// CronSchedule against known schedules and dates, and against brute force.
#include <crontab/schedule.hpp>

#include <catch2/catch.hpp>

#include <kopp/core/time.hpp>

#include <functional>
#include <vector>

using crontab::cron_error;
using crontab::CronSchedule;
using namespace std::chrono;

namespace {

sys_seconds utc(std::string_view rfc3339) { return floor<seconds>(kopp::Time::parse(rfc3339).time_point()); }

std::string text(sys_seconds t) { return kopp::Time(t).to_string(); }

std::vector<std::string> next_n(const CronSchedule& s, std::string_view from, int n) {
  std::vector<std::string> out;
  sys_seconds t = utc(from);
  for (int i = 0; i < n; ++i) {
    t = s.next_after(t);
    out.push_back(text(t));
  }
  return out;
}

// Checks next_after and last_at_or_before against a minute-by-minute scan of `minutes`
// minutes from `from`, with `expected` as an independent statement of the schedule.
void check_against_brute_force(std::string_view spec, std::string_view from, int minutes_to_scan,
                               const std::function<bool(year_month_day, weekday, int, int)>& expected) {
  const CronSchedule s = CronSchedule::parse(spec);
  const sys_seconds start = utc(from);
  std::vector<sys_seconds> firing;
  for (int i = 0; i < minutes_to_scan; ++i) {
    const sys_seconds t = start + minutes(i);
    const sys_days day = floor<days>(t);
    const hh_mm_ss<seconds> tod(t - day);
    const bool want = expected(year_month_day(day), weekday(day), static_cast<int>(tod.hours().count()),
                               static_cast<int>(tod.minutes().count()));
    INFO(spec << " at " << text(t));
    REQUIRE(s.matches(t) == want);
    if (want) firing.push_back(t);
  }
  REQUIRE(firing.size() >= 2);
  for (std::size_t i = 0; i + 1 < firing.size(); ++i) {
    INFO(spec << " after " << text(firing[i]));
    REQUIRE(s.next_after(firing[i]) == firing[i + 1]);
    REQUIRE(s.next_after(firing[i + 1] - seconds(1)) == firing[i + 1]);
    REQUIRE(s.last_at_or_before(firing[i + 1]) == firing[i + 1]);
    REQUIRE(s.last_at_or_before(firing[i + 1] - seconds(1)) == firing[i]);
  }
}

}  // namespace

TEST_CASE("cron: day-of-month and day-of-week both restricted match either (Vixie)", "[schedule]") {
  const auto s = CronSchedule::parse("0 0 13 * 5");
  CHECK(next_n(s, "2026-01-01T00:00:00Z", 10) ==
        std::vector<std::string>{"2026-01-02T00:00:00Z", "2026-01-09T00:00:00Z", "2026-01-13T00:00:00Z",
                                 "2026-01-16T00:00:00Z", "2026-01-23T00:00:00Z", "2026-01-30T00:00:00Z",
                                 "2026-02-06T00:00:00Z", "2026-02-13T00:00:00Z", "2026-02-20T00:00:00Z",
                                 "2026-02-27T00:00:00Z"});
  // Named weekday and Vixie's OR: every Monday in February, and February 30th never.
  CHECK(next_n(CronSchedule::parse("0 0 30 FEB mon"), "2026-01-01T00:00:00Z", 3) ==
        std::vector<std::string>{"2026-02-02T00:00:00Z", "2026-02-09T00:00:00Z", "2026-02-16T00:00:00Z"});
}

TEST_CASE("cron: a field starting with * is unrestricted, so the day fields are ANDed", "[schedule]") {
  // */2 days (odd days) AND Mondays; robfig/cron would OR them.
  CHECK(next_n(CronSchedule::parse("0 0 */2 * 1"), "2026-11-01T00:00:00Z", 3) ==
        std::vector<std::string>{"2026-11-09T00:00:00Z", "2026-11-23T00:00:00Z", "2026-12-07T00:00:00Z"});
  check_against_brute_force("0 0 */2 * 1", "2026-11-01T00:00:00Z", 60 * 24 * 40,
                            [](year_month_day d, weekday w, int h, int m) {
                              return h == 0 && m == 0 && static_cast<unsigned>(d.day()) % 2 == 1 && w == Monday;
                            });
}

TEST_CASE("cron: business hours every quarter hour", "[schedule]") {
  const auto s = CronSchedule::parse("*/15 9-17 * * MON-FRI");
  // Friday evening -> Monday morning.
  CHECK(next_n(s, "2026-11-27T17:50:00Z", 2) ==
        std::vector<std::string>{"2026-11-30T09:00:00Z", "2026-11-30T09:15:00Z"});
  CHECK(text(s.next_after(utc("2026-11-27T17:44:59Z"))) == "2026-11-27T17:45:00Z");
  // Strictly after: a firing time itself is not "next".
  CHECK(text(s.next_after(utc("2026-11-30T09:15:00Z"))) == "2026-11-30T09:30:00Z");
  CHECK(text(s.last_at_or_before(utc("2026-11-30T09:15:00Z"))) == "2026-11-30T09:15:00Z");
  CHECK(text(s.last_at_or_before(utc("2026-11-30T08:59:59Z"))) == "2026-11-27T17:45:00Z");
  check_against_brute_force("*/15 9-17 * * MON-FRI", "2026-11-25T00:00:00Z", 60 * 24 * 9,
                            [](year_month_day, weekday w, int h, int m) {
                              return m % 15 == 0 && h >= 9 && h <= 17 && w != Saturday && w != Sunday;
                            });
}

TEST_CASE("cron: February 29th and month ends", "[schedule]") {
  const auto leap = CronSchedule::parse("0 0 29 2 *");
  CHECK(text(leap.next_after(utc("2025-03-01T00:00:00Z"))) == "2028-02-29T00:00:00Z");
  // 2100 is not a leap year: eight years from 2096 to 2104.
  CHECK(text(leap.next_after(utc("2096-02-29T00:00:00Z"))) == "2104-02-29T00:00:00Z");
  CHECK(text(leap.last_at_or_before(utc("2104-02-28T23:59:59Z"))) == "2096-02-29T00:00:00Z");

  // The 31st skips the months that have 30 days (and February).
  CHECK(next_n(CronSchedule::parse("30 12 31 * *"), "2026-01-31T12:30:00Z", 4) ==
        std::vector<std::string>{"2026-03-31T12:30:00Z", "2026-05-31T12:30:00Z", "2026-07-31T12:30:00Z",
                                 "2026-08-31T12:30:00Z"});
  // Backwards across a year end and short months.
  CHECK(text(CronSchedule::parse("0 0 30 * *").last_at_or_before(utc("2026-03-29T00:00:00Z"))) ==
        "2026-01-30T00:00:00Z");
  CHECK(text(CronSchedule::parse("59 23 31 12 *").next_after(utc("2026-12-31T23:59:00Z"))) == "2027-12-31T23:59:00Z");
  check_against_brute_force(
      "0 6 28-31 * *", "2027-12-20T00:00:00Z", 60 * 24 * 100,
      [](year_month_day d, weekday, int h, int m) { return h == 6 && m == 0 && static_cast<unsigned>(d.day()) >= 28; });
}

TEST_CASE("cron: ranges, steps, lists, names and macros", "[schedule]") {
  CHECK(next_n(CronSchedule::parse("1-30/10 * * * *"), "2026-01-01T00:00:00Z", 4) ==
        std::vector<std::string>{"2026-01-01T00:01:00Z", "2026-01-01T00:11:00Z", "2026-01-01T00:21:00Z",
                                 "2026-01-01T01:01:00Z"});
  CHECK(next_n(CronSchedule::parse("5/20 * * * *"), "2026-01-01T00:00:00Z", 4) ==
        std::vector<std::string>{"2026-01-01T00:05:00Z", "2026-01-01T00:25:00Z", "2026-01-01T00:45:00Z",
                                 "2026-01-01T01:05:00Z"});
  CHECK(next_n(CronSchedule::parse("0 8,12-13,20 * * *"), "2026-01-01T09:00:00Z", 4) ==
        std::vector<std::string>{"2026-01-01T12:00:00Z", "2026-01-01T13:00:00Z", "2026-01-01T20:00:00Z",
                                 "2026-01-02T08:00:00Z"});
  // Weekday 7 is Sunday; 5-7 is Friday to Sunday. 2026-11-27 is a Friday.
  CHECK(next_n(CronSchedule::parse("0 0 * * 5-7"), "2026-11-26T00:00:00Z", 4) ==
        std::vector<std::string>{"2026-11-27T00:00:00Z", "2026-11-28T00:00:00Z", "2026-11-29T00:00:00Z",
                                 "2026-12-04T00:00:00Z"});
  CHECK(CronSchedule::parse("0 0 * jan,Jul SUN") == CronSchedule::parse("0 0 * 1,7 0"));
  CHECK(CronSchedule::parse("0 0 ? * ?") == CronSchedule::parse("0 0 * * *"));

  CHECK(CronSchedule::parse("@hourly") == CronSchedule::parse("0 * * * *"));
  CHECK(CronSchedule::parse("@daily") == CronSchedule::parse("0 0 * * *"));
  CHECK(CronSchedule::parse("@midnight") == CronSchedule::parse("0 0 * * *"));
  CHECK(CronSchedule::parse("@weekly") == CronSchedule::parse("0 0 * * 0"));
  CHECK(CronSchedule::parse("@monthly") == CronSchedule::parse("0 0 1 * *"));
  CHECK(CronSchedule::parse("@YEARLY") == CronSchedule::parse("0 0 1 1 *"));
  CHECK(CronSchedule::parse("@annually") == CronSchedule::parse("0 0 1 1 *"));
  CHECK(text(CronSchedule::parse("@weekly").next_after(utc("2026-11-27T10:00:00Z"))) == "2026-11-29T00:00:00Z");
  CHECK(CronSchedule::parse("  */5   *  * * *  ").spec() == "  */5   *  * * *  ");
}

TEST_CASE("cron: invalid schedules are refused with the field and the reason", "[schedule]") {
  const auto error_of = [](std::string_view spec) {
    std::string error;
    const auto parsed = CronSchedule::try_parse(spec, &error);
    CHECK_FALSE(parsed.has_value());
    return error;
  };
  CHECK_THAT(error_of(""), Catch::Contains("empty"));
  CHECK_THAT(error_of("* * * *"), Catch::Contains("expected 5 fields") && Catch::Contains("got 4"));
  CHECK_THAT(error_of("* * * * * *"), Catch::Contains("got 6"));
  CHECK_THAT(error_of("60 * * * *"), Catch::Contains("minute field: 60 is out of range 0-59"));
  CHECK_THAT(error_of("0 24 * * *"), Catch::Contains("hour field: 24 is out of range 0-23"));
  CHECK_THAT(error_of("0 0 0 * *"), Catch::Contains("day-of-month field: 0 is out of range 1-31"));
  CHECK_THAT(error_of("0 0 * 13 *"), Catch::Contains("month field: 13 is out of range 1-12"));
  CHECK_THAT(error_of("0 0 * * 8"), Catch::Contains("day-of-week field: 8 is out of range 0-7"));
  CHECK_THAT(error_of("*/0 * * * *"), Catch::Contains("invalid step \"0\""));
  CHECK_THAT(error_of("*/x * * * *"), Catch::Contains("invalid step \"x\""));
  CHECK_THAT(error_of("30-10 * * * *"), Catch::Contains("runs backwards"));
  CHECK_THAT(error_of("1,,2 * * * *"), Catch::Contains("empty list item"));
  CHECK_THAT(error_of("1- * * * *"), Catch::Contains("missing value"));
  CHECK_THAT(error_of("MON * * * *"), Catch::Contains("minute field: \"MON\" is not a number"));
  CHECK_THAT(error_of("0 0 * FOO *"), Catch::Contains("month field: unknown name \"FOO\""));
  CHECK_THAT(error_of("0 0 * * JAN"), Catch::Contains("day-of-week field: unknown name \"JAN\""));
  CHECK_THAT(error_of("? * * * *"), Catch::Contains("minute field"));
  CHECK_THAT(error_of("@every 5m"), Catch::Contains("unknown macro"));
  CHECK_THAT(error_of("TZ=Europe/Paris 0 0 * * *"), Catch::Contains("time zones are not supported"));
  // Never fires: the day does not exist in the months given.
  CHECK_THAT(error_of("0 0 30 2 *"), Catch::Contains("never"));
  CHECK_THAT(error_of("0 0 31 4,6,9,11 *"), Catch::Contains("never"));
  CHECK(CronSchedule::try_parse("0 0 31 4,5 *").has_value());  // May has a 31st
  CHECK_THROWS_AS(CronSchedule::parse("61 * * * *"), cron_error);
}

TEST_CASE("cron: most_recent returns the latest due time and counts missed runs", "[schedule]") {
  const auto every_minute = CronSchedule::parse("* * * * *");
  SECTION("nothing due") {
    const auto due = every_minute.most_recent(utc("2026-11-27T10:00:00Z"), utc("2026-11-27T10:00:59Z"));
    CHECK_FALSE(due.latest.has_value());
    CHECK(due.count == 0);
    CHECK_FALSE(due.too_many);
    CHECK_FALSE(every_minute.most_recent(utc("2026-11-27T10:05:00Z"), utc("2026-11-27T10:00:00Z")).latest);
  }
  SECTION("the interval is (since, now]") {
    const auto due = every_minute.most_recent(utc("2026-11-27T10:00:00Z"), utc("2026-11-27T10:05:00Z"));
    REQUIRE(due.latest.has_value());
    CHECK(text(*due.latest) == "2026-11-27T10:05:00Z");
    CHECK(due.count == 5);
    CHECK_FALSE(due.too_many);
  }
  SECTION("more than the limit: flagged, counting stops, latest still exact") {
    const auto due = every_minute.most_recent(utc("2026-11-26T10:00:00Z"), utc("2026-11-27T10:03:30Z"), 100);
    REQUIRE(due.latest.has_value());
    CHECK(text(*due.latest) == "2026-11-27T10:03:00Z");
    CHECK(due.count == 101);
    CHECK(due.too_many);
    // Exactly the limit is not too many.
    const auto hundred = every_minute.most_recent(utc("2026-11-27T08:00:00Z"), utc("2026-11-27T09:40:00Z"), 100);
    CHECK(hundred.count == 100);
    CHECK_FALSE(hundred.too_many);
  }
  SECTION("sparse schedules") {
    const auto leap = CronSchedule::parse("0 0 29 2 *");
    const auto due = leap.most_recent(utc("2020-03-01T00:00:00Z"), utc("2029-01-01T00:00:00Z"));
    REQUIRE(due.latest.has_value());
    CHECK(text(*due.latest) == "2028-02-29T00:00:00Z");
    CHECK(due.count == 2);  // 2024 and 2028
  }
}
