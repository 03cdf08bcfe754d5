// The validating webhook without a server: the budget rule on creates and updates, the
// AdmissionReview round trip through kopp's handler, and the generated manifests.
#include <memcached/webhook.hpp>

#include <kopp/core/json.hpp>

#include <catch2/catch.hpp>

#include <map>
#include <string>

using namespace memcached;
using Catch::Contains;

namespace {

std::shared_ptr<const Memcached> instance(std::string ns, std::string name, std::int32_t size) {
  auto m = std::make_shared<Memcached>();
  m->metadata.namespace_ = std::move(ns);
  m->metadata.name = std::move(name);
  m->spec.size = size;
  return m;
}

/// A cache: namespace -> its Memcacheds; `synced` false answers "not synced".
struct FakeCache {
  std::map<std::string, std::vector<std::shared_ptr<const Memcached>>, std::less<>> by_namespace;
  bool synced = true;

  NamespaceInstances instances() {
    return [this](std::string_view ns) -> std::optional<std::vector<std::shared_ptr<const Memcached>>> {
      if (!synced) return std::nullopt;
      auto it = by_namespace.find(ns);
      if (it == by_namespace.end()) return std::vector<std::shared_ptr<const Memcached>>();
      return it->second;
    };
  }
};

Memcached sized(std::string name, std::int32_t size, std::string ns = "web") { return *instance(ns, name, size); }

}  // namespace

TEST_CASE("the budget: creates within it pass, over it are refused naming the others", "[memcached][webhook]") {
  FakeCache cache;
  cache.by_namespace["web"] = {instance("web", "sessions", 4), instance("web", "pages", 3)};
  cache.by_namespace["other"] = {instance("other", "big", 10)};
  PodBudgetValidator validator(10, cache.instances());
  const kopp::AdmissionRequest request;

  CHECK(validator.validate_create(sized("feeds", 3), request).allowed);  // 4 + 3 + 3 = 10
  CHECK(validator.validate_create(sized("feeds", 9, "empty"), request).allowed);

  const auto refused = validator.validate_create(sized("feeds", 4), request);
  CHECK_FALSE(refused.allowed);
  CHECK(refused.code == 422);
  REQUIRE(refused.causes.size() == 1);
  CHECK(refused.causes[0].field == "spec.size");
  CHECK(refused.causes[0].message ==
        "4 would bring the memcached pods of namespace web to 11, over its budget of 10 "
        "(the others: pages (3), sessions (4))");
}

TEST_CASE("the budget: instances being deleted do not count, nor the object's own cached copy",
          "[memcached][webhook]") {
  FakeCache cache;
  auto leaving = std::make_shared<Memcached>(*instance("web", "leaving", 8));
  leaving->metadata.deletionTimestamp = kopp::Time::now();
  cache.by_namespace["web"] = {leaving, instance("web", "sessions", 6)};
  PodBudgetValidator validator(10, cache.instances());
  const kopp::AdmissionRequest request;
  CHECK(validator.validate_create(sized("feeds", 4), request).allowed);
  // Growing sessions from 6 to 10: the cached 6 is not counted besides the new 10.
  CHECK(validator.validate_update(sized("sessions", 6), sized("sessions", 10), request).allowed);
  CHECK_FALSE(validator.validate_create(sized("feeds", 5), request).allowed);  // 6 + 5
}

TEST_CASE("the budget: updates that do not grow the size always pass", "[memcached][webhook]") {
  FakeCache cache;
  // Over a budget lowered after these were made.
  cache.by_namespace["web"] = {instance("web", "a", 5), instance("web", "b", 5)};
  PodBudgetValidator validator(6, cache.instances());
  const kopp::AdmissionRequest request;
  CHECK(validator.validate_update(sized("a", 5), sized("a", 5), request).allowed);  // e.g. a finalizer added
  CHECK(validator.validate_update(sized("a", 5), sized("a", 2), request).allowed);  // scaling down
  const auto grown = validator.validate_update(sized("a", 5), sized("a", 6), request);
  CHECK_FALSE(grown.allowed);
  CHECK_THAT(grown.message, Contains("to 11, over its budget of 6"));
}

TEST_CASE("the budget: an unsynced cache refuses with a retryable error, not a guess", "[memcached][webhook]") {
  FakeCache cache;
  cache.synced = false;
  PodBudgetValidator validator(10, cache.instances());
  const auto verdict = validator.validate_create(sized("feeds", 1), kopp::AdmissionRequest());
  CHECK_FALSE(verdict.allowed);
  CHECK(verdict.code == 503);
  CHECK_THAT(verdict.message, Contains("not synced"));
  CHECK_THROWS_WITH(PodBudgetValidator(0, cache.instances()), Contains("at least 1, not 0"));
  CHECK_THROWS_AS(PodBudgetValidator(10, nullptr), std::invalid_argument);
}

TEST_CASE("the webhook through kopp's admission handler, as the API server calls it", "[memcached][webhook]") {
  FakeCache cache;
  cache.by_namespace["web"] = {instance("web", "sessions", 9)};
  const auto handler =
      kopp::validating_admission<Memcached>(std::make_shared<PodBudgetValidator>(10, cache.instances()));
  kopp::AdmissionRequest request;
  request.kind = kopp::gvk_of<Memcached>();
  request.operation = kopp::AdmissionOperation::create;
  request.namespace_ = "web";
  request.object = kopp::parse_json_value(R"({"apiVersion":"cache.example.com/v1alpha1","kind":"Memcached",
      "metadata":{"name":"feeds","namespace":"web"},"spec":{"size":2}})");
  const auto verdict = handler(request);
  CHECK_FALSE(verdict.allowed);
  CHECK_THAT(verdict.message, Contains("spec.size: 2 would bring the memcached pods of namespace web to 11"));

  request.object.as_object()["spec"].as_object()["size"] = "two";
  CHECK(handler(request).code == 400);  // not a Memcached: named, not crashed
}

TEST_CASE("config/webhook/manifests.yaml: the validating webhook for the Service, CA from cert-manager",
          "[memcached][webhook]") {
  const auto manifests = webhook_manifests();
  REQUIRE(manifests.size() == 1);
  const auto& configuration = manifests[0].as_object();
  CHECK(configuration.at("kind") == "ValidatingWebhookConfiguration");
  CHECK(configuration.at("metadata").at("annotations").at("cert-manager.io/inject-ca-from") ==
        "memcached-operator-system/serving-cert");
  const auto& webhook = configuration.at("webhooks").at(0);
  CHECK(webhook.at("clientConfig").at("service").at("path") == "/validate-cache-example-com-v1alpha1-memcached");
  CHECK(webhook.at("clientConfig").at("service").at("name") == "memcached-operator-webhook-service");
  CHECK(webhook.at("rules").at(0).at("resources").at(0) == "memcacheds");
  CHECK(webhook.at("failurePolicy") == "Fail");
  CHECK(webhook.at("timeoutSeconds") == 5);
}
