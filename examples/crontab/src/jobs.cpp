#include <crontab/jobs.hpp>

#include <kopp/core/owner_reference.hpp>

namespace crontab {

using namespace std::chrono;

Job make_job(const CronTab& crontab, sys_seconds scheduled) {
  Job job;
  job.metadata.name = job_name(crontab.metadata.name, scheduled);
  job.metadata.namespace_ = crontab.metadata.namespace_;
  job.metadata.labels[std::string(crontab_label)] = crontab.metadata.name;
  job.metadata.annotations[std::string(scheduled_time_annotation)] = kopp::Time(scheduled).to_string();
  job.metadata.ownerReferences.push_back(kopp::make_controller_reference(crontab));

  const std::int32_t replicas = crontab.spec.replicas_or_default();
  job.spec.parallelism = replicas;
  job.spec.completions = replicas;
  auto& pod = job.spec.template_;
  pod.metadata.labels[std::string(crontab_label)] = crontab.metadata.name;
  // OnFailure restarts a failed container in place; the Job's backoffLimit bounds retries.
  pod.spec.restartPolicy = "OnFailure";
  kopp::api::core::v1::Container container;
  container.name = "job";
  container.image = crontab.spec.image;
  pod.spec.containers.push_back(std::move(container));
  return job;
}

bool is_finished(const Job& job, JobInfo::State* state, std::optional<sys_seconds>* finished_at) {
  for (const auto& condition : job.status.conditions) {
    if (condition.status != "True") continue;
    const bool complete = condition.type == "Complete";
    if (!complete && condition.type != "Failed") continue;
    if (state != nullptr) *state = complete ? JobInfo::State::succeeded : JobInfo::State::failed;
    if (finished_at != nullptr) {
      if (complete && job.status.completionTime)
        *finished_at = floor<seconds>(job.status.completionTime->time_point());
      else if (condition.lastTransitionTime)
        *finished_at = floor<seconds>(condition.lastTransitionTime->time_point());
    }
    return true;
  }
  return false;
}

JobInfo job_info(const CronTab& crontab, const Job& job) {
  JobInfo info;
  info.name = job.metadata.name;
  info.uid = job.metadata.uid;
  info.resource_version = job.metadata.resourceVersion;
  info.being_deleted = job.metadata.deletionTimestamp.has_value();
  const auto annotation = job.metadata.annotations.find(std::string(scheduled_time_annotation));
  if (annotation != job.metadata.annotations.end()) {
    if (const auto t = kopp::Time::try_parse(annotation->second)) info.scheduled_time = floor<seconds>(t->time_point());
  }
  if (!info.scheduled_time)
    info.scheduled_time = scheduled_time_from_job_name(crontab.metadata.name, job.metadata.name);
  (void)is_finished(job, &info.state, &info.finished_time);  // leaves `active` when not finished
  return info;
}

}  // namespace crontab
