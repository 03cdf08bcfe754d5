// LeaderElectionFsm driven by a fake clock: no server.

#include <kopp/runtime/manager/leader_election_fsm.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <optional>

using namespace std::chrono_literals;
using kopp::LeaderElectionFsm;
using kopp::LeaseRecord;
using action = LeaderElectionFsm::action;

namespace {

// Monotonic and wall clocks that only move when the test says so; the wall clock can
// be skewed independently to show it plays no part in expiry.
struct FakeClock {
  std::chrono::steady_clock::time_point mono{std::chrono::hours(1000)};
  std::chrono::system_clock::time_point wall{std::chrono::sys_days{std::chrono::year{2026} / 1 / 1}};
  void advance(std::chrono::milliseconds d) {
    mono += d;
    wall += d;
  }
  kopp::ElectionTime now() const { return {mono, wall}; }
};

kopp::LeaderElectionTimings timings() {
  kopp::LeaderElectionTimings t;  // 15 s / 10 s / 2 s
  return t;
}

LeaseRecord held_by(std::string holder, FakeClock& clock, std::int32_t transitions = 0) {
  LeaseRecord r;
  r.holder_identity = std::move(holder);
  r.lease_duration_seconds = 15;
  r.acquire_time = kopp::MicroTime(clock.wall);
  r.renew_time = kopp::MicroTime(clock.wall);
  r.lease_transitions = transitions;
  return r;
}

}  // namespace

TEST_CASE("leader election fsm: creates an absent lease and leads after the write", "[leader_election_fsm]") {
  FakeClock clock;
  LeaderElectionFsm fsm("me", timings());
  const auto d = fsm.observe(std::nullopt, clock.now());
  REQUIRE(d.what == action::create);
  CHECK(d.record.holder_identity == "me");
  CHECK(d.record.lease_duration_seconds == 15);
  CHECK(d.record.lease_transitions == 0);
  CHECK(d.record.acquire_time == kopp::MicroTime(clock.wall));
  CHECK(d.record.renew_time == kopp::MicroTime(clock.wall));
  CHECK_FALSE(fsm.is_leader());  // deciding is not winning

  fsm.write_succeeded(d.record, clock.mono);
  CHECK(fsm.is_leader());
  CHECK(fsm.observed_holder() == "me");
  CHECK(fsm.renew_deadline() == clock.mono + 10s);
}

TEST_CASE("leader election fsm: a failed create (already exists) does not make us leader", "[leader_election_fsm]") {
  FakeClock clock;
  LeaderElectionFsm fsm("me", timings());
  const auto d = fsm.observe(std::nullopt, clock.now());
  REQUIRE(d.what == action::create);
  fsm.write_failed();
  CHECK_FALSE(fsm.is_leader());
}

TEST_CASE("leader election fsm: waits while someone else holds an unexpired lease", "[leader_election_fsm]") {
  FakeClock clock;
  LeaderElectionFsm fsm("me", timings());
  const LeaseRecord other = held_by("other", clock, 3);
  CHECK(fsm.observe(other, clock.now()).what == action::wait);
  CHECK(fsm.observed_holder() == "other");
  // The holder keeps renewing: each change restarts the expiry clock.
  for (int i = 0; i < 20; ++i) {
    clock.advance(2s);
    LeaseRecord renewed = other;
    renewed.renew_time = kopp::MicroTime(clock.wall);
    CHECK(fsm.observe(renewed, clock.now()).what == action::wait);
  }
  CHECK_FALSE(fsm.is_leader());
}

