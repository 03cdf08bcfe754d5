#pragma once
// The reconcile decision as a pure function: given a CronTab, the Jobs it owns and the
// time, which Job to start, which to delete, what the status should say, which events to
// record and when to look again. No I/O, so every rule (concurrency policies, deadlines,
// history limits, suspend, missed runs) is unit-tested without a server; the reconciler
// (reconciler.hpp) only gathers the inputs and carries the plan out.
//
// Idempotence: a run's Job has a deterministic name, `<crontab>-<scheduled unix minutes>`
// (job_name()), so a plan made again from stale data (a cache that has not seen the Job
// yet, a restarted operator) asks for the same Job, and creating it again fails with
// AlreadyExists, which the reconciler treats as success.

#include <crontab/schedule.hpp>
#include <crontab/types.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace crontab {

/// The label that marks the Jobs of a CronTab (its value: the CronTab's name).
inline constexpr std::string_view crontab_label = "example.com/crontab";
/// The annotation holding the RFC 3339 time a Job's run was scheduled for.
inline constexpr std::string_view scheduled_time_annotation = "example.com/scheduled-time";
/// Longest CronTab name: `-` and the minutes (8 digits until the year 2160) must still fit
/// in a Job name that is also a label value (63 characters), as for CronJob.
inline constexpr std::size_t max_crontab_name_length = 52;

/// What the plan needs to know of one Job.
struct JobInfo {
  enum class State { active, succeeded, failed };

  std::string name;
  std::string uid;
  std::string resource_version;
  /// The run it was started for (annotation, else the name's suffix).
  std::optional<std::chrono::sys_seconds> scheduled_time;
  State state = State::active;
  /// completionTime (succeeded) or the time of the Failed condition.
  std::optional<std::chrono::sys_seconds> finished_time;
  /// deletionTimestamp is set: it is going away and counts neither as active nor as history.
  bool being_deleted = false;
};

struct PlannedEvent {
  bool warning = false;
  std::string reason;
  std::string note;
  friend bool operator==(const PlannedEvent&, const PlannedEvent&) = default;
};

struct Plan {
  /// Why the spec cannot be followed (the reconcile then fails terminally); nothing else
  /// of the plan but `status` and `events` applies.
  std::optional<std::string> invalid_spec;
  /// Start a Job for this scheduled time (named job_name(crontab, *start)).
  std::optional<std::chrono::sys_seconds> start;
  /// Active Jobs to delete before starting (concurrencyPolicy Replace).
  std::vector<std::string> replace;
  /// Finished Jobs beyond the history limits, oldest first.
  std::vector<std::string> trim;
  /// The status after the plan, except the started Job's reference, which the reconciler
  /// adds to `active` once the API server gave the Job its uid.
  CronTabStatus status;
  std::vector<PlannedEvent> events;
  /// The next run after `now`; nullopt when suspended or invalid (nothing to wait for).
  std::optional<std::chrono::sys_seconds> next_run;
  /// How many runs were due since the last one (capped, see CronSchedule::most_recent).
  std::uint64_t due_runs = 0;
};

/// `<crontab name>-<minutes since the Unix epoch>`.
[[nodiscard]] std::string job_name(std::string_view crontab_name, std::chrono::sys_seconds scheduled);
/// The scheduled time encoded in a Job name made by job_name(), if it is one.
[[nodiscard]] std::optional<std::chrono::sys_seconds> scheduled_time_from_job_name(std::string_view crontab_name,
                                                                                   std::string_view job);

/// The status.active entry of a Job of `crontab`.
[[nodiscard]] kopp::api::core::v1::ObjectReference job_reference(const CronTab& crontab, std::string name,
                                                                 std::string uid);

/// Checks what the CRD's schema also checks (objects may predate the CRD, or be written
/// with validation off); returns the first problem or nullopt.
[[nodiscard]] std::optional<std::string> validate(const CronTab& crontab);

/// The decision. `now` is the wall clock (UTC); sub-second precision is kept for nothing
/// but is harmless.
[[nodiscard]] Plan plan_reconcile(const CronTab& crontab, const std::vector<JobInfo>& jobs,
                                  std::chrono::system_clock::time_point now);

}  // namespace crontab
