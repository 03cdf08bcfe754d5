// The CronTab types' JSON mapping and the CRD generated from them.
#include <crontab/crd.hpp>
#include <crontab/schedule.hpp>
#include <crontab/types.hpp>

#include <catch2/catch.hpp>

#include <kopp/core/json.hpp>

#include <regex>

using namespace crontab;

TEST_CASE("types: a CronTab round-trips through JSON, keeping unknown fields", "[types]") {
  const auto ct = kopp::parse_json<CronTab>(R"({"apiVersion":"example.com/v1","kind":"CronTab",
      "metadata":{"name":"backup","namespace":"ops"},
      "spec":{"cronSpec":"*/5 * * * *","image":"busybox","concurrencyPolicy":"Forbid","suspend":false,
              "futureField":{"x":1}},
      "status":{"lastScheduleTime":"2026-11-27T10:05:00Z",
                "active":[{"apiVersion":"batch/v1","kind":"Job","name":"backup-29929565","namespace":"ops","uid":"u"}]}})");
  CHECK(ct.spec.concurrency_policy() == ConcurrencyPolicy::Forbid);
  CHECK(ct.spec.suspend == false);
  CHECK_FALSE(ct.spec.suspended());
  CHECK(ct.spec.successful_history_limit() == 3);  // absent: the CRD's default
  CHECK(ct.spec.failed_history_limit() == 1);
  CHECK(ct.spec.replicas_or_default() == 1);
  CHECK(ct.status.active.at(0).name == "backup-29929565");
  CHECK(ct.status.lastScheduleTime->to_string() == "2026-11-27T10:05:00Z");

  const auto json = kopp::to_json(ct).as_object();
  const auto& spec = json.at("spec").as_object();
  CHECK(spec.at("concurrencyPolicy") == "Forbid");
  CHECK(spec.at("suspend") == false);          // set to false is not "absent"
  CHECK_FALSE(spec.contains("replicas"));      // absent stays absent
  CHECK(spec.at("futureField").at("x") == 1);  // a newer CRD's field survives
  CHECK_FALSE(json.at("status").as_object().contains("lastSuccessfulTime"));
}

TEST_CASE("types: the CRD", "[types][crd]") {
  const boost::json::object crd = custom_resource_definition();
  CHECK(crd.at("metadata").at("name") == "crontabs.example.com");
  const auto& spec = crd.at("spec").as_object();
  CHECK(spec.at("names").at("shortNames").at(0) == "ct");
  CHECK(spec.at("scope") == "Namespaced");
  const auto& version = spec.at("versions").at(0).as_object();
  CHECK(version.at("name") == "v1");
  CHECK(version.at("subresources").as_object().contains("status"));
  std::vector<std::string> columns;
  for (const auto& c : version.at("additionalPrinterColumns").as_array())
    columns.emplace_back(c.at("name").as_string());
  CHECK(columns == std::vector<std::string>{"Schedule", "Suspend", "Last Schedule", "Age"});

  // v2beta1: served, not stored, its schedule as fields; both convert through the webhook.
  const auto& v2 = spec.at("versions").at(1).as_object();
  CHECK(v2.at("name") == "v2beta1");
  CHECK(v2.at("served") == true);
  CHECK(v2.at("storage") == false);
  CHECK(version.at("storage") == true);
  columns.clear();
  for (const auto& c : v2.at("additionalPrinterColumns").as_array()) columns.emplace_back(c.at("name").as_string());
  CHECK(columns == std::vector<std::string>{"Minute", "Hour", "Suspend", "Last Schedule", "Age"});
  CHECK(v2.at("schema")
            .at("openAPIV3Schema")
            .at("properties")
            .at("spec")
            .at("properties")
            .at("schedule")
            .at("properties")
            .as_object()
            .contains("dayOfWeek"));
  CHECK(spec.at("conversion").at("strategy") == "Webhook");
  CHECK(spec.at("conversion").at("webhook").at("clientConfig").at("service").at("name") ==
        "crontab-operator-webhook-service");
  CHECK(crd.at("metadata").at("annotations").at("cert-manager.io/inject-ca-from") == "crontab-system/serving-cert");

  const auto& schema = version.at("schema").at("openAPIV3Schema").as_object();
  const auto& props = schema.at("properties").at("spec").at("properties").as_object();
  CHECK(props.at("concurrencyPolicy").at("enum") == boost::json::array{"Allow", "Forbid", "Replace"});
  CHECK(props.at("concurrencyPolicy").at("default") == "Allow");
  CHECK(props.at("successfulJobsHistoryLimit").at("default") == 3);
  CHECK(props.at("failedJobsHistoryLimit").at("default") == 1);
  CHECK(props.at("replicas").at("minimum") == 1);
  // image is not required: the defaulting webhook fills in --default-image.
  CHECK(schema.at("properties").at("spec").at("required") == boost::json::array{"cronSpec"});
  CHECK(schema.at("x-kubernetes-validations").at(0).at("rule") == "self.metadata.name.size() <= 52");

  // The pattern the API server checks accepts every shape the parser accepts, and refuses
  // what is obviously not a schedule (the parser catches the rest: "61 * * * *").
  const std::regex pattern(std::string(props.at("cronSpec").at("pattern").as_string()), std::regex::ECMAScript);
  for (const char* good : {"* * * * *", "*/5 * * * *", "0 0 13 * 5", "*/15 9-17 * * MON-FRI", "1-30/10 0 1,15 JAN ?",
                           "@hourly", "@daily", "@weekly", "@monthly", "@yearly", "@annually", "@midnight"}) {
    INFO(good);
    CHECK(std::regex_match(good, pattern));
    CHECK(CronSchedule::try_parse(good).has_value());
  }
  for (const char* bad : {"", "* * * *", "* * * * * *", "@every 5m", "bad", " * * * * *", "TZ=UTC * * * * *"}) {
    INFO(bad);
    CHECK_FALSE(std::regex_match(bad, pattern));
  }
}
