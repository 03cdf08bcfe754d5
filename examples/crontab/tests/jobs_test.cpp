// The Job a run starts, and what the plan reads back from Jobs the server returns.
#include <crontab/jobs.hpp>

#include <catch2/catch.hpp>

#include <kopp/core/json.hpp>
#include <kopp/runtime/cache/store.hpp>

using namespace crontab;
using namespace std::chrono;

namespace {

CronTab sample() {
  CronTab ct;
  ct.metadata.name = "backup";
  ct.metadata.namespace_ = "ops";
  ct.metadata.uid = "7c1c7b7e-0000-4000-8000-000000000001";
  ct.spec.cronSpec = "*/5 * * * *";
  ct.spec.image = "busybox:1.36";
  ct.spec.replicas = 3;
  return ct;
}

sys_seconds utc(std::string_view t) { return floor<seconds>(kopp::Time::parse(t).time_point()); }

}  // namespace

TEST_CASE("jobs: make_job names, labels, owns and sizes the Job", "[jobs]") {
  const CronTab ct = sample();
  const Job job = make_job(ct, utc("2026-11-27T10:05:00Z"));
  CHECK(job.metadata.name == "backup-29929565");
  CHECK(job.metadata.namespace_ == "ops");
  CHECK(job.metadata.labels.at("example.com/crontab") == "backup");
  CHECK(job.metadata.annotations.at("example.com/scheduled-time") == "2026-11-27T10:05:00Z");
  REQUIRE(job.metadata.ownerReferences.size() == 1);
  const auto& owner = job.metadata.ownerReferences[0];
  CHECK(owner.apiVersion == "example.com/v1");
  CHECK(owner.kind == "CronTab");
  CHECK(owner.name == "backup");
  CHECK(owner.uid == ct.metadata.uid);
  CHECK(owner.controller == true);
  CHECK(job.spec.parallelism == 3);
  CHECK(job.spec.completions == 3);
  CHECK(job.spec.template_.spec.restartPolicy == "OnFailure");
  REQUIRE(job.spec.template_.spec.containers.size() == 1);
  CHECK(job.spec.template_.spec.containers[0].image == "busybox:1.36");
  CHECK(job.spec.template_.metadata.labels.at("example.com/crontab") == "backup");
  CHECK(kopp::controller_uid_of(job) == std::vector<std::string>{ct.metadata.uid});

  // The JSON the API server gets.
  const auto json = kopp::to_json(job).as_object();
  CHECK(json.at("spec").at("template").at("spec").at("containers").at(0).at("name") == "job");
}

TEST_CASE("jobs: job_info reads state, times and the scheduled run", "[jobs]") {
  const CronTab ct = sample();
  SECTION("active, scheduled time from the annotation") {
    const auto job = kopp::parse_json<Job>(R"({"metadata":{"name":"backup-1","uid":"u1","resourceVersion":"7",
        "annotations":{"example.com/scheduled-time":"2026-11-27T10:05:00Z"}},"status":{"active":1}})");
    const JobInfo info = job_info(ct, job);
    CHECK(info.name == "backup-1");
    CHECK(info.uid == "u1");
    CHECK(info.state == JobInfo::State::active);
    CHECK(info.scheduled_time == utc("2026-11-27T10:05:00Z"));
    CHECK_FALSE(info.finished_time);
    CHECK_FALSE(info.being_deleted);
  }
  SECTION("succeeded, scheduled time from the name") {
    const auto job = kopp::parse_json<Job>(R"({"metadata":{"name":"backup-29929565"},
        "status":{"completionTime":"2026-11-27T10:06:10Z","succeeded":3,"conditions":[
          {"type":"SuccessCriteriaMet","status":"True","lastTransitionTime":"2026-11-27T10:06:09Z"},
          {"type":"Complete","status":"True","lastTransitionTime":"2026-11-27T10:06:10Z"}]}})");
    const JobInfo info = job_info(ct, job);
    CHECK(info.state == JobInfo::State::succeeded);
    CHECK(info.finished_time == utc("2026-11-27T10:06:10Z"));
    CHECK(info.scheduled_time == utc("2026-11-27T10:05:00Z"));
  }
  SECTION("failed; a False condition does not count") {
    const auto job = kopp::parse_json<Job>(R"({"metadata":{"name":"backup-29929565",
        "deletionTimestamp":"2026-11-27T10:09:00Z"},
        "status":{"conditions":[
          {"type":"Complete","status":"False","lastTransitionTime":"2026-11-27T10:06:00Z"},
          {"type":"Failed","status":"True","lastTransitionTime":"2026-11-27T10:07:00Z","reason":"BackoffLimitExceeded"}]}})");
    const JobInfo info = job_info(ct, job);
    CHECK(info.state == JobInfo::State::failed);
    CHECK(info.finished_time == utc("2026-11-27T10:07:00Z"));
    CHECK(info.being_deleted);
  }
  SECTION("a foreign name and no annotation: no scheduled time") {
    const auto job = kopp::parse_json<Job>(R"({"metadata":{"name":"nightly"}})");
    CHECK_FALSE(job_info(ct, job).scheduled_time);
  }
}

TEST_CASE("jobs: kopp's owner index lists a Job under its controller only", "[jobs]") {
  Job job;
  CHECK(kopp::controller_uid_of(job).empty());
  kopp::OwnerReference ref;
  ref.apiVersion = "example.com/v1";
  ref.kind = "CronTab";
  ref.uid = "ct";
  ref.controller = false;  // an owner, but not the controller
  job.metadata.ownerReferences = {ref};
  CHECK(kopp::controller_uid_of(job).empty());
  job.metadata.ownerReferences[0].controller = true;
  CHECK(kopp::controller_uid_of(job) == std::vector<std::string>{"ct"});
}
