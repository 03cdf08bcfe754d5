#include <crontab/plan.hpp>

#include <algorithm>
#include <charconv>

namespace crontab {
namespace {

using namespace std::chrono;

// Kubernetes' CronJob controller warns beyond 100 missed start times; so do we.
constexpr std::uint64_t missed_runs_limit = 100;

bool earlier(const JobInfo* a, const JobInfo* b) {
  const auto ta = a->scheduled_time.value_or(sys_seconds::min());
  const auto tb = b->scheduled_time.value_or(sys_seconds::min());
  return ta != tb ? ta < tb : a->name < b->name;
}

void later_of(std::optional<kopp::Time>& field, sys_seconds t) {
  if (!field || field->time_point() < t) field = kopp::Time(t);
}

void set_ready(Plan& plan, const CronTab& crontab, bool ready, std::string reason, std::string message,
               sys_seconds now) {
  kopp::set_status_condition(plan.status.conditions,
                             kopp::make_condition(condition_ready, kopp::condition_status(ready), std::move(reason),
                                                  std::move(message), crontab.metadata.generation),
                             kopp::Time(now));
}

// Finished Jobs of one kind beyond `limit`, oldest first.
void trim_history(std::vector<const JobInfo*> finished, std::int32_t limit, std::vector<std::string>& out) {
  std::sort(finished.begin(), finished.end(), earlier);
  const auto keep = static_cast<std::size_t>(std::max(limit, 0));
  for (std::size_t i = 0; i + keep < finished.size(); ++i) out.push_back(finished[i]->name);
}

}  // namespace

kopp::api::core::v1::ObjectReference job_reference(const CronTab& crontab, std::string name, std::string uid) {
  kopp::api::core::v1::ObjectReference ref;
  ref.apiVersion = "batch/v1";
  ref.kind = "Job";
  ref.namespace_ = crontab.metadata.namespace_;
  ref.name = std::move(name);
  ref.uid = std::move(uid);
  // No resourceVersion: it changes with every Job status update and would make the
  // CronTab's status churn for nothing.
  return ref;
}

std::string job_name(std::string_view crontab_name, sys_seconds scheduled) {
  return std::string(crontab_name) + "-" + std::to_string(floor<minutes>(scheduled).time_since_epoch().count());
}

std::optional<sys_seconds> scheduled_time_from_job_name(std::string_view crontab_name, std::string_view job) {
  if (job.size() <= crontab_name.size() + 1 || !job.starts_with(crontab_name) || job[crontab_name.size()] != '-')
    return std::nullopt;
  const std::string_view digits = job.substr(crontab_name.size() + 1);
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  // Anyone who can create Jobs can choose the name: beyond the year 9999 (which kopp::Time
  // cannot write either) the minutes would overflow seconds.
  constexpr std::int64_t last_minute_of_9999 = 253402300799 / 60;
  if (ec != std::errc() || end != digits.data() + digits.size() || value < 0 || value > last_minute_of_9999)
    return std::nullopt;
  return sys_seconds(minutes(value));
}

std::optional<std::string> validate(const CronTab& crontab) {
  const CronTabSpec& spec = crontab.spec;
  if (crontab.metadata.name.size() > max_crontab_name_length)
    return "metadata.name must be at most " + std::to_string(max_crontab_name_length) +
           " characters (the Job names add the run's time)";
  std::string error;
  if (!CronSchedule::try_parse(spec.cronSpec, &error)) return "spec.cronSpec: " + error;
  if (spec.image.empty()) return std::string("spec.image is required");
  if (spec.replicas && *spec.replicas < 1)
    return "spec.replicas must be at least 1, not " + std::to_string(*spec.replicas);
  if (spec.startingDeadlineSeconds && *spec.startingDeadlineSeconds < 0)
    return std::string("spec.startingDeadlineSeconds must not be negative");
  if (spec.successfulJobsHistoryLimit && *spec.successfulJobsHistoryLimit < 0)
    return std::string("spec.successfulJobsHistoryLimit must not be negative");
  if (spec.failedJobsHistoryLimit && *spec.failedJobsHistoryLimit < 0)
    return std::string("spec.failedJobsHistoryLimit must not be negative");
  return std::nullopt;
}

Plan plan_reconcile(const CronTab& crontab, const std::vector<JobInfo>& jobs, system_clock::time_point now_precise) {
  const sys_seconds now = floor<seconds>(now_precise);
  const CronTabSpec& spec = crontab.spec;
  Plan plan;
  plan.status = crontab.status;
  if (crontab.metadata.generation != 0) plan.status.observedGeneration = crontab.metadata.generation;

  // What the Jobs say, whatever the spec: the status reports them even when the spec is
  // broken. lastScheduleTime also learns from the Jobs, so that a run whose status write
  // was lost (a crash right after creating its Job) is not started twice.
  std::vector<const JobInfo*> active;
  std::vector<const JobInfo*> succeeded;
  std::vector<const JobInfo*> failed;
  for (const JobInfo& job : jobs) {
    // A run scheduled after now was not started by this operator (its runs are never
    // early): a Job carrying such a name or annotation must not push lastScheduleTime into
    // the future, which would stop the schedule until then.
    if (job.scheduled_time && *job.scheduled_time <= now) later_of(plan.status.lastScheduleTime, *job.scheduled_time);
    if (job.being_deleted) continue;
    switch (job.state) {
      case JobInfo::State::active:
        active.push_back(&job);
        break;
      case JobInfo::State::succeeded:
        succeeded.push_back(&job);
        if (job.finished_time) later_of(plan.status.lastSuccessfulTime, *job.finished_time);
        break;
      case JobInfo::State::failed:
        failed.push_back(&job);
        break;
    }
  }
  std::sort(active.begin(), active.end(), earlier);
  plan.status.active.clear();
  for (const JobInfo* job : active) plan.status.active.push_back(job_reference(crontab, job->name, job->uid));

  if (auto problem = validate(crontab)) {
    plan.invalid_spec = *problem;
    plan.events.push_back(PlannedEvent{true, "InvalidSpec", *problem});
    set_ready(plan, crontab, false, "InvalidSpec", *problem, now);
    return plan;
  }
  const CronSchedule schedule = CronSchedule::parse(spec.cronSpec);

  trim_history(succeeded, spec.successful_history_limit(), plan.trim);
  trim_history(failed, spec.failed_history_limit(), plan.trim);

  if (spec.suspended()) {
    set_ready(plan, crontab, false, "Suspended", "spec.suspend is true: no new runs start", now);
    return plan;
  }

  // Runs are due in (since, now]. Without any run yet, the CronTab's creation is the start.
  sys_seconds since = now;
  if (plan.status.lastScheduleTime)
    since = floor<seconds>(plan.status.lastScheduleTime->time_point());
  else if (crontab.metadata.creationTimestamp)
    since = floor<seconds>(crontab.metadata.creationTimestamp->time_point());
  // A run older than the starting deadline will never start, so it is not counted as
  // missed either (as in Kubernetes' CronJob controller).
  sys_seconds counting_since = since;
  if (spec.startingDeadlineSeconds) counting_since = std::max(since, now - seconds(*spec.startingDeadlineSeconds));

  const CronSchedule::DueRuns due = schedule.most_recent(counting_since, now, missed_runs_limit);
  plan.due_runs = due.count;
  if (!due.latest && counting_since > since) {
    if (const auto missed = schedule.most_recent(since, counting_since, 0).latest) {
      plan.events.push_back(PlannedEvent{true, "MissedSchedule",
                                         "missed the run of " + kopp::Time(*missed).to_string() +
                                             ": not started within startingDeadlineSeconds (" +
                                             std::to_string(*spec.startingDeadlineSeconds) + ")"});
    }
  }
  if (due.too_many) {
    plan.events.push_back(PlannedEvent{
        true, "TooManyMissedTimes",
        "more than " + std::to_string(missed_runs_limit) +
            " runs were missed; only the latest starts. Set or decrease spec.startingDeadlineSeconds, or check "
            "the clock"});
  }

  if (due.latest) {
    const std::string name = job_name(crontab.metadata.name, *due.latest);
    const bool exists = std::any_of(jobs.begin(), jobs.end(), [&](const JobInfo& job) { return job.name == name; });
    if (!exists) {
      if (spec.concurrency_policy() == ConcurrencyPolicy::Forbid && !active.empty()) {
        plan.events.push_back(PlannedEvent{false, "JobAlreadyActive",
                                           "not starting the run of " + kopp::Time(*due.latest).to_string() +
                                               ": a previous run is still active and concurrencyPolicy is Forbid"});
      } else {
        if (spec.concurrency_policy() == ConcurrencyPolicy::Replace) {
          for (const JobInfo* job : active) plan.replace.push_back(job->name);
          plan.status.active.clear();
        }
        plan.start = *due.latest;
        later_of(plan.status.lastScheduleTime, *due.latest);
      }
    }
  }

  plan.next_run = schedule.next_after(now);
  set_ready(plan, crontab, true, "Scheduled", "next run at " + kopp::Time(*plan.next_run).to_string(), now);
  return plan;
}

}  // namespace crontab
