#include <crontab/v2beta1.hpp>

#include <array>
#include <sstream>
#include <string_view>
#include <utility>
#include <vector>

namespace crontab::v2beta1 {

namespace {

/// The five-field form of an @-macro, as the schedule parser reads it; the text otherwise.
std::string_view expand_macro(std::string_view spec) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 7> macros{{
      {"@yearly", "0 0 1 1 *"},
      {"@annually", "0 0 1 1 *"},
      {"@monthly", "0 0 1 * *"},
      {"@weekly", "0 0 * * 0"},
      {"@daily", "0 0 * * *"},
      {"@midnight", "0 0 * * *"},
      {"@hourly", "0 * * * *"},
  }};
  for (const auto& [macro, fields] : macros)
    if (spec == macro) return fields;
  return spec;
}

template <class Spec, class OtherSpec>
void copy_common(const Spec& from, OtherSpec& to) {
  to.image = from.image;
  to.replicas = from.replicas;
  to.suspend = from.suspend;
  to.concurrencyPolicy = from.concurrencyPolicy;
  to.startingDeadlineSeconds = from.startingDeadlineSeconds;
  to.successfulJobsHistoryLimit = from.successfulJobsHistoryLimit;
  to.failedJobsHistoryLimit = from.failedJobsHistoryLimit;
}

}  // namespace

void to_v1(const CronTab& from, crontab::CronTab& to) {
  const Schedule& s = from.spec.schedule;
  std::string spec;
  for (const auto* field : {&s.minute, &s.hour, &s.dayOfMonth, &s.month, &s.dayOfWeek}) {
    if (!spec.empty()) spec += ' ';
    spec += field->value_or("*");
  }
  to.spec.cronSpec = std::move(spec);
  copy_common(from.spec, to.spec);
  to.status = from.status;
}

void from_v1(const crontab::CronTab& from, CronTab& to) {
  std::istringstream words{std::string(expand_macro(from.spec.cronSpec))};
  std::vector<std::string> fields;
  for (std::string word; words >> word;) fields.push_back(word);
  Schedule& s = to.spec.schedule;
  if (fields.size() == 5) {
    s.minute = fields[0];
    s.hour = fields[1];
    s.dayOfMonth = fields[2];
    s.month = fields[3];
    s.dayOfWeek = fields[4];
  } else {
    s.minute = from.spec.cronSpec;
  }
  copy_common(from.spec, to.spec);
  to.status = from.status;
}

}  // namespace crontab::v2beta1
