#include <crontab/reconciler.hpp>

#include <kopp/client/api.hpp>
#include <kopp/client/error.hpp>
#include <kopp/runtime/manager/events.hpp>
#include <kopp/runtime/cache/informer.hpp>
#include <kopp/runtime/controller/object_helpers.hpp>
#include <kopp/runtime/controller/predicate.hpp>

#include <algorithm>

namespace crontab {
namespace {

using boost::asio::awaitable;
using namespace std::chrono;

kopp::EventType event_type(bool warning) { return warning ? kopp::EventType::warning : kopp::EventType::normal; }

awaitable<void> delete_job(kopp::Api<Job>& jobs, const std::string& name) {
  // Background: the Job goes at once, the garbage collector removes its pods after.
  kopp::DeleteParams params;
  params.propagation(kopp::PropagationPolicy::background);
  try {
    co_await jobs.delete_(name, params);
  } catch (const kopp::api_error& e) {
    if (!kopp::is_not_found(e)) throw;  // already gone is what we wanted
  }
}

// Creates the run's Job; when it exists already (a retried reconcile, a cache that has not
// seen it yet, a restarted operator), returns the existing one if this CronTab controls it.
awaitable<Job> create_job(kopp::Api<Job>& jobs, const CronTab& crontab, const Job& job, bool& created) {
  created = false;
  try {
    Job result = co_await jobs.create(job);
    created = true;
    co_return result;
  } catch (const kopp::api_error& e) {
    if (!kopp::is_already_exists(e)) throw;
  }
  Job existing = co_await jobs.get(job.metadata.name);
  if (!kopp::is_controlled_by(existing.metadata, crontab.metadata.uid))
    throw std::runtime_error("Job " + job.metadata.name + " exists and is not controlled by this CronTab");
  co_return existing;
}

awaitable<void> write_status(kopp::Client& client, const CronTab& crontab, const CronTabStatus& status) {
  // A merge patch of .status only (nothing when unchanged): no resourceVersion, so no
  // conflict with writers of other fields; only this operator writes the status.
  kopp::Api<CronTab> crontabs(client, crontab.metadata.namespace_);
  try {
    co_await kopp::patch_status(crontabs, crontab, status);
  } catch (const kopp::api_error& e) {
    if (!kopp::is_not_found(e)) throw;  // deleted meanwhile: nothing to report on
  }
}

}  // namespace

CronTabReconciler::CronTabReconciler(ReconcilerOptions options) : options_(std::move(options)) {
  if (!options_.clock) options_.clock = std::make_shared<SystemWallClock>();
}

awaitable<kopp::Action> CronTabReconciler::reconcile(std::shared_ptr<const CronTab> crontab, kopp::Context& ctx) {
  // Jobs are garbage-collected with their CronTab (owner references): nothing to clean up.
  if (crontab->metadata.deletionTimestamp) co_return kopp::Action::done();

  const auto now = options_.clock->now();
  std::vector<JobInfo> jobs;
  for (const auto& job : ctx.cache().by_index<Job>(kopp::controller_uid_index, crontab->metadata.uid))
    jobs.push_back(job_info(*crontab, *job));

  Plan plan = plan_reconcile(*crontab, jobs, now);
  for (const PlannedEvent& event : plan.events) {
    ctx.recorder().post(*crontab, event_type(event.warning), event.reason, "Schedule", event.note);
    if (event.warning) ctx.log().warn(event.note, {{"reason", event.reason}});
  }

  if (!plan.invalid_spec) {
    kopp::Api<Job> job_api(ctx.client(), crontab->metadata.namespace_);
    for (const std::string& name : plan.replace) {
      co_await delete_job(job_api, name);
      ctx.log().info("deleted active job (concurrencyPolicy Replace)", {{"job", name}});
      ctx.recorder().post(*crontab, kopp::EventType::normal, "SuccessfulDelete", "Replace",
                          "Deleted active job " + name + " (concurrencyPolicy Replace)");
    }
    if (plan.start) {
      const Job job = make_job(*crontab, *plan.start);
      bool created = false;
      const Job result = co_await create_job(job_api, *crontab, job, created);
      const bool listed = std::any_of(plan.status.active.begin(), plan.status.active.end(),
                                      [&](const auto& ref) { return ref.name == result.metadata.name; });
      if (!listed && !is_finished(result)) {
        plan.status.active.push_back(job_reference(*crontab, result.metadata.name, result.metadata.uid));
      }
      if (created) {
        ctx.log().info("created job", {{"job", result.metadata.name},
                                       {"scheduledTime", kopp::Time(*plan.start).to_string()},
                                       {"missedRuns", plan.due_runs > 0 ? plan.due_runs - 1 : 0}});
        ctx.recorder().post(*crontab, kopp::EventType::normal, "SuccessfulCreate", "Schedule",
                            "Created job " + result.metadata.name);
      }
    }
    for (const std::string& name : plan.trim) {
      co_await delete_job(job_api, name);
      ctx.log().info("deleted finished job (history limit)", {{"job", name}});
      ctx.recorder().post(*crontab, kopp::EventType::normal, "SuccessfulDelete", "TrimHistory",
                          "Deleted finished job " + name);
    }
  }

  co_await write_status(ctx.client(), *crontab, plan.status);

  if (plan.invalid_spec) throw kopp::terminal_error("invalid CronTab: " + *plan.invalid_spec);
  if (!plan.next_run) co_return kopp::Action::done();
  // Requeue for the exact time of the next run: the steady clock the controller waits on
  // and the wall clock the schedule is in run at the same rate.
  const auto wait =
      std::max(duration_cast<steady_clock::duration>(*plan.next_run - now), steady_clock::duration::zero());
  co_return kopp::Action::requeue_after(wait);
}

std::shared_ptr<kopp::Controller<CronTab>> make_controller(kopp::Manager& manager, ReconcilerOptions options,
                                                           int max_concurrent_reconciles) {
  return manager.controller<CronTab>("crontab")
      .with_predicate(kopp::predicates::generation_changed<CronTab>())
      .owns<Job>()
      // Calls beyond what owns<Job>() implies, for config/rbac/role.yaml: a Job read back
      // when its create raced, and Jobs deleted past the history limits.
      .permits<Job>({"get", "delete"})
      .max_concurrent_reconciles(max_concurrent_reconciles)
      .build(std::make_shared<CronTabReconciler>(std::move(options)));
}

}  // namespace crontab
