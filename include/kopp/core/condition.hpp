#pragma once
// meta/v1 Condition and the helpers of apimachinery's meta package
// (SetStatusCondition, FindStatusCondition, IsStatusConditionTrue, ...).

#include <kopp/core/detail/config.hpp>
#include <kopp/core/time.hpp>

#include <kopp/core/json_options.hpp>

#include <boost/describe/class.hpp>

#include <algorithm>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kopp {

inline constexpr std::string_view condition_true = "True";
inline constexpr std::string_view condition_false = "False";
inline constexpr std::string_view condition_unknown = "Unknown";

struct Condition {
  std::string type;    // CamelCase, e.g. "Available"
  std::string status;  // "True", "False" or "Unknown"
  std::int64_t observedGeneration = 0;
  Time lastTransitionTime;  // when status last changed
  std::string reason;       // CamelCase, e.g. "MinimumReplicasAvailable"
  std::string message;

  friend bool operator==(const Condition&, const Condition&) = default;

  /// "Available=False (MinimumReplicasUnavailable: 1 of 3 ready) at generation 4": for logs
  /// and for test frameworks' failure messages (Catch2 and GoogleTest print through it).
  friend std::ostream& operator<<(std::ostream& os, const Condition& c) {
    os << c.type << '=' << c.status;
    if (!c.reason.empty() || !c.message.empty()) {
      os << " (" << c.reason;
      if (!c.message.empty()) os << ": " << c.message;
      os << ')';
    }
    if (c.observedGeneration != 0) os << " at generation " << c.observedGeneration;
    return os;
  }
};
BOOST_DESCRIBE_STRUCT(Condition, (), (type, status, observedGeneration, lastTransitionTime, reason, message))
KOPP_JSON_OMIT_ZERO(Condition, observedGeneration)
// Go writes these without omitempty and CRD schemas of conditions require them: an empty
// message must still be sent.
KOPP_JSON_KEEP_EMPTY(Condition, type, status, reason, message)

/// A condition as a reconcile reports it: `observed_generation` is the metadata.generation
/// of the object the reconcile acted on, so readers can tell a condition about the current
/// spec from one about an older one. `status` is condition_true, condition_false or
/// condition_unknown; lastTransitionTime is left for set_status_condition to fill in.
[[nodiscard]] inline Condition make_condition(std::string_view type, std::string_view status, std::string reason,
                                              std::string message, std::int64_t observed_generation) {
  Condition c;
  c.type = std::string(type);
  c.status = std::string(status);
  c.reason = std::move(reason);
  c.message = std::move(message);
  c.observedGeneration = observed_generation;
  return c;
}

/// condition_true or condition_false.
[[nodiscard]] constexpr std::string_view condition_status(bool holds) noexcept {
  return holds ? condition_true : condition_false;
}

/// The condition of type `type`, or nullptr.
[[nodiscard]] inline Condition* find_status_condition(std::vector<Condition>& conditions,
                                                      std::string_view type) noexcept {
  for (Condition& c : conditions)
    if (c.type == type) return &c;
  return nullptr;
}
[[nodiscard]] inline const Condition* find_status_condition(const std::vector<Condition>& conditions,
                                                            std::string_view type) noexcept {
  for (const Condition& c : conditions)
    if (c.type == type) return &c;
  return nullptr;
}

/// Adds `condition`, or updates the one of the same type. lastTransitionTime changes only
/// when the status changes (or the condition is new): to condition.lastTransitionTime if
/// set, else to `now`. reason, message and observedGeneration are always brought up to
/// date. Returns whether anything changed.
inline bool set_status_condition(std::vector<Condition>& conditions, Condition condition, Time now) {
  Condition* existing = find_status_condition(conditions, condition.type);
  if (existing == nullptr) {
    if (condition.lastTransitionTime.is_zero()) condition.lastTransitionTime = now;
    conditions.push_back(std::move(condition));
    return true;
  }
  bool changed = false;
  if (existing->status != condition.status) {
    existing->status = condition.status;
    existing->lastTransitionTime = condition.lastTransitionTime.is_zero() ? now : condition.lastTransitionTime;
    changed = true;
  }
  if (existing->reason != condition.reason) {
    existing->reason = std::move(condition.reason);
    changed = true;
  }
  if (existing->message != condition.message) {
    existing->message = std::move(condition.message);
    changed = true;
  }
  if (existing->observedGeneration != condition.observedGeneration) {
    existing->observedGeneration = condition.observedGeneration;
    changed = true;
  }
  return changed;
}

/// Removes the condition of type `type`. Returns whether one was removed.
inline bool remove_status_condition(std::vector<Condition>& conditions, std::string_view type) {
  return std::erase_if(conditions, [&](const Condition& c) { return c.type == type; }) != 0;
}

[[nodiscard]] inline bool is_status_condition_present_and_equal(const std::vector<Condition>& conditions,
                                                                std::string_view type,
                                                                std::string_view status) noexcept {
  const Condition* c = find_status_condition(conditions, type);
  return c != nullptr && c->status == status;
}

[[nodiscard]] inline bool is_status_condition_true(const std::vector<Condition>& conditions,
                                                   std::string_view type) noexcept {
  return is_status_condition_present_and_equal(conditions, type, condition_true);
}

[[nodiscard]] inline bool is_status_condition_false(const std::vector<Condition>& conditions,
                                                    std::string_view type) noexcept {
  return is_status_condition_present_and_equal(conditions, type, condition_false);
}

}  // namespace kopp

#if !KOPP_HEADER_ONLY
// Compiled mode: the JSON codecs are compiled once (core/impl/codecs.ipp).
#include <kopp/core/json.hpp>

KOPP_JSON_CODEC_EXTERN(kopp::Condition);
#endif
