#include <crontab/schedule.hpp>

#include <array>
#include <bit>
#include <cctype>
#include <charconv>
#include <vector>

namespace crontab {
namespace {

using namespace std::chrono;

struct FieldSpec {
  std::string_view name;
  int min;
  int max;
  // Three-letter names for values min.. (months) or 0.. (weekdays); empty when none.
  const std::array<std::string_view, 12>* names;
  int first_named;
};

constexpr std::array<std::string_view, 12> month_names = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<std::string_view, 12> weekday_names = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

const FieldSpec minute_field{"minute", 0, 59, nullptr, 0};
const FieldSpec hour_field{"hour", 0, 23, nullptr, 0};
const FieldSpec day_of_month_field{"day-of-month", 1, 31, nullptr, 0};
const FieldSpec month_field{"month", 1, 12, &month_names, 1};
// 7 is Sunday as well as 0: ranges such as 5-7 (Friday to Sunday) are common.
const FieldSpec day_of_week_field{"day-of-week", 0, 7, &weekday_names, 0};

// How many years next_after / last_at_or_before search. A schedule that parses fires
// again within 8 years (February 29th), or within about 40 when it also asks for a weekday
// (February 29th on a Monday, across a century that skips a leap year); the bound only
// guards against a bug turning into an endless loop.
constexpr int search_years = 50;

std::string upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

[[noreturn]] void fail(std::string_view spec, const FieldSpec& field, std::string_view problem) {
  throw cron_error("invalid cron schedule \"" + std::string(spec) + "\": " + std::string(field.name) +
                   " field: " + std::string(problem));
}

int parse_value(std::string_view spec, const FieldSpec& field, std::string_view text) {
  if (text.empty()) fail(spec, field, "missing value");
  if (field.names != nullptr && std::isalpha(static_cast<unsigned char>(text.front()))) {
    const std::string name = upper(text);
    for (std::size_t i = 0; i < field.names->size(); ++i)
      if (!(*field.names)[i].empty() && (*field.names)[i] == name) return field.first_named + static_cast<int>(i);
    fail(spec, field, "unknown name \"" + std::string(text) + "\"");
  }
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size())
    fail(spec, field, "\"" + std::string(text) + "\" is not a number");
  if (value < field.min || value > field.max)
    fail(spec, field,
         std::to_string(value) + " is out of range " + std::to_string(field.min) + "-" + std::to_string(field.max));
  return value;
}

// The allowed values of one field as a bit set, and whether the field starts with `*`
// (Vixie cron's test for an unrestricted day field).
struct ParsedField {
  std::uint64_t bits = 0;
  bool star = false;
};

ParsedField parse_field(std::string_view spec, const FieldSpec& field, std::string_view text) {
  ParsedField out;
  out.star = !text.empty() && (text.front() == '*' || text.front() == '?');
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t comma = std::min(text.find(',', pos), text.size());
    const std::string_view item = text.substr(pos, comma - pos);
    if (item.empty()) fail(spec, field, "empty list item in \"" + std::string(text) + "\"");

    std::string_view range = item;
    int step = 1;
    bool has_step = false;
    if (const auto slash = item.find('/'); slash != std::string_view::npos) {
      range = item.substr(0, slash);
      const std::string_view step_text = item.substr(slash + 1);
      const auto [end, ec] = std::from_chars(step_text.data(), step_text.data() + step_text.size(), step);
      if (step_text.empty() || ec != std::errc() || end != step_text.data() + step_text.size() || step < 1 ||
          step > field.max - field.min + 1)
        fail(spec, field, "invalid step \"" + std::string(step_text) + "\" in \"" + std::string(item) + "\"");
      has_step = true;
    }

    int first = field.min;
    int last = field.max;
    if (range == "*" || (range == "?" && (&field == &day_of_month_field || &field == &day_of_week_field))) {
      // the whole range
    } else if (const auto dash = range.find('-'); dash != std::string_view::npos) {
      first = parse_value(spec, field, range.substr(0, dash));
      last = parse_value(spec, field, range.substr(dash + 1));
      if (first > last)
        fail(spec, field, "range \"" + std::string(range) + "\" runs backwards (wrapping ranges are not supported)");
    } else {
      first = parse_value(spec, field, range);
      // "5/10" means 5-max/10, as in cronie and Kubernetes; a plain "5" is just 5.
      last = has_step ? field.max : first;
    }
    for (int v = first; v <= last; v += step) out.bits |= std::uint64_t{1} << v;

    if (comma == text.size()) break;
    pos = comma + 1;
  }
  return out;
}