TEST_CASE("leader election fsm: takes over after the lease duration measured from our observation",
          "[leader_election_fsm]") {
  FakeClock clock;
  LeaderElectionFsm fsm("me", timings());
  // The holder's renewTime claims an hour ago (a skewed clock): we must not believe it.
  LeaseRecord stale = held_by("other", clock, 3);
  stale.renew_time = kopp::MicroTime(clock.wall - 1h);
  stale.acquire_time = kopp::MicroTime(clock.wall - 2h);
  CHECK(fsm.observe(stale, clock.now()).what == action::wait);
  REQUIRE(fsm.observed_expiry() == clock.mono + 15s);

  clock.advance(14'999ms);  // unchanged record: still valid by our observation
  CHECK(fsm.observe(stale, clock.now()).what == action::wait);

  clock.advance(1ms);
  const auto d = fsm.observe(stale, clock.now());
  REQUIRE(d.what == action::update);
  CHECK(d.record.holder_identity == "me");
  CHECK(d.record.lease_transitions == 4);  // a new holder
  CHECK(d.record.acquire_time == kopp::MicroTime(clock.wall));
  fsm.write_succeeded(d.record, clock.mono);
  CHECK(fsm.is_leader());
}

TEST_CASE("leader election fsm: a server clock in the future does not extend the lease", "[leader_election_fsm]") {
  FakeClock clock;
  LeaderElectionFsm fsm("me", timings());
  LeaseRecord future = held_by("other", clock);
  future.renew_time = kopp::MicroTime(clock.wall + 24h);
  CHECK(fsm.observe(future, clock.now()).what == action::wait);
  clock.advance(15s);
  CHECK(fsm.observe(future, clock.now()).what == action::update);
}

TEST_CASE("leader election fsm: uses the observed lease's own duration", "[leader_election_fsm]") {
  FakeClock clock;
  LeaderElectionFsm fsm("me", timings());
  LeaseRecord shortLease = held_by("other", clock);
  shortLease.lease_duration_seconds = 3;
  CHECK(fsm.observe(shortLease, clock.now()).what == action::wait);
  clock.advance(3s);
  CHECK(fsm.observe(shortLease, clock.now()).what == action::update);
}

TEST_CASE("leader election fsm: acquires a released lease at once", "[leader_election_fsm]") {
  FakeClock clock;
  LeaderElectionFsm fsm("me", timings());
  LeaseRecord released;
  released.lease_duration_seconds = 1;
  released.acquire_time = kopp::MicroTime(clock.wall);
  released.renew_time = kopp::MicroTime(clock.wall);
  released.lease_transitions = 7;
  const auto d = fsm.observe(released, clock.now());
  REQUIRE(d.what == action::update);
  CHECK(d.record.holder_identity == "me");
  CHECK(d.record.lease_transitions == 8);
}

TEST_CASE("leader election fsm: renewing keeps acquireTime and transitions", "[leader_election_fsm]") {
  FakeClock clock;
  LeaderElectionFsm fsm("me", timings());
  const LeaseRecord mine = held_by("me", clock, 5);
  const auto first = fsm.observe(mine, clock.now());
  REQUIRE(first.what == action::update);
  fsm.write_succeeded(first.record, clock.mono);
  REQUIRE(fsm.is_leader());

  clock.advance(2s);
  const auto renew = fsm.observe(first.record, clock.now());
  REQUIRE(renew.what == action::update);
  CHECK(renew.record.acquire_time == mine.acquire_time);
  CHECK(renew.record.lease_transitions == 5);
  CHECK(renew.record.renew_time == kopp::MicroTime(clock.wall));
  fsm.write_succeeded(renew.record, clock.mono);
  CHECK(fsm.renew_deadline() == clock.mono + 10s);
}

TEST_CASE("leader election fsm: loses leadership when the renew deadline passes", "[leader_election_fsm]") {
  FakeClock clock;
  LeaderElectionFsm fsm("me", timings());
  const auto d = fsm.observe(std::nullopt, clock.now());
  const auto sent = clock.mono;
  clock.advance(300ms);  // the response arrives later; the deadline counts from sending
  fsm.write_succeeded(d.record, sent);

  // Renewals keep failing.
  for (int i = 0; i < 4; ++i) {
    clock.advance(2s);
    const auto r = fsm.observe(d.record, clock.now());
    REQUIRE(r.what == action::update);
    fsm.write_failed();
    CHECK(fsm.check_deadline(clock.mono));
  }
  clock.advance(1'699ms);  // 9.999 s after sending
  CHECK(fsm.check_deadline(clock.mono));
  clock.advance(1ms);
  CHECK_FALSE(fsm.check_deadline(clock.mono));
  CHECK_FALSE(fsm.is_leader());
  // Deposed before any other candidate may take over (lease 15 s from its observation,
  // which cannot precede our sending).
  CHECK(fsm.renew_deadline() < sent + 15s);
}

TEST_CASE("leader election fsm: a lease renewed by someone else deposes us", "[leader_election_fsm]") {
  FakeClock clock;
  LeaderElectionFsm fsm("me", timings());
  const auto d = fsm.observe(std::nullopt, clock.now());
  fsm.write_succeeded(d.record, clock.mono);
  REQUIRE(fsm.is_leader());
  clock.advance(1s);
  CHECK(fsm.observe(held_by("usurper", clock, 1), clock.now()).what == action::wait);
  CHECK_FALSE(fsm.is_leader());
  CHECK(fsm.observed_holder() == "usurper");
}

TEST_CASE("leader election fsm: release clears the holder and keeps transitions", "[leader_election_fsm]") {
  FakeClock clock;
  LeaderElectionFsm fsm("me", timings());
  CHECK_FALSE(fsm.release_record(clock.now()));  // nothing to release when not leading

  LeaderElectionFsm mine("me", timings());
  const auto c = mine.observe(std::nullopt, clock.now());
  mine.write_succeeded(c.record, clock.mono);
  clock.advance(1s);
  const auto rel = mine.release_record(clock.now());
  REQUIRE(rel);
  CHECK(rel->holder_identity.empty());
  CHECK(rel->lease_duration_seconds == 1);
  CHECK(rel->lease_transitions == c.record.lease_transitions);
  mine.released(rel, clock.mono);
  CHECK_FALSE(mine.is_leader());
  CHECK_FALSE(mine.release_record(clock.now()));

  // A successor reading the released lease acquires it at once.
  LeaderElectionFsm successor("next", timings());
  const auto s = successor.observe(*rel, clock.now());
  CHECK(s.what == action::update);
  CHECK(s.record.lease_transitions == c.record.lease_transitions + 1);
}

TEST_CASE("leader election fsm: timings are validated", "[leader_election_fsm]") {
  kopp::LeaderElectionTimings t;
  CHECK_NOTHROW(t.validate());
  t.renew_deadline = 15s;
  CHECK_THROWS_AS(t.validate(), std::invalid_argument);
  t = {};
  t.retry_period = 10s;
  CHECK_THROWS_AS(t.validate(), std::invalid_argument);
  t = {};
  t.lease_duration = 15'500ms;
  CHECK_THROWS_AS(t.validate(), std::invalid_argument);
  t = {};
  t.retry_period = 0ms;
  CHECK_THROWS_AS(t.validate(), std::invalid_argument);
}
