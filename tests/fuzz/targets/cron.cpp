// The CronTab example's cron parser: never crashes; a refused expression says why; for an
// accepted one, next_after() is a later whole minute that matches, last_at_or_before() of it
// is itself, and most_recent() over the interval finds it.
#include "../fuzz_check.hpp"

#include <crontab/schedule.hpp>

#include <chrono>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace std::chrono;
  const std::string_view spec = kopp_fuzz::as_text(data, size);
  std::string error;
  const auto schedule = crontab::CronSchedule::try_parse(spec, &error);
  if (!schedule) {
    KOPP_FUZZ_CHECK(!error.empty());
    return 0;
  }
  const crontab::CronSchedule::time_point start = sys_days{year{2026} / 2 / 28} + hours{23} + minutes{59} + seconds{30};
  const auto next = schedule->next_after(start);
  KOPP_FUZZ_CHECK(next > start);
  KOPP_FUZZ_CHECK(next.time_since_epoch() % minutes{1} == seconds{0});
  KOPP_FUZZ_CHECK(schedule->matches(next));
  KOPP_FUZZ_CHECK(schedule->last_at_or_before(next) == next);
  const auto due = schedule->most_recent(start, next, 10);
  KOPP_FUZZ_CHECK(due.latest == next);
  KOPP_FUZZ_CHECK(due.count == 1);
  return 0;
}