std::string_view expand_macro(std::string_view spec) {
  const std::string name = upper(spec);
  if (name == "@YEARLY" || name == "@ANNUALLY") return "0 0 1 1 *";
  if (name == "@MONTHLY") return "0 0 1 * *";
  if (name == "@WEEKLY") return "0 0 * * 0";
  if (name == "@DAILY" || name == "@MIDNIGHT") return "0 0 * * *";
  if (name == "@HOURLY") return "0 * * * *";
  throw cron_error("invalid cron schedule \"" + std::string(spec) +
                   "\": unknown macro (use @yearly, @monthly, @weekly, @daily or @hourly)");
}

std::vector<std::string_view> split_fields(std::string_view text) {
  std::vector<std::string_view> fields;
  std::size_t pos = 0;
  while (pos < text.size()) {
    while (pos < text.size() && std::isspace(static_cast<unsigned char>(text[pos]))) ++pos;
    if (pos == text.size()) break;
    const std::size_t start = pos;
    while (pos < text.size() && !std::isspace(static_cast<unsigned char>(text[pos]))) ++pos;
    fields.push_back(text.substr(start, pos - start));
  }
  return fields;
}

unsigned last_day_of(year y, month m) { return static_cast<unsigned>((y / m / last).day()); }

// The lowest set bit of `bits` at or above `from`, or -1.
int first_bit_at_or_after(std::uint64_t bits, int from) {
  if (from >= 64) return -1;
  const std::uint64_t masked = bits & (~std::uint64_t{0} << from);
  return masked == 0 ? -1 : std::countr_zero(masked);
}

// The highest set bit of `bits` at or below `from`, or -1.
int last_bit_at_or_before(std::uint64_t bits, int from) {
  if (from < 0) return -1;
  const std::uint64_t masked = from >= 63 ? bits : bits & ((std::uint64_t{1} << (from + 1)) - 1);
  return masked == 0 ? -1 : 63 - std::countl_zero(masked);
}

}  // namespace

CronSchedule CronSchedule::parse(std::string_view spec) {
  std::string_view text = spec;
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  if (text.empty()) throw cron_error("invalid cron schedule: it is empty");
  if (text.starts_with("TZ=") || text.starts_with("CRON_TZ="))
    throw cron_error("invalid cron schedule \"" + std::string(spec) +
                     "\": time zones are not supported (times are UTC)");
  if (text.front() == '@') text = expand_macro(text);

  const std::vector<std::string_view> fields = split_fields(text);
  if (fields.size() != 5)
    throw cron_error("invalid cron schedule \"" + std::string(spec) + "\": expected 5 fields (minute hour " +
                     "day-of-month month day-of-week), got " + std::to_string(fields.size()));

  CronSchedule schedule;
  schedule.spec_ = std::string(spec);
  schedule.minutes_ = parse_field(spec, minute_field, fields[0]).bits;
  schedule.hours_ = static_cast<std::uint32_t>(parse_field(spec, hour_field, fields[1]).bits);
  const ParsedField dom = parse_field(spec, day_of_month_field, fields[2]);
  schedule.days_of_month_ = static_cast<std::uint32_t>(dom.bits);
  schedule.months_ = static_cast<std::uint16_t>(parse_field(spec, month_field, fields[3]).bits);
  const ParsedField dow = parse_field(spec, day_of_week_field, fields[4]);
  // Fold 7 (Sunday) onto 0.
  schedule.days_of_week_ = static_cast<std::uint8_t>((dow.bits | (dow.bits >> 7)) & 0x7f);
  schedule.day_of_month_restricted_ = !dom.star;
  schedule.day_of_week_restricted_ = !dow.star;

  // A schedule whose days must match day-of-month must name a day that exists in one of
  // its months; otherwise it would never fire ("0 0 31 4 *", "0 0 30 2 *").
  // (When both day fields are restricted, any weekday will do, and every month has one.)
  if (!(schedule.day_of_month_restricted_ && schedule.day_of_week_restricted_)) {
    bool possible = false;
    for (unsigned m = 1; m <= 12 && !possible; ++m) {
      if ((schedule.months_ & (1u << m)) == 0) continue;
      const unsigned longest = m == 2 ? 29 : last_day_of(year(2000), month(m));  // 2000 is a leap year
      possible = last_bit_at_or_before(schedule.days_of_month_, static_cast<int>(longest)) >= 1;
    }
    if (!possible)
      throw cron_error("invalid cron schedule \"" + std::string(spec) +
                       "\": the day-of-month never occurs in the given months, so it would never run");
  }
  return schedule;
}

std::optional<CronSchedule> CronSchedule::try_parse(std::string_view spec, std::string* error) {
  try {
    return parse(spec);
  } catch (const cron_error& e) {
    if (error != nullptr) *error = e.what();
    return std::nullopt;
  }
}

