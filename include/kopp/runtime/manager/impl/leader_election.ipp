#pragma once

#include <kopp/runtime/manager/leader_election.hpp>

#include <kopp/client/api.hpp>
#include <kopp/client/error.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <utility>

namespace kopp {

namespace detail {

KOPP_DECL std::string leader_random_hex(std::size_t digits) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(digits);
  while (out.size() < digits) {
    std::uint64_t bits = rng();
    for (int i = 0; i < 16 && out.size() < digits; ++i, bits >>= 4) out += hex[bits & 0xf];
  }
  return out;
}
}  // namespace detail

KOPP_DECL LeaderElectionTimings LeaderElectionOptions::timings() const {
  LeaderElectionTimings t;
  t.lease_duration = lease_duration;
  t.renew_deadline = renew_deadline;
  t.retry_period = retry_period;
  return t;
}

KOPP_DECL std::string default_leader_identity() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') std::snprintf(host, sizeof host, "kopp");
  return std::string(host) + "_" + detail::leader_random_hex(16);
}
namespace detail {

KOPP_DECL std::string le_error_text(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown exception";
  }
}

KOPP_DECL bool le_error_is(const std::exception_ptr& error, bool (*pred)(const api_error&) noexcept) {
  try {
    std::rethrow_exception(error);
  } catch (const api_error& e) {
    return pred(e);
  } catch (...) {
    return false;
  }
}

KOPP_DECL LeaseRecord le_record_of(const api::coordination::v1::LeaseSpec& spec) {
  LeaseRecord r;
  r.holder_identity = spec.holderIdentity.value_or("");
  r.lease_duration_seconds = spec.leaseDurationSeconds.value_or(0);
  r.acquire_time = spec.acquireTime.value_or(MicroTime());
  r.renew_time = spec.renewTime.value_or(MicroTime());
  r.lease_transitions = spec.leaseTransitions.value_or(0);
  return r;
}

KOPP_DECL void le_apply(const LeaseRecord& r, api::coordination::v1::LeaseSpec& spec) {
  spec.holderIdentity = r.holder_identity;
  spec.leaseDurationSeconds = r.lease_duration_seconds;
  spec.acquireTime = r.acquire_time.is_zero() ? std::nullopt : std::optional<MicroTime>(r.acquire_time);
  spec.renewTime = r.renew_time.is_zero() ? std::nullopt : std::optional<MicroTime>(r.renew_time);
  spec.leaseTransitions = r.lease_transitions;
}

KOPP_DECL void le_report_leader(le_state& st) {
  const std::string& holder = st.fsm.observed_holder();
  if (holder.empty() || holder == st.reported_leader) return;
  st.reported_leader = holder;
  {
    std::lock_guard lock(st.leader_mutex);
    st.leader = holder;
  }
  st.log.info("new leader observed", {{"leader", holder}});
  if (st.options.on_new_leader) st.options.on_new_leader(holder);
}

/// Waits until `until`, an earlier stop(), or (draining) the last request's end.
KOPP_DECL boost::asio::awaitable<void> le_sleep(const std::shared_ptr<le_state>& st,
                                                std::chrono::steady_clock::time_point until) {
  if (st->stopped) co_return;
  st->wake.expires_at(until);
  co_await st->wake.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
}

