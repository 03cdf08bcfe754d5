#pragma once
// What a reconcile asks of the controller when it returns (controller-runtime's
// reconcile.Result, kube-rs' Action), and the error that must not be retried.

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>

namespace kopp {

class Action {
 public:
  /// Nothing more to do until the object or something it watches changes.
  static Action done() noexcept { return Action(std::nullopt); }
  /// Reconcile again after `delay` even if nothing changes (polling external state, a
  /// schedule). The per-item backoff is reset: this is success, not failure.
  static Action requeue_after(std::chrono::steady_clock::duration delay) noexcept { return Action(delay); }

  const std::optional<std::chrono::steady_clock::duration>& requeue() const noexcept { return requeue_; }
  bool operator==(const Action&) const = default;

 private:
  explicit Action(std::optional<std::chrono::steady_clock::duration> requeue) noexcept : requeue_(requeue) {}
  std::optional<std::chrono::steady_clock::duration> requeue_;
};

/// Thrown by a reconciler for a failure that retrying cannot fix (an invalid spec, a
/// missing permission the operator will never get). It is logged, counted in
/// controller_runtime_terminal_reconcile_errors_total, and the object is not requeued
/// until it changes.
class terminal_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace kopp