bool CronSchedule::day_matches(year_month_day date) const noexcept {
  const bool dom = (days_of_month_ >> static_cast<unsigned>(date.day())) & 1u;
  const bool dow = (days_of_week_ >> weekday(sys_days(date)).c_encoding()) & 1u;
  if (day_of_month_restricted_ && day_of_week_restricted_) return dom || dow;
  return dom && dow;
}

bool CronSchedule::matches(time_point t) const noexcept {
  const sys_days day = floor<days>(t);
  const year_month_day ymd(day);
  const hh_mm_ss<seconds> tod(t - day);
  return ((months_ >> static_cast<unsigned>(ymd.month())) & 1u) && day_matches(ymd) &&
         ((hours_ >> tod.hours().count()) & 1u) && ((minutes_ >> tod.minutes().count()) & 1u);
}

CronSchedule::time_point CronSchedule::next_after(time_point t) const {
  const sys_seconds start = floor<minutes>(t) + minutes(1);
  const sys_days start_day = floor<days>(start);
  const year_month_day start_ymd(start_day);
  const hh_mm_ss<seconds> start_tod(start - start_day);

  // Walk months, then days, then hours, then minutes; whenever a coarser unit moves
  // forward, the finer ones restart at their minimum.
  year y = start_ymd.year();
  unsigned m = static_cast<unsigned>(start_ymd.month());
  unsigned d = static_cast<unsigned>(start_ymd.day());
  int h = static_cast<int>(start_tod.hours().count());
  int min = static_cast<int>(start_tod.minutes().count());
  const year stop = y + years(search_years);
  for (; y < stop; ++y, m = 1) {
    for (; m <= 12; ++m, d = 1, h = 0, min = 0) {
      if ((months_ & (1u << m)) == 0) continue;
      const unsigned last_day = last_day_of(y, month(m));
      for (; d <= last_day; ++d, h = 0, min = 0) {
        const year_month_day ymd(y, month(m), day(d));
        if (!day_matches(ymd)) continue;
        for (int hour = first_bit_at_or_after(hours_, h); hour >= 0; hour = first_bit_at_or_after(hours_, hour + 1)) {
          const int found = first_bit_at_or_after(minutes_, hour == h ? min : 0);
          if (found >= 0) return sys_days(ymd) + hours(hour) + minutes(found);
        }
      }
    }
  }
  throw std::logic_error("cron schedule \"" + spec_ + "\" does not fire within " + std::to_string(search_years) +
                         " years");
}

CronSchedule::time_point CronSchedule::last_at_or_before(time_point t) const {
  const sys_seconds start = floor<minutes>(t);
  const sys_days start_day = floor<days>(start);
  const year_month_day start_ymd(start_day);
  const hh_mm_ss<seconds> start_tod(start - start_day);

  // The mirror image of next_after: finer units restart at their maximum.
  year y = start_ymd.year();
  unsigned m = static_cast<unsigned>(start_ymd.month());
  unsigned d = static_cast<unsigned>(start_ymd.day());
  int h = static_cast<int>(start_tod.hours().count());
  int min = static_cast<int>(start_tod.minutes().count());
  const year stop = y - years(search_years);
  for (; y > stop; --y, m = 12, d = 31) {
    for (; m >= 1; --m, d = 31, h = 23, min = 59) {
      if ((months_ & (1u << m)) == 0) continue;
      d = std::min(d, last_day_of(y, month(m)));
      for (; d >= 1; --d, h = 23, min = 59) {
        const year_month_day ymd(y, month(m), day(d));
        if (!day_matches(ymd)) continue;
        for (int hour = last_bit_at_or_before(hours_, h); hour >= 0; hour = last_bit_at_or_before(hours_, hour - 1)) {
          const int found = last_bit_at_or_before(minutes_, hour == h ? min : 59);
          if (found >= 0) return sys_days(ymd) + hours(hour) + minutes(found);
        }
      }
    }
  }
  throw std::logic_error("cron schedule \"" + spec_ + "\" did not fire within " + std::to_string(search_years) +
                         " years");
}

CronSchedule::DueRuns CronSchedule::most_recent(time_point since, time_point now, std::uint64_t limit) const {
  DueRuns due;
  if (now <= since) return due;
  const time_point latest = last_at_or_before(now);
  if (latest <= since) return due;
  due.latest = latest;
  for (time_point t = next_after(since); t <= now; t = next_after(t)) {
    if (++due.count > limit) {
      due.too_many = true;
      break;
    }
  }
  return due;
}

}  // namespace crontab