/// One read-decide-write round; a deadline bounds each request.
KOPP_DECL boost::asio::awaitable<void> le_round(std::shared_ptr<le_state> st,
                                                std::chrono::steady_clock::time_point deadline) {
  using lease_type = api::coordination::v1::Lease;
  std::optional<lease_type> lease;
  std::exception_ptr error;

  if (st->fsm.is_leader() && st->known) {
    // Fast path while leading: renew on top of what we wrote last; a conflict sends
    // the next round through a fresh read.
    lease = st->known;
  } else {
    std::optional<std::optional<lease_type>> read;
    const le_op<std::optional<lease_type>> get = [st, name = st->options.lease_name]() {
      return st->api.get_opt(name);
    };
    const le_outcome got = co_await le_request(st, deadline, get, read, error);
    if (got == le_outcome::timed_out) {
      if (!st->stopped) st->log.warn("reading the lease timed out");
      co_return;
    }
    if (got == le_outcome::failed) {
      st->log.warn("reading the lease failed", {{"error", le_error_text(error)}});
      co_return;
    }
    lease = std::move(*read);
  }

  std::optional<LeaseRecord> observed;
  if (lease) observed = le_record_of(lease->spec);
  const ElectionTime now = ElectionTime::now();
  const LeaderElectionFsm::Decision decision = st->fsm.observe(observed, now);
  le_report_leader(*st);
  if (decision.what == LeaderElectionFsm::action::wait) co_return;

  lease_type desired;
  if (decision.what == LeaderElectionFsm::action::update) {
    desired = *lease;  // keeps the resourceVersion and any field we do not manage
  } else {
    desired.metadata.name = st->options.lease_name;
    desired.metadata.namespace_ = st->options.lease_namespace;
  }
  le_apply(decision.record, desired.spec);

  std::optional<lease_type> written;
  const auto sent_at = std::chrono::steady_clock::now();
  le_op<lease_type> write;
  if (decision.what == LeaderElectionFsm::action::create) {
    write = [st, desired, params = PostParams(st->options.field_manager)]() { return st->api.create(desired, params); };
  } else {
    write = [st, desired, params = PostParams(st->options.field_manager)]() {
      return st->api.replace(desired, params);
    };
  }
  const le_outcome wrote = co_await le_request(st, deadline, write, written, error);
  if (wrote == le_outcome::done) {
    const bool was_leader = st->fsm.is_leader();
    st->fsm.write_succeeded(le_record_of(written->spec), sent_at);
    st->renew_deadline_ticks = st->fsm.renew_deadline().time_since_epoch().count();
    st->known = std::move(written);
    if (!was_leader) st->log.info("acquired the lease", {{"transitions", decision.record.lease_transitions}});
    le_report_leader(*st);
    co_return;
  }
  st->known.reset();
  st->fsm.write_failed();
  if (wrote == le_outcome::timed_out) {
    if (!st->stopped) st->log.warn("writing the lease timed out");
  } else if (le_error_is(error, &is_conflict) || le_error_is(error, &is_already_exists)) {
    // Another candidate wrote first: the normal way to lose a race.
    st->log.debug("lost the race for the lease", {{"error", le_error_text(error)}});
  } else {
    st->log.warn("writing the lease failed", {{"error", le_error_text(error)}});
  }
}

KOPP_DECL boost::asio::awaitable<void> le_release(std::shared_ptr<le_state> st) {
  using lease_type = api::coordination::v1::Lease;
  const ElectionTime now = ElectionTime::now();
  const auto deadline = now.monotonic + st->options.renew_deadline;
  const std::optional<LeaseRecord> record = st->fsm.release_record(now);
  if (!record) {
    st->fsm.released(std::nullopt, now.monotonic);
    co_return;
  }
  std::exception_ptr error;
  st->releasing = true;
  if (!st->known) {
    // The last renewal's outcome is unknown (it timed out or failed): read the Lease and
    // release it only if it still names us.
    std::optional<std::optional<lease_type>> read;
    const le_op<std::optional<lease_type>> get = [st, name = st->options.lease_name]() {
      return st->api.get_opt(name);
    };
    const le_outcome got = co_await le_request(st, deadline, get, read, error);
    if (got == le_outcome::done && *read && (*read)->spec.holderIdentity.value_or("") == st->options.identity)
      st->known = std::move(**read);
  }
  if (!st->known) {
    st->releasing = false;
    st->fsm.released(std::nullopt, now.monotonic);
    st->log.warn("the lease could not be read back for its release; successors wait for it to expire");
    co_return;
  }
  lease_type desired = *st->known;
  le_apply(*record, desired.spec);
  std::optional<lease_type> written;
  const le_op<lease_type> write = [st, desired, params = PostParams(st->options.field_manager)]() {
    return st->api.replace(desired, params);
  };
  const le_outcome wrote = co_await le_request(st, deadline, write, written, error);
  st->releasing = false;
  if (wrote == le_outcome::done) {
    st->fsm.released(le_record_of(written->spec), now.monotonic);
    st->known = std::move(written);
    st->log.info("released the lease");
  } else {
    st->fsm.released(std::nullopt, now.monotonic);
    st->log.warn("releasing the lease failed; successors wait for it to expire",
                 {{"error", wrote == le_outcome::timed_out ? std::string("timed out") : le_error_text(error)}});
  }
}

