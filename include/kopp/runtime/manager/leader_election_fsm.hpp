#pragma once
// The decisions of Lease-based leader election, without I/O (sans-io), after client-go's
// tools/leaderelection. LeaderElector (kopp/runtime/manager/leader_election.hpp) feeds it what it
// reads from the API server and performs what it decides; tests drive it with a fake
// clock.
//
// One round is: read the Lease -> observe() -> write what it decided (create / replace)
// -> write_succeeded() or write_failed().
//
// Guarantees:
//   - Expiry of someone else's lease is measured from the moment WE observed its last
//     change (monotonic clock), never from the timestamps in the Lease, so a skewed clock
//     on either side cannot make us take over early.
//   - Our own leadership is measured from the moment we SENT the last successful write:
//     the server committed it no earlier, so every other candidate observed it no
//     earlier either. With renew_deadline < lease_duration we therefore consider
//     ourselves deposed before anyone else can consider the lease expired.
//   - leaseTransitions grows by one each time the holder changes; a renewal keeps
//     acquireTime and leaseTransitions.
// Caveats:
//   - Safety needs the candidates' monotonic clocks to run at about the same rate, as in
//     client-go; it does not need synchronised wall clocks.
//   - Not thread-safe: one owner drives it.

#include <kopp/core/detail/config.hpp>
#include <kopp/core/time.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace kopp {

/// The part of a coordination.k8s.io/v1 LeaseSpec that leader election reads and writes
/// (client-go's LeaderElectionRecord). An empty holder means "released / free".
struct LeaseRecord {
  std::string holder_identity;
  std::int32_t lease_duration_seconds = 0;
  MicroTime acquire_time;
  MicroTime renew_time;
  std::int32_t lease_transitions = 0;

  friend bool operator==(const LeaseRecord&, const LeaseRecord&) = default;
};

/// client-go's defaults: a lease lasts 15 s, the leader gives up when it could not renew
/// for 10 s, candidates and the leader try every 2 s.
struct LeaderElectionTimings {
  LeaderElectionTimings() = default;

  std::chrono::milliseconds lease_duration{15'000};
  std::chrono::milliseconds renew_deadline{10'000};
  std::chrono::milliseconds retry_period{2'000};

  /// Throws std::invalid_argument unless 0 < retry_period < renew_deadline <
  /// lease_duration and lease_duration is a whole number of seconds >= 1 (the Lease
  /// stores seconds).
  void validate() const;
};

/// A moment as the elector sees it: a monotonic time to measure durations and the wall
/// time it writes into the Lease.
struct ElectionTime {
  std::chrono::steady_clock::time_point monotonic;
  std::chrono::system_clock::time_point wall;

  static ElectionTime now() { return {std::chrono::steady_clock::now(), std::chrono::system_clock::now()}; }
};

class LeaderElectionFsm {
 public:
  using steady_time = std::chrono::steady_clock::time_point;

  enum class action {
    create,  ///< the Lease does not exist: create it with `record`
    update,  ///< replace the Lease's spec with `record` (with the resourceVersion read)
    wait,    ///< someone else holds an unexpired lease: try again later
  };
  struct Decision {
    action what = action::wait;
    LeaseRecord record;  ///< what to write for create / update
  };

  /// `timings` must be valid (LeaderElectionTimings::validate()).
  LeaderElectionFsm(std::string identity, LeaderElectionTimings timings);

  /// The Lease as just read (nullopt: it does not exist). Deposes us when the Lease
  /// names another holder.
  [[nodiscard]] Decision observe(const std::optional<LeaseRecord>& lease, ElectionTime now);

  /// The write that observe() decided succeeded and stored `written`; `sent_at` is when
  /// the request was sent. Makes (or keeps) us the leader.
  void write_succeeded(const LeaseRecord& written, steady_time sent_at);
  /// The write failed: conflict / already exists (someone else wrote first) or an error.
  /// Nothing changes; the next round reads again.
  void write_failed() noexcept {}

  /// Deposes us when the renew deadline passed without a successful write. Returns
  /// whether we are (still) the leader at `now`.
  bool check_deadline(steady_time now) noexcept;

  /// The record that releases the lease (client-go's: no holder, duration 1 s, same
  /// transitions) when we lead; nullopt otherwise.
  [[nodiscard]] std::optional<LeaseRecord> release_record(ElectionTime now) const;
  /// The release was written (or given up): we no longer lead.
  void released(const std::optional<LeaseRecord>& written, steady_time at);

  [[nodiscard]] bool is_leader() const noexcept { return leader_; }
  /// When we stop being the leader unless a renewal succeeds first (valid while leading).
  [[nodiscard]] steady_time renew_deadline() const noexcept { return renewed_at_ + timings_.renew_deadline; }
  /// The holder of the Lease as last observed ("" when free or never read).
  [[nodiscard]] const std::string& observed_holder() const noexcept;
  /// When the observed holder's lease expires by our observation (nullopt: nothing observed).
  [[nodiscard]] std::optional<steady_time> observed_expiry() const noexcept;
  [[nodiscard]] const std::string& identity() const noexcept { return identity_; }
  [[nodiscard]] const LeaderElectionTimings& timings() const noexcept { return timings_; }

 private:
  void note_observation(const LeaseRecord& record, steady_time at);

  std::string identity_;
  LeaderElectionTimings timings_;
  std::optional<LeaseRecord> observed_;
  steady_time observed_at_{};
  bool leader_ = false;
  steady_time renewed_at_{};
};

}  // namespace kopp

#if KOPP_HEADER_ONLY
#include <kopp/runtime/manager/impl/leader_election_fsm.ipp>
#endif
