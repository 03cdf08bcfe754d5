// The webhooks without a server: the defaulter and the validator through kopp's admission
// handlers (as the API server calls them), v1 <-> v2beta1 conversion, lossless both ways on
// many samples, and the generated manifests.
#include <crontab/v2beta1.hpp>
#include <crontab/webhook.hpp>

#include <kopp/core/json.hpp>
#include <kopp/core/json_patch.hpp>

#include <catch2/catch.hpp>

#include <boost/json/serialize.hpp>

#include <random>

using namespace crontab;
using Catch::Contains;

namespace {

boost::json::value J(std::string_view text) { return kopp::parse_json_value(text); }

kopp::AdmissionRequest request_for(kopp::AdmissionOperation operation, std::string_view object,
                                   std::string_view old_object = "") {
  kopp::AdmissionRequest request;
  request.kind = kopp::gvk_of<CronTab>();
  request.operation = operation;
  request.object = J(object);
  if (!old_object.empty()) request.old_object = J(old_object);
  return request;
}

std::string crontab_json(std::string_view cron_spec, std::string_view image = "busybox:1.36") {
  std::string spec = R"({"cronSpec":")" + std::string(cron_spec) + "\"";
  if (!image.empty()) spec += R"(,"image":")" + std::string(image) + "\"";
  return R"({"apiVersion":"example.com/v1","kind":"CronTab","metadata":{"name":"backup","namespace":"ops"},"spec":)" +
         spec + "}}";
}

std::shared_ptr<kopp::ConversionScheme> scheme() {
  auto s = std::make_shared<kopp::ConversionScheme>();
  add_conversions(kopp::ConversionBuilder<CronTab>(*s));
  return s;
}

}  // namespace

TEST_CASE("the defaulter gives a CronTab without an image the operator's --default-image", "[webhook]") {
  const auto defaulting = kopp::defaulting_admission<CronTab>(std::make_shared<CronTabDefaulter>("busybox:1.36"));
  const auto request = request_for(kopp::AdmissionOperation::create, crontab_json("*/5 * * * *", ""));
  const auto verdict = defaulting(request);
  REQUIRE(verdict.allowed);
  CHECK(verdict.patch == J(R"([{"op":"add","path":"/spec/image","value":"busybox:1.36"}])"));

  CHECK(defaulting(request_for(kopp::AdmissionOperation::create, crontab_json("*/5 * * * *", "alpine")))
            .patch.empty());  // an image given stays
  const auto none = kopp::defaulting_admission<CronTab>(std::make_shared<CronTabDefaulter>(""));
  CHECK(none(request).patch.empty());
}

TEST_CASE("the validator refuses what the schema's pattern lets through, naming the field", "[webhook]") {
  const auto validating = kopp::validating_admission<CronTab>(std::make_shared<CronTabValidator>());
  CHECK(validating(request_for(kopp::AdmissionOperation::create, crontab_json("*/5 * * * *"))).allowed);

  const auto february = validating(request_for(kopp::AdmissionOperation::create, crontab_json("0 0 30 2 *")));
  CHECK_FALSE(february.allowed);
  CHECK(february.code == 422);
  REQUIRE(february.causes.size() == 1);
  CHECK(february.causes[0].field == "spec.cronSpec");
  CHECK_THAT(february.causes[0].message, Contains("never"));

  const auto minute = validating(request_for(kopp::AdmissionOperation::create, crontab_json("61 * * * *")));
  REQUIRE(minute.causes.size() == 1);
  CHECK(minute.causes[0].field == "spec.cronSpec");
  CHECK_THAT(minute.causes[0].message, Contains("61"));

  const auto no_image = validating(request_for(kopp::AdmissionOperation::create, crontab_json("* * * * *", "")));
  REQUIRE(no_image.causes.size() == 1);
  CHECK(no_image.causes[0].field == "spec.image");
  CHECK(no_image.causes[0].message == "is required");
}

TEST_CASE("the validator lets an invalid CronTab stored earlier be relabelled, not changed into another invalid one",
          "[webhook]") {
  const auto validating = kopp::validating_admission<CronTab>(std::make_shared<CronTabValidator>());
  auto relabelled = J(crontab_json("0 0 30 2 *"));
  relabelled.as_object()["metadata"].as_object()["labels"] = {{"team", "ops"}};
  CHECK(validating(request_for(kopp::AdmissionOperation::update, boost::json::serialize(relabelled),
                               crontab_json("0 0 30 2 *")))
            .allowed);
  CHECK_FALSE(
      validating(request_for(kopp::AdmissionOperation::update, crontab_json("0 0 31 2 *"), crontab_json("0 0 30 2 *")))
          .allowed);
  CHECK_FALSE(
      validating(request_for(kopp::AdmissionOperation::update, crontab_json("0 0 31 2 *"), crontab_json("* * * * *")))
          .allowed);
  CHECK(validating(request_for(kopp::AdmissionOperation::update, crontab_json("0 9 * * *"), crontab_json("0 0 30 2 *")))
            .allowed);  // fixed
}

