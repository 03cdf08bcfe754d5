#pragma once
// A custom resource with two versions that convert with loss, for the conversion webhook's
// tests (unit and against the real API server): v1 holds the schedule as one cron text,
// v2 as minute and hour only (a v1 schedule with a day field has no v2 form) plus a field
// v1 does not have (paused). Its own group, so that its CRD clashes with nothing on the
// shared control plane.

#include <kopp/core.hpp>

#include <boost/describe/class.hpp>

#include <optional>
#include <sstream>
#include <string>

namespace kopp_test {

struct TimerSpecV1 {
  std::string cronSpec;
  std::string image;
};
BOOST_DESCRIBE_STRUCT(TimerSpecV1, (), (cronSpec, image))
struct TimerV1 {
  std::string apiVersion;
  std::string kind;
  kopp::ObjectMeta metadata;
  TimerSpecV1 spec;
};
BOOST_DESCRIBE_STRUCT(TimerV1, (), (apiVersion, kind, metadata, spec))
KOPP_RESOURCE(TimerV1, "webhooktest.kopp.dev", "v1", "Timer", "timers", namespaced)

struct TimerSchedule {
  std::string minute;
  std::string hour;
};
BOOST_DESCRIBE_STRUCT(TimerSchedule, (), (minute, hour))
struct TimerSpecV2 {
  TimerSchedule schedule;
  std::string image;
  std::optional<bool> paused;
};
BOOST_DESCRIBE_STRUCT(TimerSpecV2, (), (schedule, image, paused))
struct TimerV2 {
  std::string apiVersion;
  std::string kind;
  kopp::ObjectMeta metadata;
  TimerSpecV2 spec;
};
BOOST_DESCRIBE_STRUCT(TimerV2, (), (apiVersion, kind, metadata, spec))
KOPP_RESOURCE(TimerV2, "webhooktest.kopp.dev", "v2", "Timer", "timers", namespaced)

/// The spoke's conversions: v2 -> v1 writes "minute hour * * *"; v1 -> v2 keeps the first
/// two fields of the cron text.
inline void timer_v2_to_v1(const TimerV2& from, TimerV1& to) {
  to.spec.cronSpec = from.spec.schedule.minute + " " + from.spec.schedule.hour + " * * *";
  to.spec.image = from.spec.image;
}
inline void timer_v1_to_v2(const TimerV1& from, TimerV2& to) {
  std::istringstream words(from.spec.cronSpec);
  words >> to.spec.schedule.minute >> to.spec.schedule.hour;
  to.spec.image = from.spec.image;
}

}  // namespace kopp_test
