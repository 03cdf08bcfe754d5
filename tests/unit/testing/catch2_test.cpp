// kopp/testing/catch2.hpp: the condition and error matchers; how conditions print in failures.

#include <kopp/testing/catch2.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace {

std::vector<kopp::Condition> conditions() {
  kopp::Condition available;
  available.type = "Available";
  available.status = "False";
  available.reason = "MinimumReplicasUnavailable";
  available.message = "1 of 3 ready";
  available.observedGeneration = 4;
  kopp::Condition degraded;
  degraded.type = "Degraded";
  degraded.status = "True";
  degraded.reason = "OwnedByOther";
  return {available, degraded};
}

}  // namespace

TEST_CASE("HasCondition matches a condition's type, status and reason", "[testing][catch2]") {
  using kopp::testing::HasCondition;
  const auto list = conditions();
  CHECK_THAT(list, HasCondition("Available", "False"));
  CHECK_THAT(list, HasCondition("Degraded"));  // status "True" by default
  CHECK_THAT(list, HasCondition("Degraded").with_reason("OwnedByOther"));
  CHECK_FALSE(HasCondition("Available").match(list));                      // wrong status
  CHECK_FALSE(HasCondition("Degraded").with_reason("Other").match(list));  // wrong reason
  CHECK_FALSE(HasCondition("Progressing", "Unknown").match(list));         // absent
  CHECK(HasCondition("Degraded").with_reason("OwnedByOther").describe() ==
        "has condition Degraded=True with reason OwnedByOther");
}

TEST_CASE("a failure message prints each condition with reason, message and generation", "[testing][catch2]") {
  // Through Condition's operator<<, in every file alike (no StringMaker specialisation).
  const auto list = conditions();
  CHECK(Catch::Detail::stringify(list.at(0)) ==
        "Available=False (MinimumReplicasUnavailable: 1 of 3 ready) at generation 4");
  CHECK(Catch::Detail::stringify(list.at(1)) == "Degraded=True (OwnedByOther)");
}

TEST_CASE("IsApiError matches the error code a request failed with", "[testing][catch2]") {
  using kopp::testing::IsApiError;
  const kopp::api_error missing(kopp::make_error_code(kopp::errc::not_found), "GET /api/v1/x: not found");
  CHECK_THAT(missing, IsApiError(kopp::errc::not_found));
  CHECK_FALSE(IsApiError(kopp::errc::conflict).match(missing));
  const auto throw_missing = [&] { throw missing; };
  CHECK_THROWS_MATCHES(throw_missing(), kopp::api_error, IsApiError(kopp::errc::not_found));
  CHECK_THAT(IsApiError(kopp::errc::conflict).describe(), Catch::Contains("is an api_error"));
}
