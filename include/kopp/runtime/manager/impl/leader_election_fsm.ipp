#pragma once

#include <kopp/runtime/manager/leader_election_fsm.hpp>

#include <stdexcept>
#include <utility>

namespace kopp {

KOPP_DECL void LeaderElectionTimings::validate() const {
  using std::chrono::milliseconds;
  if (retry_period <= milliseconds::zero())
    throw std::invalid_argument("kopp leader election: retry_period must be positive");
  if (renew_deadline <= retry_period)
    throw std::invalid_argument("kopp leader election: renew_deadline must be longer than retry_period");
  if (lease_duration <= renew_deadline)
    throw std::invalid_argument("kopp leader election: lease_duration must be longer than renew_deadline");
  if (lease_duration.count() % 1000 != 0)
    throw std::invalid_argument(
        "kopp leader election: lease_duration must be whole seconds (the Lease stores seconds)");
}

KOPP_DECL LeaderElectionFsm::LeaderElectionFsm(std::string identity, LeaderElectionTimings timings)
    : identity_(std::move(identity)), timings_(timings) {}

KOPP_DECL void LeaderElectionFsm::note_observation(const LeaseRecord& record, steady_time at) {
  // Only a change restarts the expiry clock: an unchanged record means the holder did
  // not renew since we last looked.
  if (!observed_ || *observed_ != record) {
    observed_ = record;
    observed_at_ = at;
  }
}

KOPP_DECL LeaderElectionFsm::Decision LeaderElectionFsm::observe(const std::optional<LeaseRecord>& lease,
                                                                 ElectionTime now) {
  Decision decision;
  decision.record.holder_identity = identity_;
  decision.record.lease_duration_seconds =
      static_cast<std::int32_t>(std::chrono::duration_cast<std::chrono::seconds>(timings_.lease_duration).count());
  decision.record.renew_time = MicroTime(now.wall);
  decision.record.acquire_time = MicroTime(now.wall);

  if (!lease) {
    // Nobody holds it (never created, or deleted). Creating it is a fresh acquisition;
    // a leader whose Lease was deleted keeps leading if its create wins.
    decision.what = action::create;
    return decision;
  }

  note_observation(*lease, now.monotonic);
  const bool ours = lease->holder_identity == identity_;
  const bool held_by_other = !lease->holder_identity.empty() && !ours;
  const auto valid_until = observed_at_ + std::chrono::seconds(lease->lease_duration_seconds);
  if (held_by_other) {
    // Another holder wrote the Lease after us: whatever we believed, we are not leading.
    leader_ = false;
    if (valid_until > now.monotonic) {
      decision.what = action::wait;
      return decision;
    }
  }

  decision.what = action::update;
  if (ours) {
    // A renewal (or our own identity from a previous run): keep the history.
    decision.record.acquire_time = lease->acquire_time;
    decision.record.lease_transitions = lease->lease_transitions;
  } else {
    decision.record.lease_transitions = lease->lease_transitions + 1;
  }
  return decision;
}

KOPP_DECL void LeaderElectionFsm::write_succeeded(const LeaseRecord& written, steady_time sent_at) {
  observed_ = written;
  observed_at_ = sent_at;
  leader_ = written.holder_identity == identity_;
  if (leader_) renewed_at_ = sent_at;
}

KOPP_DECL bool LeaderElectionFsm::check_deadline(steady_time now) noexcept {
  if (leader_ && now >= renew_deadline()) leader_ = false;
  return leader_;
}

KOPP_DECL std::optional<LeaseRecord> LeaderElectionFsm::release_record(ElectionTime now) const {
  if (!leader_ || !observed_ || observed_->holder_identity != identity_) return std::nullopt;
  LeaseRecord record;
  record.lease_duration_seconds = 1;
  record.acquire_time = MicroTime(now.wall);
  record.renew_time = MicroTime(now.wall);
  record.lease_transitions = observed_->lease_transitions;
  return record;
}

KOPP_DECL void LeaderElectionFsm::released(const std::optional<LeaseRecord>& written, steady_time at) {
  leader_ = false;
  if (written) {
    observed_ = *written;
    observed_at_ = at;
  }
}

KOPP_DECL const std::string& LeaderElectionFsm::observed_holder() const noexcept {
  static const std::string none;
  return observed_ ? observed_->holder_identity : none;
}

KOPP_DECL std::optional<LeaderElectionFsm::steady_time> LeaderElectionFsm::observed_expiry() const noexcept {
  if (!observed_) return std::nullopt;
  return observed_at_ + std::chrono::seconds(observed_->lease_duration_seconds);
}

}  // namespace kopp
