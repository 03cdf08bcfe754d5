// The reconcile decision, without a server: a CronTab, its Jobs and a time in, a plan out.
#include <crontab/plan.hpp>

#include <catch2/catch.hpp>

#include <algorithm>

using namespace crontab;
using namespace std::chrono;

namespace {

sys_seconds utc(std::string_view rfc3339) { return floor<seconds>(kopp::Time::parse(rfc3339).time_point()); }
std::string text(sys_seconds t) { return kopp::Time(t).to_string(); }

CronTab make_crontab(std::string spec, std::string created = "2026-11-27T10:00:30Z") {
  CronTab ct;
  ct.metadata.name = "backup";
  ct.metadata.namespace_ = "ops";
  ct.metadata.uid = "uid-backup";
  ct.metadata.generation = 4;
  ct.metadata.creationTimestamp = kopp::Time::parse(created);
  ct.spec.cronSpec = std::move(spec);
  ct.spec.image = "busybox:1.36";
  return ct;
}

JobInfo job(std::string_view scheduled, JobInfo::State state = JobInfo::State::active,
            std::optional<std::string_view> finished = std::nullopt) {
  JobInfo j;
  j.scheduled_time = utc(scheduled);
  j.name = job_name("backup", *j.scheduled_time);
  j.uid = "uid-" + j.name;
  j.state = state;
  if (finished) j.finished_time = utc(*finished);
  return j;
}

std::vector<std::string> active_names(const Plan& plan) {
  std::vector<std::string> names;
  for (const auto& ref : plan.status.active) names.push_back(ref.name);
  return names;
}

bool has_event(const Plan& plan, std::string_view reason, bool warning) {
  return std::any_of(plan.events.begin(), plan.events.end(),
                     [&](const PlannedEvent& e) { return e.reason == reason && e.warning == warning; });
}

const kopp::Condition& ready(const Plan& plan) {
  const kopp::Condition* c = kopp::find_status_condition(plan.status.conditions, condition_ready);
  REQUIRE(c != nullptr);
  return *c;
}

}  // namespace

TEST_CASE("plan: job names encode the scheduled minute and parse back", "[plan]") {
  const auto t = utc("2026-11-27T10:01:00Z");
  CHECK(job_name("backup", t) == "backup-29929561");
  CHECK(scheduled_time_from_job_name("backup", "backup-29929561") == t);
  CHECK_FALSE(scheduled_time_from_job_name("backup", "backup-2992956x"));
  CHECK_FALSE(scheduled_time_from_job_name("backup", "backup-"));
  CHECK_FALSE(scheduled_time_from_job_name("backup", "backups-29929561"));
  CHECK_FALSE(scheduled_time_from_job_name("backup", "other-29929561"));
  CHECK_FALSE(scheduled_time_from_job_name("backup", "backup--1"));
  // Names anyone can give a Job: past the year 9999 the minutes would overflow seconds.
  CHECK_FALSE(scheduled_time_from_job_name("backup", "backup-9223372036854775807"));
  CHECK_FALSE(scheduled_time_from_job_name("backup", "backup-4223371680"));
  // 9999-12-31T23:59:00Z (past what a system_clock time_point holds, so in seconds).
  CHECK(scheduled_time_from_job_name("backup", "backup-4223371679") == sys_seconds(seconds(253402300740)));
}

TEST_CASE("plan: a Job claiming a run in the future does not stop the schedule", "[plan]") {
  const CronTab ct = make_crontab("* * * * *");
  JobInfo planted = job("2200-01-01T00:00:00Z");  // e.g. a hand-made Job with our name pattern
  const Plan plan = plan_reconcile(ct, {planted}, kopp::Time::parse("2026-11-27T10:01:05Z").time_point());
  REQUIRE(plan.start);
  CHECK(text(*plan.start) == "2026-11-27T10:01:00Z");
  REQUIRE(plan.status.lastScheduleTime);
  CHECK(plan.status.lastScheduleTime->to_string() == "2026-11-27T10:01:00Z");
}

