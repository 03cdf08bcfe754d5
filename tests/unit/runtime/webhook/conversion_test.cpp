// CRD conversion without a network: the ConversionReview codec, hub-and-spoke conversion
// through typed functions, lossless round trips through the annotation, the metadata rule
// of the API server, and failures.
#include "support/timer_versions.hpp"

#include <kopp/core.hpp>
#include <kopp/runtime/webhook/conversion.hpp>
#include <kopp/testing/run.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include <random>

using kopp_test::TimerV1;
using kopp_test::TimerV2;

namespace {

boost::json::value J(std::string_view text) { return boost::json::parse(text); }

std::shared_ptr<kopp::ConversionScheme> scheme() {
  auto s = std::make_shared<kopp::ConversionScheme>();
  kopp::ConversionBuilder<TimerV1>(*s).spoke<TimerV2>(kopp_test::timer_v2_to_v1, kopp_test::timer_v1_to_v2).build();
  return s;
}

boost::json::object v1(std::string cron, std::string image = "busybox") {
  return J(R"({"apiVersion":"webhooktest.kopp.dev/v1","kind":"Timer",)"
           R"("metadata":{"name":"t","namespace":"ns","uid":"u-1","resourceVersion":"7","labels":{"app":"x"}},)"
           R"("spec":{"cronSpec":")" +
           cron + R"(","image":")" + image + R"("}})")
      .as_object();
}

// The object without kopp's round-trip annotations (what a user compares).
boost::json::object plain(boost::json::object o) {
  auto& metadata = o["metadata"].as_object();
  if (auto* annotations = metadata.if_contains("annotations")) {
    auto& a = annotations->as_object();
    for (auto it = a.begin(); it != a.end();)
      it = std::string_view(it->key()).starts_with("conversion.kopp.dev/") ? a.erase(it) : std::next(it);
    if (a.empty()) metadata.erase("annotations");
  }
  return o;
}

}  // namespace

TEST_CASE("conversion: v1 to v2 and back through the typed functions", "[runtime][webhook][conversion]") {
  auto s = scheme();
  const auto original = v1("5 3 * * *");
  const auto as_v2 = s->convert(original, "webhooktest.kopp.dev/v2");
  CHECK(as_v2.at("apiVersion") == "webhooktest.kopp.dev/v2");
  CHECK(as_v2.at("kind") == "Timer");
  CHECK(as_v2.at("spec") == J(R"({"schedule":{"minute":"5","hour":"3"},"image":"busybox"})"));
  CHECK(as_v2.at("metadata").at("uid") == "u-1");  // metadata is the source's
  CHECK(as_v2.at("metadata").at("labels") == J(R"({"app":"x"})"));
  CHECK_FALSE(as_v2.at("metadata").as_object().contains("annotations"));  // nothing was lost
  CHECK(s->convert(as_v2, "webhooktest.kopp.dev/v1") == original);
  CHECK(s->convert(original, "webhooktest.kopp.dev/v1") == original);  // same version: unchanged
  CHECK(s->crd_names() == std::vector<std::string>{"timers.webhooktest.kopp.dev"});
}

