#pragma once
// Lease-based leader election (coordination.k8s.io/v1), as client-go's
// tools/leaderelection does it: of all processes running an elector on the same Lease,
// at most one leads at a time; when it stops or dies, another takes over.
//
//   kopp::LeaderElectionOptions options;
//   options.lease_name = "memcached-operator";
//   options.lease_namespace = "operators";
//   options.on_started_leading = [&] { start_controllers(); };
//   options.on_stopped_leading = [&] { stop_controllers(); };
//   kopp::LeaderElector elector(client, options);
//   co_await elector.run();      // returns when leadership is lost or stop() was called
//
// How: candidates read the Lease every retry_period (with jitter). A free, released or
// expired Lease is taken by replacing it with our identity under the resourceVersion we
// read (a conflict means another candidate won) or by creating it (AlreadyExists means
// another candidate won). The leader renews every retry_period; decisions are made by
// LeaderElectionFsm (kopp/runtime/manager/leader_election_fsm.hpp).
//
// Guarantees:
//   - on_stopped_leading is called as soon as the leader could not renew for
//     renew_deadline (measured from when its last successful renewal was sent), even
//     while a request is still hanging; another candidate can take over only after
//     lease_duration (> renew_deadline) by its own observation. Stop leader work in
//     on_stopped_leading (or exit the process, as Kubernetes' own components do).
//   - A graceful stop() while leading releases the Lease (no holder, leaseDurationSeconds
//     1, as client-go does) when release_on_cancel is set, so a successor takes over at
//     its next retry instead of after lease_duration. A stop() that arrives while a
//     renewal is in flight lets it finish (within the renew deadline) and then releases;
//     when the renewal's result is unknown, the Lease is read again and released if it
//     still names us.
//   - leaseTransitions grows by one with every change of holder.
//   - Callbacks run on the elector's strand, one at a time, never concurrently with each
//     other; on_started_leading is always followed by exactly one on_stopped_leading.
// Errors:
//   - The constructor throws std::invalid_argument for a missing lease name/namespace or
//     inconsistent timings (see LeaderElectionTimings::validate()).
//   - run() does not throw for API errors: they are logged and retried (a forbidden
//     error usually means the RBAC rules lack get/create/update on leases). It throws
//     std::logic_error when called a second time.
// Caveats:
//   - Leader election narrows, but cannot close, the window in which two processes act
//     as leader (a paused process, e.g. a stopped VM, notices only when it runs again).
//     Make reconciles idempotent and writes conditional as usual.
//   - The Client must outlive run(); run() returns only after the elector's last request
//     finished (at most the client's request timeout after on_stopped_leading). Do not
//     wait for run() to stop leader work: on_stopped_leading (or holds_lease()) is the
//     signal.
//   - An elector runs once: after run() returned, make a new one.

#include <kopp/core/detail/config.hpp>
#include <kopp/api/coordination/v1.hpp>
#include <kopp/client/client.hpp>
#include <kopp/runtime/controller/permissions.hpp>
#include <kopp/runtime/telemetry/log.hpp>
#include <kopp/runtime/manager/leader_election_fsm.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace kopp {

struct LeaderElectionOptions {
  LeaderElectionOptions() = default;

  /// The Lease (required): one per set of competing processes, e.g. the operator's name.
  std::string lease_name;
  std::string lease_namespace;
  /// Unique per process; default_leader_identity() when empty.
  std::string identity;

  std::chrono::milliseconds lease_duration{15'000};
  std::chrono::milliseconds renew_deadline{10'000};
  std::chrono::milliseconds retry_period{2'000};
  /// Candidates wait retry_period * (1 + jitter * U[0,1)) between attempts so that many
  /// of them do not hit the API server in lockstep. client-go uses 1.2; kopp's 0.5 keeps
  /// the worst-case handover after a release near 3 s with the default retry_period.
  double retry_jitter = 0.5;
  /// Release the Lease when stop() is called while leading.
  bool release_on_cancel = true;
  std::string field_manager = "kopp-leader-election";

  /// We became the leader.
  std::function<void()> on_started_leading;
  /// We were the leader and no longer are (lost, or stopped).
  std::function<void()> on_stopped_leading;
  /// The observed holder changed (also to us); called with the new holder's identity.
  std::function<void(const std::string& identity)> on_new_leader;
  /// Progress (acquired, renew failures, lost, released) with fields logger, lease and
  /// identity. Default: the global sink.
  Logger logger;

  LeaderElectionTimings timings() const;
};

/// `<hostname>_<16 random hex digits>`, as controller-runtime makes identities.
std::string default_leader_identity();

class LeaderElector {
 public:
  /// Throws std::invalid_argument for bad options (see Errors above).
  LeaderElector(Client& client, LeaderElectionOptions options);
  ~LeaderElector();
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  /// Competes for the Lease, leads while it can renew. Returns when leadership was lost
  /// or after stop() (having released the Lease when leading and release_on_cancel).
  boost::asio::awaitable<void> run();

  /// Asks run() to finish. Thread-safe; may be called before run() (run() then returns
  /// at once) and from the callbacks.
  void stop();

  /// Whether we lead right now (thread-safe).
  [[nodiscard]] bool is_leader() const noexcept;
  /// Whether we lead and the renew deadline of our last successful renewal has not passed
  /// by the monotonic clock now (thread-safe). Stricter than is_leader(): after the process
  /// was paused (SIGSTOP, a stopped VM) it is false at once, before the elector's own timer
  /// ran. Check it before starting leader work.
  [[nodiscard]] bool holds_lease() const noexcept;
  [[nodiscard]] const std::string& identity() const noexcept;
  /// The holder last observed ("" when free or not read yet). Thread-safe.
  [[nodiscard]] std::string leader() const;

  struct state;

 private:
  std::shared_ptr<state> state_;
};

/// What an elector's calls need in the Lease's namespace: coordination.k8s.io leases get,
/// create (the first candidate), update (take over, renew, release). For the operator's
/// leader-election Role: kopp::role(name, namespace, kopp::leader_election_permissions()).
[[nodiscard]] inline Permissions leader_election_permissions() {
  Permissions out;
  out.permit("coordination.k8s.io", "leases", {"get", "create", "update"});
  return out;
}

}  // namespace kopp

#include <kopp/runtime/manager/impl/leader_election.hpp>
#if KOPP_HEADER_ONLY
#include <kopp/runtime/manager/impl/leader_election.ipp>
#endif
