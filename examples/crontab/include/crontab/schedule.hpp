#pragma once
// CronSchedule: a five-field cron expression and the times it fires, in UTC. Sans-io: no
// clock, no timers, only arithmetic on time points, so every rule is unit-tested with
// fixed dates.
//
//   auto schedule = crontab::CronSchedule::parse("*/15 9-17 * * MON-FRI");
//   auto next = schedule.next_after(now);                 // strictly after `now`
//   auto due = schedule.most_recent(last_run, now);       // (last_run, now]
//   if (due.latest) start_job_for(*due.latest);
//
// Syntax (Vixie cron, as `man 5 crontab` describes it):
//   minute hour day-of-month month day-of-week
//   - each field: `*`, a number, a range `1-5`, a list `1,3,5-7`, a step `*/15`, `1-30/10`
//     or `5/10` (= 5-max/10);
//   - months may be named JAN..DEC and weekdays SUN..SAT (any case); weekday 7 is Sunday;
//     `?` is accepted as `*` in the two day fields (Kubernetes' CronJob accepts it too);
//   - `@yearly` (`@annually`), `@monthly`, `@weekly`, `@daily` (`@midnight`), `@hourly`.
//   - Day-of-month and day-of-week: when BOTH are restricted (neither field starts with
//     `*`), a day matches if EITHER matches ("0 0 13 * 5" fires on every Friday and on
//     every 13th); otherwise a day must match both. This is Vixie cron's rule. Caveat:
//     robfig/cron (Kubernetes' CronJob) treats a stepped star such as `*/2` as restricted;
//     Vixie cron and this parser do not.
//
// Errors: parse() throws cron_error naming the field and the offending text. Schedules
// that can never fire ("0 0 30 2 *", February 30th) are refused at parse time, so
// next_after() of a parsed schedule finds a time within a few years.
// Not supported: time zones (`TZ=` / `CRON_TZ=` prefixes), seconds, `L`, `W`, `#`, `@every`.

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace crontab {

/// A cron expression that does not parse; what() says which field and why.
class cron_error : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

class CronSchedule {
 public:
  using time_point = std::chrono::sys_seconds;

  /// Parses a five-field expression or an @-macro. Throws cron_error.
  [[nodiscard]] static CronSchedule parse(std::string_view spec);
  /// Like parse(), returning the error message instead of throwing.
  [[nodiscard]] static std::optional<CronSchedule> try_parse(std::string_view spec, std::string* error = nullptr);

  /// Whether the schedule fires at the minute that contains `t`.
  [[nodiscard]] bool matches(time_point t) const noexcept;
  /// The first firing time strictly after `t` (always a whole minute).
  [[nodiscard]] time_point next_after(time_point t) const;
  /// The last firing time at or before `t`.
  [[nodiscard]] time_point last_at_or_before(time_point t) const;

  /// What was due in the interval (since, now].
  struct DueRuns {
    /// The latest firing time in the interval, if any.
    std::optional<time_point> latest;
    /// How many firing times the interval holds, counted up to limit + 1.
    std::uint64_t count = 0;
    /// More than `limit` runs were due (the clock jumped, or the operator was down long).
    bool too_many = false;
  };
  /// The most recent firing time in (since, now] and how many there were. Counting stops
  /// after `limit` + 1 (Kubernetes' CronJob controller warns beyond 100 missed start times);
  /// `latest` is exact whatever the count.
  [[nodiscard]] DueRuns most_recent(time_point since, time_point now, std::uint64_t limit = 100) const;

  /// The expression as written.
  [[nodiscard]] const std::string& spec() const noexcept { return spec_; }

  friend bool operator==(const CronSchedule& a, const CronSchedule& b) noexcept {
    return a.minutes_ == b.minutes_ && a.hours_ == b.hours_ && a.days_of_month_ == b.days_of_month_ &&
           a.months_ == b.months_ && a.days_of_week_ == b.days_of_week_ &&
           a.day_of_month_restricted_ == b.day_of_month_restricted_ &&
           a.day_of_week_restricted_ == b.day_of_week_restricted_;
  }

 private:
  CronSchedule() = default;
  bool day_matches(std::chrono::year_month_day date) const noexcept;

  std::string spec_;
  // Bit i set: value i is allowed. Days of month use bits 1..31, months 1..12, weekdays
  // 0..6 (Sunday = 0).
  std::uint64_t minutes_ = 0;
  std::uint32_t hours_ = 0;
  std::uint32_t days_of_month_ = 0;
  std::uint16_t months_ = 0;
  std::uint8_t days_of_week_ = 0;
  bool day_of_month_restricted_ = false;
  bool day_of_week_restricted_ = false;
};

}  // namespace crontab