TEST_CASE("conversion: what a version cannot represent survives a round trip", "[runtime][webhook][conversion]") {
  auto s = scheme();
  // The day-of-week field has no v2 form: it is kept in the v2 object's annotation.
  const auto original = v1("*/5 1 * * 1");
  const auto as_v2 = s->convert(original, "webhooktest.kopp.dev/v2");
  CHECK(as_v2.at("spec").at("schedule") == J(R"({"minute":"*/5","hour":"1"})"));
  CHECK(as_v2.at("metadata").at("annotations").as_object().contains("conversion.kopp.dev/v1"));
  // A client changes the image in v2; the way back keeps the change and restores the rest.
  auto edited = as_v2;
  edited["spec"].as_object()["image"] = "alpine";
  const auto back = s->convert(edited, "webhooktest.kopp.dev/v1");
  CHECK(back.at("spec") == J(R"({"cronSpec":"*/5 1 * * 1","image":"alpine"})"));
  CHECK_FALSE(back.at("metadata").as_object().contains("annotations"));

  // A client changes, through v2, the member the record is about: its change wins over the
  // record (v2 cannot say "Mondays", so the day is gone with the old hour).
  auto rescheduled = as_v2;
  rescheduled["spec"].as_object()["schedule"].as_object()["hour"] = "7";
  CHECK(s->convert(rescheduled, "webhooktest.kopp.dev/v1").at("spec").at("cronSpec") == "*/5 7 * * *");
  // A record edited into garbage by hand is ignored, not a failed read.
  auto garbled = as_v2;
  garbled["metadata"].as_object()["annotations"].as_object()["conversion.kopp.dev/v1"] = "{not json";
  CHECK(s->convert(garbled, "webhooktest.kopp.dev/v1").at("spec").at("cronSpec") == "*/5 1 * * *");

  // The other way: v2's paused has no v1 form; it survives v2 -> v1 -> v2.
  auto v2 = s->convert(v1("0 0 * * *"), "webhooktest.kopp.dev/v2");
  v2["spec"].as_object()["paused"] = true;
  const auto stored = s->convert(v2, "webhooktest.kopp.dev/v1");
  CHECK(stored.at("metadata").at("annotations").as_object().contains("conversion.kopp.dev/v2"));
  const auto read = s->convert(stored, "webhooktest.kopp.dev/v2");
  CHECK(read.at("spec").at("paused") == true);
  CHECK(plain(read) == plain(v2));
}

TEST_CASE("conversion: random samples convert both ways without loss", "[runtime][webhook][conversion]") {
  auto s = scheme();
  std::mt19937 rng(7);
  const char* fields[] = {"0", "5", "*", "*/15", "1-5", "MON", "3"};
  auto pick = [&] { return std::string(fields[std::uniform_int_distribution<int>(0, 6)(rng)]); };
  for (int i = 0; i < 300; ++i) {
    std::string cron = pick();
    for (int f = std::uniform_int_distribution<int>(1, 4)(rng); f > 0; --f) cron += " " + pick();
    const auto original = v1(cron, pick());
    const auto round_trip = s->convert(s->convert(original, "webhooktest.kopp.dev/v2"), "webhooktest.kopp.dev/v1");
    INFO(boost::json::serialize(original));
    CHECK(plain(round_trip) == original);

    auto v2 = s->convert(v1(pick() + " " + pick() + " * * *"), "webhooktest.kopp.dev/v2");
    if (i % 2 == 0) v2["spec"].as_object()["paused"] = i % 4 == 0;
    const auto v2_round_trip = s->convert(s->convert(v2, "webhooktest.kopp.dev/v1"), "webhooktest.kopp.dev/v2");
    INFO(boost::json::serialize(v2));
    CHECK(plain(v2_round_trip) == plain(v2));
  }
}

TEST_CASE("conversion: metadata other than labels and annotations is the source's", "[runtime][webhook][conversion]") {
  kopp::ConversionScheme s;
  kopp::ConversionBuilder<TimerV1>(s)
      .spoke<TimerV2>(
          [](const TimerV2& from, TimerV1& to) {
            to.metadata.name = "renamed";  // not allowed by the API server: put back
            to.metadata.labels["converted"] = "yes";
            to.spec.image = from.spec.image;
          },
          [](const TimerV1& from, TimerV2& to) { to.spec.image = from.spec.image; })
      .build();
  auto v2 = J(R"({"apiVersion":"webhooktest.kopp.dev/v2","kind":"Timer","metadata":{"name":"t","uid":"u"},)"
              R"("spec":{"image":"i","schedule":{"minute":"1","hour":"2"}}})")
                .as_object();
  const auto converted = s.convert(v2, "webhooktest.kopp.dev/v1");
  CHECK(converted.at("metadata").at("name") == "t");
  CHECK(converted.at("metadata").at("uid") == "u");
  CHECK(converted.at("metadata").at("labels") == J(R"({"converted":"yes"})"));
}

