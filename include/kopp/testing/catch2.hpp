#pragma once
// Catch2 (v2, <catch2/catch.hpp>) matchers for tests of kopp operators: status conditions
// and the errors requests fail with. Include it from test files only: Catch2 stays a test
// dependency. (Conditions print readably in any failure message through their operator<<,
// kopp/core/condition.hpp; a Catch::StringMaker here would print differently in the files
// that do not include this header, an ODR violation that the linker resolves at random.)
//
//   CHECK_THAT(memcached.status.conditions, kopp::testing::HasCondition("Available", "True"));
//   CHECK_THAT(memcached.status.conditions,
//              kopp::testing::HasCondition("Degraded", "True").with_reason("OwnedByOther"));
//   const auto get_missing = [&] { kopp::testing::run(...get("missing")...); };
//   CHECK_THROWS_MATCHES(get_missing(), kopp::api_error, kopp::testing::IsApiError(kopp::errc::not_found));
//
// CHECK_THROWS_MATCHES evaluates its expression inside the macro, so the expression must
// not be a co_await (GCC 12 miscompiles co_await inside Catch2's macros): call a function
// that runs the coroutine (kopp::testing::run), as above.

#include <kopp/client/error.hpp>
#include <kopp/core/condition.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

namespace kopp::testing {

/// Matches a list of status conditions that holds one of `type` with `status` (and, with
/// with_reason(), that reason).
class ConditionMatcher : public Catch::MatcherBase<std::vector<Condition>> {
 public:
  ConditionMatcher(std::string type, std::string status) : type_(std::move(type)), status_(std::move(status)) {}

  ConditionMatcher& with_reason(std::string reason) {
    reason_ = std::move(reason);
    return *this;
  }

  bool match(const std::vector<Condition>& conditions) const override {
    const Condition* found = find_status_condition(conditions, type_);
    return found != nullptr && found->status == status_ && (reason_.empty() || found->reason == reason_);
  }

  std::string describe() const override {
    return "has condition " + type_ + "=" + status_ + (reason_.empty() ? "" : " with reason " + reason_);
  }

 private:
  std::string type_;
  std::string status_;
  std::string reason_;
};

inline ConditionMatcher HasCondition(std::string type, std::string status = "True") {
  return ConditionMatcher(std::move(type), std::move(status));
}

/// Matches an api_error whose code is `code` (errc::not_found, errc::conflict, ...).
class ApiErrorMatcher : public Catch::MatcherBase<api_error> {
 public:
  explicit ApiErrorMatcher(errc code) : code_(code) {}

  bool match(const api_error& error) const override { return error.code() == make_error_code(code_); }

  std::string describe() const override { return "is an api_error \"" + make_error_code(code_).message() + "\""; }

 private:
  errc code_;
};

inline ApiErrorMatcher IsApiError(errc code) { return ApiErrorMatcher(code); }

}  // namespace kopp::testing