TEST_CASE("plan: the first run starts at the first scheduled time after creation", "[plan]") {
  const CronTab ct = make_crontab("* * * * *");
  SECTION("not yet due") {
    const Plan plan = plan_reconcile(ct, {}, kopp::Time::parse("2026-11-27T10:00:50Z").time_point());
    CHECK_FALSE(plan.start);
    REQUIRE(plan.next_run);
    CHECK(text(*plan.next_run) == "2026-11-27T10:01:00Z");
    CHECK_FALSE(plan.status.lastScheduleTime);
    CHECK(ready(plan).status == "True");
  }
  SECTION("due") {
    const Plan plan = plan_reconcile(ct, {}, kopp::Time::parse("2026-11-27T10:01:05Z").time_point());
    REQUIRE(plan.start);
    CHECK(text(*plan.start) == "2026-11-27T10:01:00Z");
    CHECK(plan.due_runs == 1);
    REQUIRE(plan.status.lastScheduleTime);
    CHECK(plan.status.lastScheduleTime->to_string() == "2026-11-27T10:01:00Z");
    CHECK(text(*plan.next_run) == "2026-11-27T10:02:00Z");
    CHECK(plan.replace.empty());
    CHECK(plan.trim.empty());
    CHECK(plan.events.empty());
    CHECK(ready(plan).status == "True");
    CHECK(ready(plan).reason == "Scheduled");
    CHECK(ready(plan).message == "next run at 2026-11-27T10:02:00Z");
    CHECK(ready(plan).observedGeneration == 4);
    CHECK(plan.status.observedGeneration == 4);
  }
}

TEST_CASE("plan: a run whose Job exists is not started again, and the status learns it", "[plan]") {
  // The status write after the create was lost (or the cache is stale): the Job is there.
  const CronTab ct = make_crontab("* * * * *");
  const Plan plan =
      plan_reconcile(ct, {job("2026-11-27T10:01:00Z")}, kopp::Time::parse("2026-11-27T10:01:40Z").time_point());
  CHECK_FALSE(plan.start);
  REQUIRE(plan.status.lastScheduleTime);
  CHECK(plan.status.lastScheduleTime->to_string() == "2026-11-27T10:01:00Z");
  CHECK(active_names(plan) == std::vector<std::string>{"backup-29929561"});
  CHECK(plan.status.active[0].kind == "Job");
  CHECK(plan.status.active[0].apiVersion == "batch/v1");
  CHECK(plan.status.active[0].namespace_ == "ops");
  CHECK(plan.status.active[0].uid == "uid-backup-29929561");
}

TEST_CASE("plan: concurrency policies", "[plan]") {
  CronTab ct = make_crontab("* * * * *");
  ct.status.lastScheduleTime = kopp::Time::parse("2026-11-27T10:01:00Z");
  const std::vector<JobInfo> jobs = {job("2026-11-27T10:01:00Z"), job("2026-11-27T10:00:00Z")};
  const auto now = kopp::Time::parse("2026-11-27T10:02:03Z").time_point();

  SECTION("Allow starts alongside the active runs") {
    const Plan plan = plan_reconcile(ct, jobs, now);
    REQUIRE(plan.start);
    CHECK(text(*plan.start) == "2026-11-27T10:02:00Z");
    CHECK(plan.replace.empty());
    CHECK(active_names(plan) == std::vector<std::string>{"backup-29929560", "backup-29929561"});
  }
  SECTION("Forbid skips while a run is active, and does not consume the run") {
    ct.spec.concurrencyPolicy = ConcurrencyPolicy::Forbid;
    const Plan plan = plan_reconcile(ct, jobs, now);
    CHECK_FALSE(plan.start);
    CHECK(has_event(plan, "JobAlreadyActive", false));
    CHECK(plan.status.lastScheduleTime->to_string() == "2026-11-27T10:01:00Z");
    CHECK(text(*plan.next_run) == "2026-11-27T10:03:00Z");
    CHECK(active_names(plan).size() == 2);
  }
  SECTION("Forbid starts the skipped run once nothing is active") {
    ct.spec.concurrencyPolicy = ConcurrencyPolicy::Forbid;
    const std::vector<JobInfo> done = {job("2026-11-27T10:01:00Z", JobInfo::State::succeeded, "2026-11-27T10:02:30Z")};
    const Plan plan = plan_reconcile(ct, done, kopp::Time::parse("2026-11-27T10:02:40Z").time_point());
    REQUIRE(plan.start);
    CHECK(text(*plan.start) == "2026-11-27T10:02:00Z");
    REQUIRE(plan.status.lastSuccessfulTime);
    CHECK(plan.status.lastSuccessfulTime->to_string() == "2026-11-27T10:02:30Z");
  }
  SECTION("Replace deletes the active runs, then starts") {
    ct.spec.concurrencyPolicy = ConcurrencyPolicy::Replace;
    const Plan plan = plan_reconcile(ct, jobs, now);
    REQUIRE(plan.start);
    CHECK(plan.replace == std::vector<std::string>{"backup-29929560", "backup-29929561"});
    CHECK(plan.status.active.empty());  // the reconciler adds the new Job
  }
  SECTION("Replace with nothing active just starts") {
    ct.spec.concurrencyPolicy = ConcurrencyPolicy::Replace;
    const Plan plan = plan_reconcile(ct, {}, now);
    REQUIRE(plan.start);
    CHECK(plan.replace.empty());
  }
  SECTION("Jobs being deleted are not active") {
    ct.spec.concurrencyPolicy = ConcurrencyPolicy::Forbid;
    std::vector<JobInfo> deleting = jobs;
    for (auto& j : deleting) j.being_deleted = true;
    const Plan plan = plan_reconcile(ct, deleting, now);
    CHECK(plan.start);
    CHECK(plan.status.active.empty());
  }
}

