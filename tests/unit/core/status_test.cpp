#include <kopp/core/json.hpp>
#include <kopp/core/status.hpp>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

TEST_CASE("Status decodes a server failure with details", "[core][status][json]") {
  const char* body = R"({
      "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
      "message": "Deployment.apps \"web\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0",
      "reason": "Invalid",
      "details": {"name": "web", "group": "apps", "kind": "Deployment",
                  "causes": [{"reason": "FieldValueInvalid",
                              "message": "Invalid value: -1: must be greater than or equal to 0",
                              "field": "spec.replicas"}]},
      "code": 422})";
  const auto s = kopp::parse_json<kopp::Status>(body);
  CHECK(s.is_failure());
  CHECK_FALSE(s.is_success());
  CHECK(s.reason == kopp::status_reason::invalid);
  CHECK(s.code == 422);
  REQUIRE(s.details.has_value());
  CHECK(s.details->kind == "Deployment");
  REQUIRE(s.details->causes.size() == 1);
  CHECK(s.details->causes[0].reason == "FieldValueInvalid");
  CHECK(s.details->causes[0].field == "spec.replicas");
  CHECK(s.details->retryAfterSeconds == 0);

  // "metadata": {} is empty and is dropped; everything else is written back.
  boost::json::value expected = boost::json::parse(body);
  expected.as_object().erase("metadata");
  CHECK(kopp::to_json(s) == expected);
}

TEST_CASE("Status decodes 404 and 429 bodies", "[core][status][json]") {
  const auto nf = kopp::parse_json<kopp::Status>(
      R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
            "message":"configmaps \"x\" not found","reason":"NotFound",
            "details":{"name":"x","kind":"configmaps"},"code":404})");
  CHECK(nf.reason == kopp::status_reason::not_found);
  CHECK(nf.details->name == "x");

  const auto busy = kopp::parse_json<kopp::Status>(
      R"({"kind":"Status","status":"Failure","reason":"TooManyRequests","code":429,
            "details":{"retryAfterSeconds":3}})");
  CHECK(busy.details->retryAfterSeconds == 3);
  CHECK(busy.reason == kopp::status_reason::too_many_requests);
}