TEST_CASE("conversion: failures name the object and the versions", "[runtime][webhook][conversion]") {
  using Catch::Contains;
  auto s = scheme();
  CHECK_THROWS_WITH(s->convert(v1("1 2 * * *"), "webhooktest.kopp.dev/v3"),
                    Contains("Timer t from webhooktest.kopp.dev/v1 to webhooktest.kopp.dev/v3") &&
                        Contains("no conversion declared for version v3"));
  CHECK_THROWS_WITH(s->convert(v1("1 2 * * *"), "other.kopp.dev/v2"), Contains("the group differs"));
  auto gadget = v1("1 2 * * *");
  gadget["kind"] = "Gadget";
  CHECK_THROWS_WITH(s->convert(gadget, "webhooktest.kopp.dev/v2"), Contains("no conversion declared for this kind"));
  auto bad = v1("1 2 * * *");
  bad["spec"].as_object()["image"] = 5;
  CHECK_THROWS_WITH(s->convert(bad, "webhooktest.kopp.dev/v2"), Contains("$.spec.image"));

  kopp::ConversionScheme twice;
  kopp::ConversionBuilder<TimerV1>(twice).spoke<TimerV2>(kopp_test::timer_v2_to_v1, kopp_test::timer_v1_to_v2).build();
  CHECK_THROWS_WITH(twice.add_spoke("webhooktest.kopp.dev", "Timer", "v2", nullptr, nullptr),
                    Contains("declared twice"));
  CHECK_THROWS_WITH(twice.add_spoke("webhooktest.kopp.dev", "Timer", "v1", nullptr, nullptr), Contains("is the hub"));
  CHECK_THROWS_WITH(kopp::ConversionBuilder<TimerV1>(twice).build(), Contains("at least one spoke"));
}

TEST_CASE("conversion review: codec and the HTTPS handler", "[runtime][webhook][conversion]") {
  using Catch::Contains;
  const std::string review = std::string(R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"ConversionReview",)") +
                             R"("request":{"uid":"r-1","desiredAPIVersion":"webhooktest.kopp.dev/v2","objects":[)" +
                             boost::json::serialize(v1("1 2 * * *")) + "," + boost::json::serialize(v1("3 4 * * *")) +
                             "]}}";
  const auto request = kopp::parse_conversion_review(review);
  CHECK(request.uid == "r-1");
  CHECK(request.desired_api_version == "webhooktest.kopp.dev/v2");
  CHECK(request.objects.size() == 2);
  CHECK_THROWS_WITH(kopp::parse_conversion_review("{}"), Contains("apiVersion is missing"));
  CHECK_THROWS_WITH(
      kopp::parse_conversion_review(R"({"apiVersion":"apiextensions.k8s.io/v1beta1","kind":"ConversionReview"})"),
      Contains("v1beta1"));
  CHECK_THROWS_WITH(kopp::parse_conversion_review(
                        R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"ConversionReview","request":{"uid":"u",)"
                        R"("desiredAPIVersion":"x/v1","objects":[1]}})"),
                    Contains("request.objects[0] is not an object"));

  auto handler = kopp::conversion_https_handler(scheme());
  auto call = [&](std::string body) {
    kopp::HttpsRequest r;
    r.method = "POST";
    r.path = "/convert";
    r.headers["content-type"] = "application/json";
    r.body = std::move(body);
    return kopp::testing::run([&]() -> boost::asio::awaitable<kopp::HttpsResponse> { co_return co_await handler(r); });
  };
  auto ok = call(review);
  CHECK(ok.status == 200);
  const auto response = J(ok.body).at("response");
  CHECK(response.at("uid") == "r-1");
  CHECK(response.at("result").at("status") == "Success");
  REQUIRE(response.at("convertedObjects").as_array().size() == 2);
  CHECK(response.at("convertedObjects").at(1).at("spec").at("schedule") == J(R"({"minute":"3","hour":"4"})"));

  std::string to_v3 = review;
  to_v3.replace(to_v3.find("webhooktest.kopp.dev/v2"), 22, "webhooktest.kopp.dev/v3");
  auto failed = J(call(to_v3).body).at("response");
  CHECK(failed.at("result").at("status") == "Failure");
  CHECK_THAT(std::string(failed.at("result").at("message").as_string()), Contains("no conversion declared"));
  CHECK_FALSE(failed.as_object().contains("convertedObjects"));
  CHECK(call("not json").status == 400);
}