TEST_CASE("v2beta1 <-> v1: the schedule's fields join into cronSpec and split back", "[webhook][conversion]") {
  v2beta1::CronTab v2;
  v2.spec.schedule.minute = "*/5";
  v2.spec.schedule.hour = "9-17";
  v2.spec.image = "busybox";
  v2.spec.concurrencyPolicy = ConcurrencyPolicy::Forbid;
  CronTab v1;
  v2beta1::to_v1(v2, v1);
  CHECK(v1.spec.cronSpec == "*/5 9-17 * * *");
  CHECK(v1.spec.image == "busybox");
  CHECK(v1.spec.concurrencyPolicy == ConcurrencyPolicy::Forbid);

  v1.spec.cronSpec = "@hourly";
  v2beta1::CronTab back;
  v2beta1::from_v1(v1, back);
  CHECK(back.spec.schedule.minute == "0");
  CHECK(back.spec.schedule.hour == "*");
  CHECK(back.spec.schedule.dayOfWeek == "*");

  v1.spec.cronSpec = "not a schedule";  // stored before the validator existed
  v2beta1::from_v1(v1, back);
  CHECK(back.spec.schedule.minute == "not a schedule");
}

TEST_CASE("conversion through kopp is lossless both ways on many samples", "[webhook][conversion]") {
  const auto s = scheme();
  std::mt19937 rng(20261202);
  const std::vector<std::string> fields{"*", "0", "5", "*/15", "1-5", "MON-FRI", "1,15", "JAN", "9-17/2"};
  const std::vector<std::string> macros{"@hourly",  "@daily",  "@midnight", "@weekly",
                                        "@monthly", "@yearly", "@annually"};
  auto pick = [&](const std::vector<std::string>& from) { return from[rng() % from.size()]; };

  for (int i = 0; i < 300; ++i) {
    // v1 -> v2beta1 -> v1: macros, odd spacing and garbage come back as written.
    std::string spec;
    switch (i % 4) {
      case 0:
        spec = pick(macros);
        break;
      case 1:
        spec = pick(fields) + "  " + pick(fields) + " " + pick(fields) + " " + pick(fields) + "\t" + pick(fields);
        break;
      case 2:
        spec = "garbage " + std::to_string(i);
        break;
      default:
        spec = pick(fields) + " " + pick(fields) + " * * " + pick(fields);
        break;
    }
    auto v1 = J(crontab_json("")).as_object();
    v1["spec"].as_object()["cronSpec"] = spec;
    if (i % 3 == 0) v1["spec"].as_object()["suspend"] = true;
    if (i % 5 == 0) v1["status"] = J(R"({"lastScheduleTime":"2026-12-02T10:00:00Z"})");
    const auto v2 = s->convert(v1, "example.com/v2beta1");
    INFO("v1 " << boost::json::serialize(v1) << "\nas v2beta1 " << boost::json::serialize(v2));
    CHECK(v2.at("apiVersion") == "example.com/v2beta1");
    CHECK(s->convert(v2, "example.com/v1") == v1);

    // v2beta1 -> v1 -> v2beta1: unset fields ("*" in v1) come back unset.
    boost::json::object schedule;
    for (const char* name : {"minute", "hour", "dayOfMonth", "month", "dayOfWeek"})
      if (rng() % 2) schedule[name] = pick(fields);
    boost::json::object written{{"apiVersion", "example.com/v2beta1"},
                                {"kind", "CronTab"},
                                {"metadata", {{"name", "t"}, {"namespace", "ops"}}},
                                {"spec", {{"schedule", schedule}, {"image", "busybox"}}}};
    const auto stored = s->convert(written, "example.com/v1");
    INFO("v2beta1 " << boost::json::serialize(written) << "\nstored " << boost::json::serialize(stored));
    CHECK(s->convert(stored, "example.com/v2beta1") == written);
  }
}

TEST_CASE("config/webhook/manifests.yaml: both webhooks for the Service, CA from cert-manager", "[webhook]") {
  const auto manifests = webhook_manifests();
  REQUIRE(manifests.size() == 2);
  CHECK(manifests[0].at("kind") == "ValidatingWebhookConfiguration");
  CHECK(manifests[1].at("kind") == "MutatingWebhookConfiguration");
  for (const auto& m : manifests) {
    CHECK(m.at("metadata").at("annotations").at("cert-manager.io/inject-ca-from") == "crontab-system/serving-cert");
    CHECK(m.at("webhooks").at(0).at("clientConfig").at("service").at("name") == "crontab-operator-webhook-service");
    CHECK(m.at("webhooks").at(0).at("rules").at(0).at("apiVersions") == J(R"(["v1"])"));
  }
  CHECK(manifests[0].at("webhooks").at(0).at("clientConfig").at("service").at("path") ==
        "/validate-example-com-v1-crontab");
  CHECK(manifests[1].at("webhooks").at(0).at("clientConfig").at("service").at("path") ==
        "/mutate-example-com-v1-crontab");
}