TEST_CASE("plan: startingDeadlineSeconds skips late runs", "[plan]") {
  CronTab ct = make_crontab("*/5 * * * *");
  ct.status.lastScheduleTime = kopp::Time::parse("2026-11-27T10:00:00Z");
  const auto now = kopp::Time::parse("2026-11-27T10:05:30Z").time_point();
  SECTION("within the deadline") {
    ct.spec.startingDeadlineSeconds = 60;
    const Plan plan = plan_reconcile(ct, {}, now);
    REQUIRE(plan.start);
    CHECK(text(*plan.start) == "2026-11-27T10:05:00Z");
    CHECK_FALSE(has_event(plan, "MissedSchedule", true));
  }
  SECTION("past the deadline") {
    ct.spec.startingDeadlineSeconds = 20;
    const Plan plan = plan_reconcile(ct, {}, now);
    CHECK_FALSE(plan.start);
    CHECK(has_event(plan, "MissedSchedule", true));
    CHECK(plan.status.lastScheduleTime->to_string() == "2026-11-27T10:00:00Z");
    CHECK(text(*plan.next_run) == "2026-11-27T10:10:00Z");
  }
}

TEST_CASE("plan: many missed runs start one Job and warn", "[plan]") {
  CronTab ct = make_crontab("* * * * *");
  ct.status.lastScheduleTime = kopp::Time::parse("2026-11-26T10:00:00Z");  // a day of downtime
  const auto now = kopp::Time::parse("2026-11-27T10:07:10Z").time_point();
  SECTION("without a deadline") {
    const Plan plan = plan_reconcile(ct, {}, now);
    REQUIRE(plan.start);
    CHECK(text(*plan.start) == "2026-11-27T10:07:00Z");  // only the latest
    CHECK(plan.due_runs == 101);
    CHECK(has_event(plan, "TooManyMissedTimes", true));
  }
  SECTION("a deadline bounds what counts as missed") {
    ct.spec.startingDeadlineSeconds = 300;
    const Plan plan = plan_reconcile(ct, {}, now);
    REQUIRE(plan.start);
    CHECK(plan.due_runs == 5);
    CHECK_FALSE(has_event(plan, "TooManyMissedTimes", true));
  }
}

TEST_CASE("plan: suspend starts nothing and waits for a change", "[plan]") {
  CronTab ct = make_crontab("* * * * *");
  ct.spec.suspend = true;
  std::vector<JobInfo> jobs;
  for (int i = 0; i < 5; ++i)
    jobs.push_back(job("2026-11-27T10:0" + std::to_string(i) + ":00Z", JobInfo::State::succeeded,
                       "2026-11-27T10:0" + std::to_string(i) + ":30Z"));
  const Plan plan = plan_reconcile(ct, jobs, kopp::Time::parse("2026-11-27T10:09:00Z").time_point());
  CHECK_FALSE(plan.start);
  CHECK_FALSE(plan.next_run);
  CHECK(ready(plan).status == "False");
  CHECK(ready(plan).reason == "Suspended");
  CHECK(plan.trim.size() == 2);  // history is still trimmed
}