KOPP_DECL boost::asio::awaitable<void> le_run(std::shared_ptr<le_state> st) {
  using clock = std::chrono::steady_clock;
  const auto& timings = st->fsm.timings();
  st->log.info("competing for the lease");

  while (!st->stopped && !st->fsm.is_leader()) {
    co_await le_round(st, clock::now() + timings.renew_deadline);
    if (st->fsm.is_leader() || st->stopped) break;
    co_await le_sleep(st, clock::now() + st->jittered_retry());
  }

  bool lost = false;
  if (st->fsm.is_leader()) {
    st->leading = true;
    st->log.info("started leading");
    if (st->options.on_started_leading) st->options.on_started_leading();
    while (true) {
      co_await le_sleep(st, std::min(clock::now() + timings.retry_period, st->fsm.renew_deadline()));
      if (!st->fsm.check_deadline(clock::now())) {
        lost = true;
        break;
      }
      if (st->stopped) break;
      co_await le_round(st, st->fsm.renew_deadline());
      if (!st->fsm.check_deadline(clock::now()) || !st->fsm.is_leader()) {
        lost = true;
        break;
      }
    }
    if (lost) {
      const std::string& holder = st->fsm.observed_holder();
      st->log.warn("lost the lease", {{"reason", !holder.empty() && holder != st->fsm.identity()
                                                     ? "another holder took it"
                                                     : "not renewed within the renew deadline"}});
    } else if (st->options.release_on_cancel) {
      co_await le_release(st);
    } else {
      st->fsm.released(std::nullopt, clock::now());
    }
    st->leading = false;
    st->log.info("stopped leading");
    if (st->options.on_stopped_leading) st->options.on_stopped_leading();
  }

  // Requests abandoned at a deadline still reference the client: outlive them.
  st->draining = true;
  while (st->in_flight > 0) {
    st->wake.expires_at(clock::time_point::max());
    co_await st->wake.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  }
  st->log.info("leader election finished");
}
}  // namespace detail

KOPP_DECL LeaderElector::LeaderElector(Client& client, LeaderElectionOptions options) {
  if (options.lease_name.empty()) throw std::invalid_argument("kopp leader election: lease_name is required");
  if (options.lease_namespace.empty()) throw std::invalid_argument("kopp leader election: lease_namespace is required");
  options.timings().validate();
  if (options.identity.empty()) options.identity = default_leader_identity();
  state_ = std::make_shared<state>(client, std::move(options));
}

KOPP_DECL LeaderElector::~LeaderElector() = default;

KOPP_DECL boost::asio::awaitable<void> LeaderElector::run() {
  std::shared_ptr<state> st = state_;
  // Checked on the caller's side so that a second run() fails at once.
  if (st->started.exchange(true)) throw std::logic_error("kopp::LeaderElector::run() called twice");
  co_await boost::asio::co_spawn(st->strand, detail::le_run(st), boost::asio::use_awaitable);
}

KOPP_DECL void LeaderElector::stop() {
  std::shared_ptr<state> st = state_;
  boost::asio::post(st->strand, [st] {
    st->stopped = true;
    // A release, or a renewal while we lead, is left to finish (le_request); any other wait
    // ends now.
    if (!st->releasing && !(st->awaited && st->fsm.is_leader())) st->wake.cancel();
  });
}

KOPP_DECL bool LeaderElector::is_leader() const noexcept { return state_->leading.load(); }

KOPP_DECL bool LeaderElector::holds_lease() const noexcept {
  if (!state_->leading.load()) return false;
  const auto deadline =
      std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(state_->renew_deadline_ticks.load()));
  return std::chrono::steady_clock::now() < deadline;
}

KOPP_DECL const std::string& LeaderElector::identity() const noexcept { return state_->options.identity; }

KOPP_DECL std::string LeaderElector::leader() const {
  std::lock_guard lock(state_->leader_mutex);
  return state_->leader;
}
}  // namespace kopp
