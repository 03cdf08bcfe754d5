// Admission webhooks without a network: the AdmissionReview codec, Verdicts, the patch a
// defaulter produces, and the typed handlers' answers to each operation and to bad input.
#include <kopp/core.hpp>
#include <kopp/runtime/webhook/admission_webhook.hpp>
#include <kopp/runtime/webhook/serving_certificate.hpp>
#include <kopp/testing/detail/json_patch.hpp>
#include <kopp/testing/run.hpp>

#include <boost/describe/class.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include <optional>

namespace webhook_test {

struct WidgetSpec {
  std::optional<int> size;
  std::string mode;
};
BOOST_DESCRIBE_STRUCT(WidgetSpec, (), (size, mode))

// No unknown_fields: members the server sends that the type does not model are dropped
// by decoding, which a defaulter's patch must not turn into removals.
struct Widget {
  std::string apiVersion;
  std::string kind;
  kopp::ObjectMeta metadata;
  WidgetSpec spec;
};
BOOST_DESCRIBE_STRUCT(Widget, (), (apiVersion, kind, metadata, spec))
KOPP_RESOURCE(Widget, "example.kopp.dev", "v1", "Widget", "widgets", namespaced)

}  // namespace webhook_test

using webhook_test::Widget;

namespace {

boost::json::value J(std::string_view text) { return boost::json::parse(text); }

std::string review(std::string_view operation, std::string_view object, std::string_view old_object = "null",
                   std::string_view extra = "") {
  return std::string(R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{)") +
         R"("uid":"0d9b-uid","kind":{"group":"example.kopp.dev","version":"v1","kind":"Widget"},)" +
         R"("resource":{"group":"example.kopp.dev","version":"v1","resource":"widgets"},)" +
         R"("name":"w","namespace":"ns","operation":")" + std::string(operation) + R"(",)" +
         R"("userInfo":{"username":"alice","groups":["dev","system:authenticated"]},)" + R"("object":)" +
         std::string(object) + R"(,"oldObject":)" + std::string(old_object) + std::string(extra) + "}}";
}

constexpr std::string_view widget_json =
    R"({"apiVersion":"example.kopp.dev/v1","kind":"Widget","metadata":{"name":"w","namespace":"ns"},)"
    R"("spec":{"mode":"fast","future":{"x":1}},"status":{"ready":true}})";

boost::json::object response_of(const std::string& encoded) {
  auto review = J(encoded).as_object();
  CHECK(review.at("apiVersion") == "admission.k8s.io/v1");
  CHECK(review.at("kind") == "AdmissionReview");
  return review.at("response").as_object();
}

class SizeValidator : public kopp::Validator<Widget> {
 public:
  kopp::Verdict validate_create(const Widget& w, const kopp::AdmissionRequest&) override { return check(w); }
  kopp::Verdict validate_update(const Widget& old, const Widget& w, const kopp::AdmissionRequest&) override {
    if (old.spec.mode != w.spec.mode) return kopp::Verdict::deny("spec.mode is immutable (was " + old.spec.mode + ")");
    return check(w);
  }
  kopp::Verdict validate_delete(const Widget& w, const kopp::AdmissionRequest& request) override {
    if (w.spec.mode == "protected" && !request.dry_run) throw std::runtime_error("protected widgets stay");
    return kopp::Verdict::allow().warn("deleting " + w.metadata.name);
  }

 private:
  static kopp::Verdict check(const Widget& w) {
    if (w.spec.size && *w.spec.size > 10)
      return kopp::Verdict::invalid({{"spec.size", "must be at most 10"}}).warn("sizes over 10 were never supported");
    return kopp::Verdict::allow();
  }
};

}  // namespace

TEST_CASE("parse_admission_review reads an AdmissionReview v1 request", "[runtime][webhook]") {
  const auto request = kopp::parse_admission_review(
      review("UPDATE", widget_json, widget_json, R"(,"dryRun":true,"options":{"kind":"UpdateOptions"})"));
  CHECK(request.uid == "0d9b-uid");
  CHECK(request.kind == kopp::GroupVersionKind{"example.kopp.dev", "v1", "Widget"});
  CHECK(request.resource.resource == "widgets");
  CHECK(request.request_kind == request.kind);  // absent: the same as kind
  CHECK(request.name == "w");
  CHECK(request.namespace_ == "ns");
  CHECK(request.operation == kopp::AdmissionOperation::update);
  CHECK(request.user.username == "alice");
  CHECK(request.user.groups == std::vector<std::string>{"dev", "system:authenticated"});
  CHECK(request.object == J(widget_json));
  CHECK(request.old_object == J(widget_json));
  CHECK(request.dry_run);
  CHECK(request.options.at("kind") == "UpdateOptions");
}

TEST_CASE("parse_admission_review names what is wrong", "[runtime][webhook]") {
  using Catch::Contains;
  CHECK_THROWS_WITH(kopp::parse_admission_review("{nope"), Contains("not JSON"));
  CHECK_THROWS_WITH(kopp::parse_admission_review("[]"), Contains("not a JSON object"));
  CHECK_THROWS_WITH(
      kopp::parse_admission_review(R"({"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview"})"),
      Contains("admission.k8s.io/v1beta1"));
  CHECK_THROWS_WITH(kopp::parse_admission_review(R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"})"),
                    Contains("request is missing"));
  CHECK_THROWS_WITH(kopp::parse_admission_review(review("PATCH", "{}")), Contains("request.operation 'PATCH'"));
  auto no_uid = review("CREATE", "{}");
  no_uid.replace(no_uid.find(R"("uid":"0d9b-uid",)"), 17, "");
  CHECK_THROWS_WITH(kopp::parse_admission_review(no_uid), Contains("request.uid is missing"));
  auto bad_kind = review("CREATE", "{}");
  bad_kind.replace(bad_kind.find(R"("kind":"Widget")"), 15, R"("kind":7)");
  CHECK_THROWS_WITH(kopp::parse_admission_review(bad_kind), Contains("request.kind.kind is not a string"));
}

TEST_CASE("encode_admission_review: allowed, denied with causes, patched", "[runtime][webhook]") {
  auto allowed = response_of(kopp::encode_admission_review("u1", kopp::Verdict::allow().warn("careful")));
  CHECK(allowed.at("uid") == "u1");
  CHECK(allowed.at("allowed") == true);
  CHECK_FALSE(allowed.contains("status"));
  CHECK(allowed.at("warnings") == J(R"(["careful"])"));
  CHECK_FALSE(allowed.contains("patch"));

  auto invalid = response_of(kopp::encode_admission_review(
      "u2", kopp::Verdict::invalid({{"spec.size", "must be at most 10"}, {"spec.mode", "unknown mode"}})));
  CHECK(invalid.at("allowed") == false);
  const auto& status = invalid.at("status").as_object();
  CHECK(status.at("code") == 422);
  CHECK(status.at("reason") == "Invalid");
  CHECK(status.at("message") == "[spec.size: must be at most 10, spec.mode: unknown mode]");
  CHECK(status.at("details").at("causes").as_array().size() == 2);
  CHECK(status.at("details").at("causes").at(0).at("field") == "spec.size");

  CHECK_FALSE(status.at("details").as_object().contains("name"));
  kopp::AdmissionRequest about;
  about.uid = "u2b";
  about.kind = {"example.kopp.dev", "v1", "Widget"};
  about.name = "w1";
  auto named = response_of(kopp::encode_admission_review(about, kopp::Verdict::invalid({{"spec.size", "too big"}})));
  CHECK(named.at("uid") == "u2b");
  CHECK(named.at("status").at("details") ==
        J(R"({"causes":[{"field":"spec.size","message":"too big","reason":"FieldValueInvalid"}],
              "name":"w1","group":"example.kopp.dev","kind":"Widget"})"));

  auto denied = response_of(kopp::encode_admission_review("u3", kopp::Verdict::deny("no")));
  CHECK(denied.at("status").at("code") == 403);
  CHECK(denied.at("status").at("reason") == "Forbidden");

  kopp::Verdict patched;
  patched.patch = J(R"([{"op":"add","path":"/spec/size","value":3}])").as_array();
  auto with_patch = response_of(kopp::encode_admission_review("u4", patched));
  CHECK(with_patch.at("patchType") == "JSONPatch");
  // base64 of the operations' JSON text
  CHECK(with_patch.at("patch") == "W3sib3AiOiJhZGQiLCJwYXRoIjoiL3NwZWMvc2l6ZSIsInZhbHVlIjozfV0=");
}

TEST_CASE("defaulting_patch changes only what the defaulter changed", "[runtime][webhook]") {
  // The type drops spec.future and status; its encoding adds nothing the defaulter did not.
  const auto sent = J(widget_json);
  Widget w = kopp::from_json<Widget>(sent);
  const auto decoded = kopp::to_json(w);
  w.spec.size = 3;
  w.metadata.labels["defaulted"] = "yes";
  const auto patch = kopp::defaulting_patch(sent, decoded, kopp::to_json(w));
  const auto result = kopp::testing::detail::apply_json_patch(sent, patch);
  CHECK(result.at("spec").at("size") == 3);
  CHECK(result.at("metadata").at("labels").at("defaulted") == "yes");
  CHECK(result.at("spec").at("future") == J(R"({"x":1})"));  // kept
  CHECK(result.at("status") == J(R"({"ready":true})"));      // kept
  CHECK(patch.size() == 2);

  // Nothing changed: no operations at all.
  CHECK(kopp::defaulting_patch(sent, decoded, decoded).empty());
  // A parent object the sent JSON lacks is created by the patch.
  const auto bare = J(R"({"apiVersion":"example.kopp.dev/v1","kind":"Widget","metadata":{"name":"w"}})");
  Widget b = kopp::from_json<Widget>(bare);
  const auto bare_decoded = kopp::to_json(b);
  b.spec.size = 1;
  const auto bare_result =
      kopp::testing::detail::apply_json_patch(bare, kopp::defaulting_patch(bare, bare_decoded, kopp::to_json(b)));
  CHECK(bare_result.at("spec").at("size") == 1);
}

TEST_CASE("defaulting_admission patches CREATE and UPDATE, ignores DELETE", "[runtime][webhook]") {
  auto handler =
      kopp::defaulting_admission<Widget>(kopp::make_defaulter<Widget>([](Widget& w, const kopp::AdmissionRequest&) {
        if (!w.spec.size) w.spec.size = 1;
      }));
  auto created = handler(kopp::parse_admission_review(review("CREATE", widget_json)));
  CHECK(created.allowed);
  CHECK(created.patch == J(R"([{"op":"add","path":"/spec/size","value":1}])"));
  auto updated = handler(kopp::parse_admission_review(review("UPDATE", widget_json, widget_json)));
  CHECK(updated.patch.size() == 1);
  auto deleted = handler(kopp::parse_admission_review(review("DELETE", "null", widget_json)));
  CHECK(deleted.allowed);
  CHECK(deleted.patch.empty());

  auto undecodable = handler(kopp::parse_admission_review(review("CREATE", R"({"spec":{"size":"big"}})")));
  CHECK_FALSE(undecodable.allowed);
  CHECK(undecodable.code == 400);
  CHECK_THAT(undecodable.message, Catch::Contains("as Widget") && Catch::Contains("$.spec.size"));
}

TEST_CASE("validating_admission asks the validator per operation", "[runtime][webhook]") {
  auto handler = kopp::validating_admission<Widget>(std::make_shared<SizeValidator>());
  const std::string big = R"({"metadata":{"name":"w"},"spec":{"size":11,"mode":"fast"}})";
  auto create = handler(kopp::parse_admission_review(review("CREATE", big)));
  CHECK_FALSE(create.allowed);
  CHECK(create.code == 422);
  CHECK(create.message == "spec.size: must be at most 10");
  CHECK(create.warnings == std::vector<std::string>{"sizes over 10 were never supported"});
  CHECK(handler(kopp::parse_admission_review(review("CREATE", widget_json))).allowed);

  const std::string slow = R"({"metadata":{"name":"w"},"spec":{"mode":"slow"}})";
  auto update = handler(kopp::parse_admission_review(review("UPDATE", slow, widget_json)));
  CHECK_FALSE(update.allowed);
  CHECK(update.message == "spec.mode is immutable (was fast)");  // the old object was seen

  auto remove = handler(kopp::parse_admission_review(review("DELETE", "null", widget_json)));
  CHECK(remove.allowed);
  CHECK(remove.warnings == std::vector<std::string>{"deleting w"});

  // The request is for another kind: the webhook configuration's rules are wrong.
  auto other = kopp::parse_admission_review(review("CREATE", widget_json));
  other.kind.kind = "Gadget";
  auto wrong_kind = handler(other);
  CHECK(wrong_kind.code == 400);
  CHECK_THAT(wrong_kind.message, Catch::Contains("not example.kopp.dev/v1, Kind=Gadget"));
}

TEST_CASE("admission_https_handler: HTTP checks, exceptions become denials", "[runtime][webhook]") {
  auto validator = std::make_shared<SizeValidator>();
  auto handler = kopp::admission_https_handler("/validate-example-kopp-dev-v1-widget",
                                               kopp::validating_admission<Widget>(validator));
  auto call = [&](std::string method, std::string content_type, std::string body) {
    kopp::HttpsRequest request;
    request.method = std::move(method);
    request.path = "/validate-example-kopp-dev-v1-widget";
    request.headers["content-type"] = std::move(content_type);
    request.body = std::move(body);
    return kopp::testing::run(
        [&]() -> boost::asio::awaitable<kopp::HttpsResponse> { co_return co_await handler(request); });
  };
  CHECK(call("GET", "application/json", "").status == 405);
  CHECK(call("POST", "text/plain", "{}").status == 415);
  auto garbage = call("POST", "application/json", "\x01\x02 not json");
  CHECK(garbage.status == 400);
  CHECK_THAT(garbage.body, Catch::Contains("not JSON"));

  // A validator's exception: a denial with its message, the server unharmed.
  const std::string protected_widget = R"({"metadata":{"name":"p"},"spec":{"mode":"protected"}})";
  auto thrown = call("POST", "application/json; charset=utf-8", review("DELETE", "null", protected_widget));
  CHECK(thrown.status == 200);
  auto response = response_of(thrown.body);
  CHECK(response.at("allowed") == false);
  CHECK(response.at("status").at("code") == 403);
  CHECK(response.at("status").at("message") == "protected widgets stay");
  CHECK(response.at("uid") == "0d9b-uid");
  // The dry run of the same delete reaches the validator with dry_run set.
  auto dry = call("POST", "application/json", review("DELETE", "null", protected_widget, R"(,"dryRun":true)"));
  CHECK(response_of(dry.body).at("allowed") == true);
}

TEST_CASE("webhook paths follow controller-runtime's", "[runtime][webhook]") {
  CHECK(kopp::mutating_webhook_path<Widget>() == "/mutate-example-kopp-dev-v1-widget");
  CHECK(kopp::validating_webhook_path<Widget>() == "/validate-example-kopp-dev-v1-widget");
}

TEST_CASE("webhook configurations from the builder's declarations", "[runtime][webhook]") {
  boost::asio::io_context io;
  const auto bundle = kopp::make_self_signed_certificate({"127.0.0.1"});
  kopp::HttpsServer server(io.get_executor(), {boost::asio::ip::make_address("127.0.0.1"), 0},
                           kopp::ServingCertificate::from_pem(bundle.certificate_pem, bundle.private_key_pem));
  std::vector<kopp::AdmissionWebhook> declared;
  kopp::WebhookBuilder<Widget>(server, kopp::Logger(), &declared)
      .defaulter([](Widget&, const kopp::AdmissionRequest&) {})
      .validator(std::make_shared<SizeValidator>())
      .failure_policy(kopp::FailurePolicy::ignore)
      .timeout_seconds(3)
      .validate_deletes()
      .match_condition("not-admin", "request.userInfo.username != 'admin'")
      .build();
  CHECK(server.paths() ==
        std::vector<std::string>{"/mutate-example-kopp-dev-v1-widget", "/validate-example-kopp-dev-v1-widget"});
  REQUIRE(declared.size() == 2);

  kopp::WebhookClientConfig in_cluster;
  in_cluster.service_namespace = "widget-system";
  in_cluster.service_name = "webhook-service";
  const auto manifests = kopp::webhook_configurations(
      "widget-webhooks", declared, in_cluster, {{"cert-manager.io/inject-ca-from", "widget-system/serving-cert"}});
  REQUIRE(manifests.size() == 2);
  const auto& validating = manifests[0].as_object();
  CHECK(validating.at("kind") == "ValidatingWebhookConfiguration");
  CHECK(validating.at("metadata").at("annotations").at("cert-manager.io/inject-ca-from") ==
        "widget-system/serving-cert");
  CHECK(validating.at("webhooks") == J(R"([{
    "name":"vwidget-v1.example.kopp.dev",
    "clientConfig":{"service":{"namespace":"widget-system","name":"webhook-service",
                               "path":"/validate-example-kopp-dev-v1-widget","port":443}},
    "rules":[{"operations":["CREATE","UPDATE","DELETE"],"apiGroups":["example.kopp.dev"],"apiVersions":["v1"],
              "resources":["widgets"],"scope":"Namespaced"}],
    "failurePolicy":"Ignore","sideEffects":"None","admissionReviewVersions":["v1"],"timeoutSeconds":3,
    "matchPolicy":"Equivalent",
    "matchConditions":[{"name":"not-admin","expression":"request.userInfo.username != 'admin'"}]}])"));
  const auto& mutating = manifests[1].as_object();
  CHECK(mutating.at("kind") == "MutatingWebhookConfiguration");
  CHECK(mutating.at("webhooks").at(0).at("name") == "mwidget-v1.example.kopp.dev");
  CHECK(mutating.at("webhooks").at(0).at("rules").at(0).at("operations") == J(R"(["CREATE","UPDATE"])"));
  CHECK(mutating.at("webhooks").at(0).at("reinvocationPolicy") == "Never");

