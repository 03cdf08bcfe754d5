#pragma once
// The CronTab custom resource (example.com/v1): "run this image on this cron schedule",
// the CRD of the tutorial grown into a small CronJob. The same described structs give the
// JSON mapping (kopp/core/json.hpp) and, with the field rules next to them, the CRD's
// OpenAPI schema (crd.hpp; config/crd/ holds the generated YAML).
//
//   apiVersion: example.com/v1
//   kind: CronTab
//   metadata: {name: backup}
//   spec:
//     cronSpec: "*/5 * * * *"
//     image: busybox:1.36
//     replicas: 1
//     concurrencyPolicy: Forbid
//
// Optional fields are std::optional so that "not set" and "set to the zero value" stay
// different (suspend: false vs absent) and a read-modify-write sends back what it read.
// The defaults the API server fills in (from the CRD schema) are repeated in the *_or()
// accessors, because objects written before a default existed do not have them.

#include <kopp/api/core/v1.hpp>
#include <kopp/core/condition.hpp>
#include <kopp/core/crd/field_rules.hpp>
#include <kopp/core/object_meta.hpp>
#include <kopp/core/resource.hpp>
#include <kopp/core/time.hpp>
#include <kopp/core/unknown_fields.hpp>

#include <boost/describe/class.hpp>
#include <boost/describe/enum.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace crontab {

/// What to do when a run is due while Jobs of earlier runs are still active.
enum class ConcurrencyPolicy {
  Allow,    ///< start the new Job anyway (runs may overlap)
  Forbid,   ///< skip this run
  Replace,  ///< delete the active Jobs, then start the new one
};
BOOST_DESCRIBE_ENUM(ConcurrencyPolicy, Allow, Forbid, Replace)

struct CronTabSpec {
  /// Five-field cron schedule in UTC, e.g. "*/5 * * * *", or @hourly/@daily/...
  std::string cronSpec;
  /// Container image each Job runs ("" until the defaulting webhook fills it in).
  std::string image;
  /// Pods each Job runs in parallel (the Job's parallelism and completions).
  std::optional<std::int32_t> replicas;
  /// True: start no new Jobs (running ones continue).
  std::optional<bool> suspend;
  std::optional<ConcurrencyPolicy> concurrencyPolicy;
  /// A run that could not start within this many seconds of its time is skipped.
  std::optional<std::int64_t> startingDeadlineSeconds;
  std::optional<std::int32_t> successfulJobsHistoryLimit;
  std::optional<std::int32_t> failedJobsHistoryLimit;
  kopp::UnknownFields unknown_fields;

  std::int32_t replicas_or_default() const { return replicas.value_or(1); }
  bool suspended() const { return suspend.value_or(false); }
  ConcurrencyPolicy concurrency_policy() const { return concurrencyPolicy.value_or(ConcurrencyPolicy::Allow); }
  std::int32_t successful_history_limit() const { return successfulJobsHistoryLimit.value_or(3); }
  std::int32_t failed_history_limit() const { return failedJobsHistoryLimit.value_or(1); }
};
BOOST_DESCRIBE_STRUCT(CronTabSpec, (),
                      (cronSpec, image, replicas, suspend, concurrencyPolicy, startingDeadlineSeconds,
                       successfulJobsHistoryLimit, failedJobsHistoryLimit, unknown_fields))
// The server checks the shape; the operator parses the schedule itself and reports what the
// pattern cannot catch (a 61st minute, February 30th) as an InvalidSpec condition and event.
KOPP_CRD_FIELDS(
    CronTabSpec,
    kopp::crd::field("cronSpec")
        .description("Schedule in cron format, in UTC: five fields (minute hour day-of-month month "
                     "day-of-week) with ranges, steps, lists and JAN..DEC / SUN..SAT names, or one of "
                     "@yearly, @monthly, @weekly, @daily, @hourly.")
        .required()
        .max_length(256)
        .pattern(
            R"(^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|([0-9A-Za-z*?,/-]+[ \t]+){4}[0-9A-Za-z*?,/-]+)$)"),
    // Not required: the defaulting webhook fills in the operator's --default-image.
    kopp::crd::field("image")
        .description("Container image each run's Job starts; default: the operator's --default-image.")
        .min_length(1),
    kopp::crd::field("replicas")
        .description("Pods each Job runs in parallel (its parallelism and completions).")
        .minimum(1)
        .maximum(100)
        .default_value(1),
    kopp::crd::field("suspend").description("True: no new runs start; running Jobs go on.").default_value(false),
    kopp::crd::field("concurrencyPolicy")
        .description("When a run is due while an earlier one is active: Allow (run both), Forbid (skip the "
                     "new run) or Replace (delete the active Jobs, then start).")
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

struct CronTabStatus {
  /// The Jobs of this CronTab that are running.
  std::vector<kopp::api::core::v1::ObjectReference> active;
  /// The time of the last run a Job was started for.
  std::optional<kopp::Time> lastScheduleTime;
  /// When the last successful Job completed.
  std::optional<kopp::Time> lastSuccessfulTime;
  /// `Ready` (the spec is valid and the schedule is followed) and its reasons.
  std::vector<kopp::Condition> conditions;
  /// The metadata.generation the status describes.
  std::optional<std::int64_t> observedGeneration;
  kopp::UnknownFields unknown_fields;

  friend bool operator==(const CronTabStatus&, const CronTabStatus&) = default;
};
BOOST_DESCRIBE_STRUCT(CronTabStatus, (),
                      (active, lastScheduleTime, lastSuccessfulTime, conditions, observedGeneration, unknown_fields))
KOPP_CRD_FIELDS(
    CronTabStatus, kopp::crd::field("active").description("The Jobs of this CronTab that are running."),
    kopp::crd::field("lastScheduleTime").description("The scheduled time of the last run a Job was started for."),
    kopp::crd::field("lastSuccessfulTime").description("When the last successful Job completed."),
    kopp::crd::field("conditions")
        .description("Ready: the spec is valid and followed (False with reason InvalidSpec or Suspended).")
        .list_map_keys({"type"}),
    kopp::crd::field("observedGeneration").description("The metadata.generation this status describes."))
KOPP_CRD_DOC(CronTabStatus, "CronTabStatus is what the operator observed and did.")

struct CronTab {
  std::string apiVersion;
  std::string kind;
  kopp::ObjectMeta metadata;
  CronTabSpec spec;
  CronTabStatus status;
  kopp::UnknownFields unknown_fields;
};
BOOST_DESCRIBE_STRUCT(CronTab, (), (apiVersion, kind, metadata, spec, status, unknown_fields))
KOPP_RESOURCE(CronTab, "example.com", "v1", "CronTab", "crontabs", namespaced)
KOPP_CRD_TYPE(CronTab,
              kopp::crd::type_rule()
                  .description("CronTab runs a container image as a Job on a cron schedule.")
                  // Job names are `<name>-<minutes>` and also label values (63 characters at most).
                  .validation("self.metadata.name.size() <= 52", "metadata.name must be at most 52 characters"))

/// The condition type the operator maintains.
inline constexpr std::string_view condition_ready = "Ready";

}  // namespace crontab