TEST_CASE("plan: history limits trim the oldest finished Jobs", "[plan]") {
  CronTab ct = make_crontab("0 * * * *", "2026-11-27T00:00:30Z");
  ct.status.lastScheduleTime = kopp::Time::parse("2026-11-27T09:00:00Z");
  const std::vector<JobInfo> jobs = {
      job("2026-11-27T05:00:00Z", JobInfo::State::succeeded, "2026-11-27T05:01:00Z"),
      job("2026-11-27T01:00:00Z", JobInfo::State::succeeded, "2026-11-27T01:01:00Z"),
      job("2026-11-27T03:00:00Z", JobInfo::State::succeeded, "2026-11-27T03:01:00Z"),
      job("2026-11-27T02:00:00Z", JobInfo::State::failed, "2026-11-27T02:01:00Z"),
      job("2026-11-27T04:00:00Z", JobInfo::State::succeeded, "2026-11-27T04:01:00Z"),
      job("2026-11-27T06:00:00Z", JobInfo::State::failed, "2026-11-27T06:01:00Z"),
      job("2026-11-27T07:00:00Z", JobInfo::State::failed, "2026-11-27T07:01:00Z"),
      job("2026-11-27T09:00:00Z", JobInfo::State::active),
  };
  const auto now = kopp::Time::parse("2026-11-27T09:30:00Z").time_point();
  const auto name = [](std::string_view t) { return job_name("backup", utc(t)); };

  SECTION("defaults: 3 successful, 1 failed") {
    const Plan plan = plan_reconcile(ct, jobs, now);
    CHECK(plan.trim == std::vector<std::string>{name("2026-11-27T01:00:00Z"), name("2026-11-27T02:00:00Z"),
                                                name("2026-11-27T06:00:00Z")});
    CHECK(plan.status.lastSuccessfulTime->to_string() == "2026-11-27T05:01:00Z");
    CHECK(active_names(plan) == std::vector<std::string>{name("2026-11-27T09:00:00Z")});
    CHECK_FALSE(plan.start);
  }
  SECTION("explicit limits, zero keeps none") {
    ct.spec.successfulJobsHistoryLimit = 0;
    ct.spec.failedJobsHistoryLimit = 5;
    const Plan plan = plan_reconcile(ct, jobs, now);
    CHECK(plan.trim == std::vector<std::string>{name("2026-11-27T01:00:00Z"), name("2026-11-27T03:00:00Z"),
                                                name("2026-11-27T04:00:00Z"), name("2026-11-27T05:00:00Z")});
  }
  SECTION("Jobs already being deleted do not count") {
    std::vector<JobInfo> deleting = jobs;
    deleting[1].being_deleted = true;  // 01:00 succeeded
    const Plan plan = plan_reconcile(ct, deleting, now);
    CHECK(plan.trim == std::vector<std::string>{name("2026-11-27T02:00:00Z"), name("2026-11-27T06:00:00Z")});
  }
  SECTION("an older lastSuccessfulTime is moved forward, a newer one kept") {
    ct.status.lastSuccessfulTime = kopp::Time::parse("2026-11-27T08:00:00Z");
    CHECK(plan_reconcile(ct, jobs, now).status.lastSuccessfulTime->to_string() == "2026-11-27T08:00:00Z");
  }
}

TEST_CASE("plan: an invalid spec is reported, not acted on", "[plan]") {
  CronTab ct = make_crontab("* * * * *");
  const auto now = kopp::Time::parse("2026-11-27T10:05:00Z").time_point();
  SECTION("bad schedule") {
    ct.spec.cronSpec = "61 * * * *";
    const Plan plan = plan_reconcile(ct, {job("2026-11-27T10:01:00Z")}, now);
    REQUIRE(plan.invalid_spec);
    CHECK_THAT(*plan.invalid_spec, Catch::StartsWith("spec.cronSpec: ") && Catch::Contains("61 is out of range"));
    CHECK(has_event(plan, "InvalidSpec", true));
    CHECK(ready(plan).status == "False");
    CHECK(ready(plan).reason == "InvalidSpec");
    CHECK(ready(plan).message == *plan.invalid_spec);
    CHECK_FALSE(plan.start);
    CHECK_FALSE(plan.next_run);
    CHECK(active_names(plan).size() == 1);  // the status still reports the Jobs
  }
  SECTION("other fields") {
    ct.spec.image.clear();
    CHECK(validate(ct) == "spec.image is required");
    ct.spec.image = "busybox";
    ct.spec.replicas = 0;
    CHECK_THAT(*validate(ct), Catch::Contains("spec.replicas must be at least 1"));
    ct.spec.replicas = 2;
    ct.spec.failedJobsHistoryLimit = -1;
    CHECK_THAT(*validate(ct), Catch::Contains("failedJobsHistoryLimit"));
    ct.spec.failedJobsHistoryLimit.reset();
    ct.metadata.name = std::string(53, 'a');
    CHECK_THAT(*validate(ct), Catch::Contains("at most 52 characters"));
    ct.metadata.name = std::string(52, 'a');
    CHECK_FALSE(validate(ct));
  }
  SECTION("fixing the spec makes it ready again") {
    ct.spec.cronSpec = "bad";
    const Plan broken = plan_reconcile(ct, {}, now);
    ct.status = broken.status;
    ct.spec.cronSpec = "*/5 * * * *";
    const Plan fixed = plan_reconcile(ct, {}, now);
    CHECK(ready(fixed).status == "True");
    REQUIRE(fixed.start);
    CHECK(text(*fixed.start) == "2026-11-27T10:05:00Z");
  }
}