  kopp::WebhookClientConfig local;
  local.url = "https://127.0.0.1:9443/";
  local.ca_bundle_pem = "PEM";
  const auto local_manifest = kopp::webhook_configuration(kopp::AdmissionWebhookType::validating, "w", declared, local);
  CHECK(local_manifest.at("webhooks").at(0).at("clientConfig") ==
        J(R"({"url":"https://127.0.0.1:9443/validate-example-kopp-dev-v1-widget","caBundle":"UEVN"})"));

  using Catch::Contains;
  kopp::WebhookClientConfig both = in_cluster;
  both.url = "https://x";
  CHECK_THROWS_WITH(kopp::webhook_configurations("w", declared, both), Contains("not both"));
  CHECK_THROWS_WITH(kopp::webhook_configurations("w", declared, kopp::WebhookClientConfig()), Contains("not neither"));
  kopp::WebhookClientConfig plain;
  plain.url = "http://127.0.0.1:9443";
  CHECK_THROWS_WITH(kopp::webhook_configurations("w", declared, plain), Contains("must be https://"));
  auto bad = declared;
  bad[0].timeout_seconds = 31;
  CHECK_THROWS_WITH(kopp::webhook_configurations("w", bad, in_cluster), Contains("timeout_seconds 31"));
  bad = declared;
  bad[0].name = "short.name";
  CHECK_THROWS_WITH(kopp::webhook_configurations("w", bad, in_cluster), Contains("three segments"));
  CHECK_THROWS_WITH(kopp::webhook_configurations("w", {}, in_cluster), Contains("no webhook was declared"));
  CHECK_THROWS_WITH(kopp::WebhookBuilder<Widget>(server, kopp::Logger()).build(),
                    Contains("defaulter() or a validator()"));
}

// One registration function for the server and the manifest generator: what it declares
// through WebhookDeclarations equals what the Manager's builder declares and serves.
namespace {
void register_widget_webhooks(kopp::WebhookBuilder<Widget> builder) {
  builder.validator(std::make_shared<SizeValidator>()).failure_policy(kopp::FailurePolicy::ignore).build();
}
}  // namespace

TEST_CASE("WebhookDeclarations records what a server-side builder declares, serving nothing", "[runtime][webhook]") {
  boost::asio::io_context io;
  const auto bundle = kopp::make_self_signed_certificate({"127.0.0.1"});
  kopp::HttpsServer server(io.get_executor(), {boost::asio::ip::make_address("127.0.0.1"), 0},
                           kopp::ServingCertificate::from_pem(bundle.certificate_pem, bundle.private_key_pem));
  std::vector<kopp::AdmissionWebhook> served;
  register_widget_webhooks(kopp::WebhookBuilder<Widget>(server, kopp::Logger(), &served));

  kopp::WebhookDeclarations declarations;
  register_widget_webhooks(declarations.webhook<Widget>());
  REQUIRE(declarations.admission_webhooks().size() == 1);
  kopp::WebhookClientConfig in_cluster;
  in_cluster.service_namespace = "widget-system";
  in_cluster.service_name = "webhook-service";
  CHECK(kopp::webhook_configurations("w", declarations.admission_webhooks(), in_cluster) ==
        kopp::webhook_configurations("w", served, in_cluster));
  CHECK(server.paths() == std::vector<std::string>{"/validate-example-kopp-dev-v1-widget"});
  CHECK_THROWS_WITH(declarations.webhook<Widget>().build(), Catch::Contains("defaulter() or a validator()"));
}
