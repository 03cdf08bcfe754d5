#pragma once
// The batch/v1 Jobs of a CronTab: the Job a run starts, and what the plan needs to know of
// an existing Job. Pure functions, unit-tested without a server.

#include <crontab/plan.hpp>
#include <crontab/types.hpp>

#include <kopp/api/batch/v1.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace crontab {

using Job = kopp::api::batch::v1::Job;

/// The Job for the run scheduled at `scheduled`: named job_name(), labelled and annotated
/// with its CronTab and time, controlled by the CronTab (garbage-collected with it, and
/// its changes requeue the CronTab), running spec.image with spec.replicas pods.
[[nodiscard]] Job make_job(const CronTab& crontab, std::chrono::sys_seconds scheduled);

/// What plan_reconcile() needs to know of `job`: its run's time, whether it is active,
/// succeeded or failed, and when it finished.
[[nodiscard]] JobInfo job_info(const CronTab& crontab, const Job& job);

/// Whether `job` finished: a Complete or Failed condition with status True.
[[nodiscard]] bool is_finished(const Job& job, JobInfo::State* state = nullptr,
                               std::optional<std::chrono::sys_seconds>* finished_at = nullptr);

}  // namespace crontab
