#pragma once
// QueueDecision: what the controller does with a key once its reconcile ended, as a pure
// function so that the rules are tested on their own (controller-runtime's
// reconcileHandler, with kopp's terminal errors):
//
//   | outcome                          | queue                      | result label   |
//   |----------------------------------|----------------------------|----------------|
//   | Action::done()                   | forget                     | success        |
//   | Action::requeue_after(d)         | forget, add_after(d)       | requeue_after  |
//   | an exception (or a timeout)      | add_rate_limited           | error          |
//   | kopp::terminal_error             | forget                     | error          |
//   | anything while the controller stops | nothing                 | success/error  |
//
// forget resets the key's backoff: a success or a requeue_after is not a failure, and a
// terminal error waits for the object to change (an event adds the key again) instead of
// retrying with growing backoff. Unlike controller-runtime there is no "requeue at once"
// result: Action::requeue_after(0) is the nearest.

#include <kopp/runtime/controller/action.hpp>

#include <chrono>
#include <optional>
#include <string_view>

namespace kopp {

struct QueueDecision {
  bool forget = false;                                           ///< reset the key's backoff
  std::optional<std::chrono::steady_clock::duration> add_after;  ///< reconcile again after this
  bool add_rate_limited = false;                                 ///< retry with the key's growing backoff
  std::string_view result;                                       ///< controller_runtime_reconcile_total's result label
  bool error = false;     ///< counts in controller_runtime_reconcile_errors_total
  bool terminal = false;  ///< counts in ..._terminal_reconcile_errors_total

  friend bool operator==(const QueueDecision&, const QueueDecision&) = default;
};

/// `action` is what the reconcile returned (nullopt when it threw or timed out),
/// `terminal` whether it threw kopp::terminal_error, `stopping` whether the controller is
/// being stopped (then the queue is left alone: whoever reconciles next starts afresh).
[[nodiscard]] inline QueueDecision decide_after_reconcile(const std::optional<Action>& action, bool terminal,
                                                          bool stopping) noexcept {
  QueueDecision d;
  if (stopping) {
    d.result = action ? "success" : "error";
    return d;
  }
  if (action) {
    d.forget = true;
    d.add_after = action->requeue();
    d.result = d.add_after ? "requeue_after" : "success";
    return d;
  }
  d.result = "error";
  d.error = true;
  d.terminal = terminal;
  if (terminal)
    d.forget = true;
  else
    d.add_rate_limited = true;
  return d;
}

}  // namespace kopp
