#pragma once

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

// Everything the elector's coroutines share. All of it but the atomics and `leader_mutex`
// is touched only on `strand`, which also serialises the callbacks. Requests run in
// detached coroutines that own a reference to this state, so that a request hanging past
// the renew deadline cannot delay the decision that leadership is lost.
struct LeaderElector::state {
  using steady = std::chrono::steady_clock;
  using lease_type = api::coordination::v1::Lease;

  state(Client& c, LeaderElectionOptions o)
      : client(c),
        options(std::move(o)),
        strand(boost::asio::make_strand(c.get_executor())),
        api(c, options.lease_namespace),
        fsm(options.identity, options.timings()),
        wake(strand),
        log(options.logger.with({{"logger", "leader-election"},
                                 {"lease", options.lease_namespace + "/" + options.lease_name},
                                 {"identity", options.identity}})) {}

  Client& client;
  LeaderElectionOptions options;
  boost::asio::strand<boost::asio::any_io_executor> strand;
  Api<lease_type> api;
  LeaderElectionFsm fsm;
  boost::asio::steady_timer wake;   // the one thing run() waits on at any time
  std::optional<lease_type> known;  // the Lease as we last wrote it (fast renew / release)
  std::string reported_leader;
  std::atomic<bool> started{false};
  bool stopped = false;
  bool releasing = false;  // stop() must not cut the release short
  int in_flight = 0;
  const void* awaited = nullptr;  // the request run() waits for; its completion wakes run()
  bool draining = false;
  std::mt19937_64 rng{std::random_device{}()};

  std::atomic<bool> leading{false};
  // fsm.renew_deadline() while leading, for holds_lease() on other threads.
  std::atomic<std::chrono::steady_clock::rep> renew_deadline_ticks{0};
  mutable std::mutex leader_mutex;
  std::string leader;  // copy of reported_leader for other threads
  Logger log;

  std::chrono::milliseconds jittered_retry() {
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    const double factor = 1.0 + std::max(0.0, options.retry_jitter) * unit(rng);
    return std::chrono::milliseconds(
        static_cast<std::chrono::milliseconds::rep>(static_cast<double>(options.retry_period.count()) * factor));
  }
};

namespace detail {

using le_state = LeaderElector::state;

template <class T>
struct le_slot {
  std::optional<T> value;
  std::exception_ptr error;
  bool done = false;
};

// Requests are passed as named std::function objects rather than lambdas: GCC 12 destroys
// a closure temporary twice when it is created inside a co_await expression.
template <class T>
using le_op = std::function<boost::asio::awaitable<T>()>;

template <class T>
boost::asio::awaitable<void> le_perform(std::shared_ptr<le_state> st, std::shared_ptr<le_slot<T>> slot,
                                        le_op<T> make_op) {
  try {
    T result = co_await make_op();
    slot->value = std::move(result);
  } catch (...) {
    slot->error = std::current_exception();
  }
  slot->done = true;
  --st->in_flight;
  if (st->awaited == slot.get() || (st->draining && st->in_flight == 0)) st->wake.cancel();
}

enum class le_outcome { done, failed, timed_out };

/// Runs a request in its own coroutine and waits for it until `deadline` or stop().
/// `out` receives the result; `error` the exception when it failed.
template <class T>
boost::asio::awaitable<le_outcome> le_request(const std::shared_ptr<le_state>& st,
                                              std::chrono::steady_clock::time_point deadline, const le_op<T>& make_op,
                                              std::optional<T>& out, std::exception_ptr& error) {
  auto slot = std::make_shared<le_slot<T>>();
  ++st->in_flight;
  boost::asio::co_spawn(st->strand, le_perform<T>(st, slot, make_op), boost::asio::detached);
  // Once stopped, only a release is awaited, or a renewal of a Lease we hold: abandoning
  // it would leave us without the resourceVersion the release needs.
  if (!slot->done && (!st->stopped || st->releasing || st->fsm.is_leader())) {
    st->awaited = slot.get();
    st->wake.expires_at(deadline);
    co_await st->wake.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    st->awaited = nullptr;
  }
  if (!slot->done) co_return le_outcome::timed_out;
  if (slot->error) {
    error = slot->error;
    co_return le_outcome::failed;
  }
  out = std::move(slot->value);
  co_return le_outcome::done;
}

}  // namespace detail

}  // namespace kopp
