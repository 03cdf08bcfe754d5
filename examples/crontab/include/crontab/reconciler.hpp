#pragma once
// CronTabReconciler: starts a Job for each scheduled run of a CronTab.
//
// Each reconcile
//   1. reads the CronTab's Jobs from the shared Job informer's cache (kopp's index of
//      children by their controller's uid, which owns<Job>() installs);
//   2. asks plan_reconcile() (plan.hpp, pure) what to do at the WallClock's "now";
//   3. deletes the active Jobs under concurrencyPolicy Replace (propagation Background),
//      creates the run's Job (AlreadyExists counts as created: the name is deterministic),
//      deletes finished Jobs beyond the history limits;
//   4. merge-patches the status subresource when it changed, records Events;
//   5. requeues exactly until the next run (Action::requeue_after).
// Owned Jobs requeue their CronTab when they change (owns<Job>()), so a finished run is
// seen at once: its history is trimmed and lastSuccessfulTime updated.
//
// Errors: an invalid spec (a schedule that does not parse, see validate()) sets Ready=False
// with reason InvalidSpec, records a Warning event and throws kopp::terminal_error: it is
// not retried until the CronTab changes. Failed API calls throw and are retried with
// backoff.

#include <crontab/jobs.hpp>
#include <crontab/plan.hpp>
#include <crontab/types.hpp>
#include <crontab/wall_clock.hpp>

#include <kopp/runtime/controller/controller.hpp>
#include <kopp/runtime/manager/manager.hpp>

#include <boost/asio/awaitable.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace crontab {

/// Events' reportingController.
inline constexpr std::string_view reporting_controller = "example.com/crontab-operator";

struct ReconcilerOptions {
  ReconcilerOptions() = default;
  /// Where "now" comes from; the system clock when null.
  std::shared_ptr<WallClock> clock;
};

class CronTabReconciler : public kopp::Reconciler<CronTab> {
 public:
  explicit CronTabReconciler(ReconcilerOptions options);

  boost::asio::awaitable<kopp::Action> reconcile(std::shared_ptr<const CronTab> crontab, kopp::Context& ctx) override;

 private:
  ReconcilerOptions options_;
};

/// Builds the controller on `manager`, which runs it: CronTabs (spec changes only: our status writes do
/// not wake it) and owned Jobs.
std::shared_ptr<kopp::Controller<CronTab>> make_controller(kopp::Manager& manager, ReconcilerOptions options,
                                                           int max_concurrent_reconciles = 2);

}  // namespace crontab
