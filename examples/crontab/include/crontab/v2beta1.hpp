#pragma once
// CronTab example.com/v2beta1: the same resource with the schedule as fields rather than
// one cron text, served beside v1 through the operator's conversion webhook (kubebuilder's
// multi-version tutorial, in C++).
//
//   apiVersion: example.com/v2beta1
//   kind: CronTab
//   metadata: {name: backup}
//   spec:
//     schedule: {minute: "*/5", hour: "9-17"}   # unset fields are "*"
//     image: busybox:1.36
//
// v1 stays the storage version and the hub; the operator reconciles v1 only. The API server
// stores what is written in v2beta1 as v1 and converts v1 to v2beta1 for clients that ask for
// it, calling /convert (kopp's ConversionBuilder, src/conversion.cpp). v1 also stays the
// preferred version (a GA version ranks above a beta one), so kubectl, the garbage collector
// and the namespace controller keep reading v1 and never depend on the webhook; when v2
// graduates it becomes the preferred version, and the webhook must be up for anyone to read
// CronTabs.

#include <crontab/types.hpp>

#include <boost/describe/class.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace crontab::v2beta1 {

/// The five fields of a cron schedule; an unset field is "*" (every value).
struct Schedule {
  std::optional<std::string> minute;
  std::optional<std::string> hour;
  std::optional<std::string> dayOfMonth;
  std::optional<std::string> month;
  std::optional<std::string> dayOfWeek;
  kopp::UnknownFields unknown_fields;
};
BOOST_DESCRIBE_STRUCT(Schedule, (), (minute, hour, dayOfMonth, month, dayOfWeek, unknown_fields))
KOPP_CRD_FIELDS(Schedule, kopp::crd::field("minute").description("0-59, with ranges, steps and lists; default *."),
                kopp::crd::field("hour").description("0-23; default *."),
                kopp::crd::field("dayOfMonth").description("1-31; default *."),
                kopp::crd::field("month").description("1-12 or JAN-DEC; default *."),
                kopp::crd::field("dayOfWeek").description("0-6 (Sunday 0) or SUN-SAT; default *."))
KOPP_CRD_DOC(Schedule, "A cron schedule in UTC, one field at a time.")

/// v1's spec with `schedule` instead of `cronSpec`.
struct CronTabSpec {
  Schedule schedule;
  std::string image;
  std::optional<std::int32_t> replicas;
  std::optional<bool> suspend;
  std::optional<ConcurrencyPolicy> concurrencyPolicy;
  std::optional<std::int64_t> startingDeadlineSeconds;
  std::optional<std::int32_t> successfulJobsHistoryLimit;
  std::optional<std::int32_t> failedJobsHistoryLimit;
  kopp::UnknownFields unknown_fields;
};
BOOST_DESCRIBE_STRUCT(CronTabSpec, (),
                      (schedule, image, replicas, suspend, concurrencyPolicy, startingDeadlineSeconds,
                       successfulJobsHistoryLimit, failedJobsHistoryLimit, unknown_fields))
// The same rules and defaults as v1 (types.hpp), schedule aside.
KOPP_CRD_FIELDS(
    CronTabSpec, kopp::crd::field("schedule").description("When to run, in UTC.").required(),
    kopp::crd::field("image").description("Container image each run's Job starts.").min_length(1),
    kopp::crd::field("replicas")
        .description("Pods each Job runs in parallel (its parallelism and completions).")
        .minimum(1)
        .maximum(100)
        .default_value(1),
    kopp::crd::field("suspend").description("True: no new runs start; running Jobs go on.").default_value(false),
    kopp::crd::field("concurrencyPolicy")
        .description("When a run is due while an earlier one is active: Allow, Forbid or Replace.")
        .default_value("Allow"),
    kopp::crd::field("startingDeadlineSeconds")
        .description("A run that cannot start within this many seconds of its scheduled time is skipped.")
        .minimum(0),
    kopp::crd::field("successfulJobsHistoryLimit")
        .description("Finished successful Jobs to keep (oldest deleted first).")
        .minimum(0)
        .default_value(3),
    kopp::crd::field("failedJobsHistoryLimit")
        .description("Failed Jobs to keep (oldest deleted first).")
        .minimum(0)
        .default_value(1))
KOPP_CRD_DOC(CronTabSpec, "CronTabSpec is the schedule and the Job to run.")

struct CronTab {
  std::string apiVersion;
  std::string kind;
  kopp::ObjectMeta metadata;
  CronTabSpec spec;
  CronTabStatus status;  // v1's: the status did not change
  kopp::UnknownFields unknown_fields;
};
BOOST_DESCRIBE_STRUCT(CronTab, (), (apiVersion, kind, metadata, spec, status, unknown_fields))
KOPP_RESOURCE(CronTab, "example.com", "v2beta1", "CronTab", "crontabs", namespaced)
KOPP_CRD_TYPE(CronTab,
              kopp::crd::type_rule()
                  .description("CronTab runs a container image as a Job on a cron schedule.")
                  .validation("self.metadata.name.size() <= 52", "metadata.name must be at most 52 characters"))

/// v2beta1 -> v1 (the hub): the fields joined into cronSpec, unset ones as "*".
void to_v1(const CronTab& from, crontab::CronTab& to);
/// v1 -> v2beta1: an @-macro is written out first (@hourly: "0 * * * *"); a cronSpec that
/// does not have five fields (one stored before the webhook checked them) goes whole into
/// `minute`. Either way kopp's round-trip record restores v1's exact text when the object
/// comes back unchanged.
void from_v1(const crontab::CronTab& from, CronTab& to);

}  // namespace crontab::v2beta1
