#pragma once
// The files `kopp create webhook` writes for one kind's admission webhooks (defaulting,
// validation or both), the config/ it adds once per project (the webhook Service,
// cert-manager's Certificate, the manager's certificate volume, and the kustomize
// replacements that tie their names together), and the lines it registers them with.
// {{key}}: as in templates_api.hpp, plus {{defaulter_*}} and {{validator_*}} pieces that are
// rendered empty for a webhook kind without a defaulter or validator.
//
// No template below may hold two opening braces in a row outside a {{key}}: render() would
// read them as a key. C++ brace lists are written `{ {`.

#include <string_view>

namespace kopp_scaffold::templates {

inline constexpr std::string_view webhook_hpp = R"kopp(#pragma once
// The admission webhooks of {{kind}} ({{fqgroup}}/{{version}}): the API server sends every
// create and update of a {{kind}} to them before it stores the object.
// {{webhook_summary}}
// They run in the operator's webhook server (--webhook-bind-address, :9443), registered by
// src/setup.cpp's add_webhooks(); config/webhook/manifests.yaml, generated from the same
// declaration, tells the API server where they are.

#include <{{ident}}/api/{{version}}/{{kind_lower}}.hpp>

#include <kopp/runtime/webhook/admission_webhook.hpp>

namespace {{ident}} {
{{defaulter_declaration}}{{validator_declaration}}
/// Declares {{kind}}'s webhooks on `builder`: add_webhooks() passes the manager's builder,
/// webhook_manifests() a kopp::WebhookDeclarations' one (src/setup.cpp), so that the
/// manifests name exactly what the server serves.
void add_{{kind_lower}}_webhook(kopp::WebhookBuilder<{{version}}::{{kind}}> builder);

}  // namespace {{ident}}
)kopp";

inline constexpr std::string_view webhook_hpp_defaulter = R"kopp(
/// Sets the defaults of a {{kind}} that a schema default cannot express (one computed from
/// other fields, say). kopp sends the API server the JSON patch of what default_object()
/// changed; fields the C++ type does not know are never touched.
class {{kind}}Defaulter final : public kopp::Defaulter<{{version}}::{{kind}}> {
 public:
  void default_object({{version}}::{{kind}}& object, const kopp::AdmissionRequest& request) override;
};
)kopp";

inline constexpr std::string_view webhook_hpp_validator = R"kopp(
/// Refuses a {{kind}} that breaks a rule a schema cannot express: across fields, against the
/// old object, or against other objects (read them from the operator's informer cache).
class {{kind}}Validator final : public kopp::Validator<{{version}}::{{kind}}> {
 public:
  kopp::Verdict validate_create(const {{version}}::{{kind}}& object, const kopp::AdmissionRequest& request) override;
  kopp::Verdict validate_update(const {{version}}::{{kind}}& old_object, const {{version}}::{{kind}}& object,
                                const kopp::AdmissionRequest& request) override;
};
)kopp";

inline constexpr std::string_view webhook_cpp = R"kopp(#include <{{ident}}/{{kind_lower}}_webhook.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace {{ident}} {

using {{version}}::{{kind}};
{{defaulter_definition}}{{validator_definition}}
void add_{{kind_lower}}_webhook(kopp::WebhookBuilder<{{kind}}> builder) {
  builder{{builder_calls}}
      // Fail: while the operator is down, {{kind}}s cannot be created or changed unchecked.
      // Ignore lets writes through instead (and unchecked).
      .failure_policy(kopp::FailurePolicy::fail)
      .timeout_seconds(10)
      .build();
}

}  // namespace {{ident}}
)kopp";

inline constexpr std::string_view webhook_cpp_defaulter = R"kopp(
void {{kind}}Defaulter::default_object({{kind}}& object, const kopp::AdmissionRequest& /*request*/) {
  // An example: replace it with your defaults.
  if (object.spec.foo.empty()) object.spec.foo = "default";
}
)kopp";

inline constexpr std::string_view webhook_cpp_validator = R"kopp(
kopp::Verdict {{kind}}Validator::validate_create(const {{kind}}& /*object*/, const kopp::AdmissionRequest& /*request*/) {
  // Your rules for a new {{kind}}: return kopp::Verdict::invalid() with the fields at fault.
  return kopp::Verdict::allow();
}

kopp::Verdict {{kind}}Validator::validate_update(const {{kind}}& old_object, const {{kind}}& object,
                                               const kopp::AdmissionRequest& /*request*/) {
  // An example: spec.foo does not change once set. Replace it with your rules. A denial
  // names each field at fault; the API server answers 422 with them, as for its own checks.
  if (!old_object.spec.foo.empty() && object.spec.foo != old_object.spec.foo) {
    std::vector<kopp::FieldCause> causes;
    causes.push_back(kopp::FieldCause{"spec.foo", "does not change once set (it is \"" + old_object.spec.foo + "\")"});
    return kopp::Verdict::invalid(std::move(causes));
  }
  return kopp::Verdict::allow();
}
)kopp";

inline constexpr std::string_view webhook_manifest_check =
    "  CHECK(manifests.find(\"\\\"path\\\":\\\"{{path}}\\\"\") != std::string::npos);\n";

inline constexpr std::string_view webhook_builder_defaulter =
    "\n      .defaulter(std::make_shared<{{kind}}Defaulter>())";
inline constexpr std::string_view webhook_builder_validator =
    "\n      .validator(std::make_shared<{{kind}}Validator>())";

inline constexpr std::string_view webhook_unit_test_cpp =
    R"kopp(// {{kind}}'s webhooks without a server: what they answer for a request (the webhook server,
// the API server's call and the patch are kopp's, tested end to end in
// tests/e2e/{{kind_lower}}_webhook_e2e_test.cpp).
#include <{{ident}}/{{kind_lower}}_webhook.hpp>
#include <{{ident}}/setup.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>
#include <catch2/catch.hpp>

#include <string>

using {{ident}}::{{version}}::{{kind}};
{{defaulter_test}}{{validator_test}}
TEST_CASE("{{kind}} webhooks: config/webhook/manifests.yaml sends {{kind}} writes to them", "[webhook][{{kind_lower}}]") {
  const std::string manifests = boost::json::serialize(boost::json::value_from({{ident}}::webhook_manifests()));
{{manifest_checks}}  CHECK(manifests.find("\"resources\":[\"{{plural}}\"]") != std::string::npos);
}
)kopp";

inline constexpr std::string_view webhook_unit_test_defaulter = R"kopp(
TEST_CASE("{{kind}} webhooks: the defaulter fills in spec.foo, and keeps a value given", "[webhook][{{kind_lower}}]") {
  {{ident}}::{{kind}}Defaulter defaulter;
  {{kind}} empty;
  defaulter.default_object(empty, kopp::AdmissionRequest());
  CHECK(empty.spec.foo == "default");

  {{kind}} given;
  given.spec.foo = "mine";
  defaulter.default_object(given, kopp::AdmissionRequest());
  CHECK(given.spec.foo == "mine");
}
)kopp";

inline constexpr std::string_view webhook_unit_test_validator = R"kopp(
TEST_CASE("{{kind}} webhooks: the validator refuses a change of spec.foo, naming the field",
          "[webhook][{{kind_lower}}]") {
  {{ident}}::{{kind}}Validator validator;
  {{kind}} old_object;
  old_object.spec.foo = "a";
  {{kind}} changed = old_object;
  changed.spec.foo = "b";

  CHECK(validator.validate_create(changed, kopp::AdmissionRequest()).allowed);
  CHECK(validator.validate_update(old_object, old_object, kopp::AdmissionRequest()).allowed);
  const kopp::Verdict verdict = validator.validate_update(old_object, changed, kopp::AdmissionRequest());
  CHECK_FALSE(verdict.allowed);
  CHECK(verdict.code == 422);
  REQUIRE(verdict.causes.size() == 1);
  CHECK(verdict.causes[0].field == "spec.foo");
}
)kopp";

inline constexpr std::string_view webhook_e2e_test_cpp =
    R"kopp(// {{kind}}'s webhooks end to end: the real kube-apiserver of kopp's local control plane
// calls them. The Manager registers the webhook configurations itself here
// (webhook_configuration_name: a URL on 127.0.0.1 and a generated CA), as a cluster-admin;
// in a cluster, config/webhook and cert-manager do that instead.
#include <{{ident}}/api/{{version}}/{{kind_lower}}.hpp>
#include <{{ident}}/setup.hpp>

#include <kopp/client.hpp>
#include <kopp/testing/control_plane.hpp>
#include <kopp/testing/eventually.hpp>
#include <kopp/testing/manager_thread.hpp>
#include <kopp/testing/webhook_registration_guard.hpp>

#include <boost/asio/awaitable.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <random>
#include <string>
#include <vector>

using {{ident}}::{{version}}::{{kind}};

TEST_CASE("{{kind}} webhooks: the API server calls them", "[e2e][webhook][{{kind_lower}}]") {
  const kopp::testing::ControlPlane plane = kopp::testing::ControlPlane::attach();
  const std::string suffix = std::to_string(std::random_device()() % 1000000);
  const std::string ns = "e2e-{{kind_lower}}-webhook-" + suffix;
  plane.kubectl({"create", "namespace", ns});

  kopp::ManagerOptions options;
  options.handle_signals = false;
  options.webhook_bind_address = "127.0.0.1:0";
  options.webhook_configuration_name = "e2e-{{kind_lower}}-" + suffix;
  // What the Manager registers points at this test's server: put back when the test ends,
  // however it ends (its configurations deleted, the CRDs' conversions as they were), so
  // that later requests are not sent to a server that no longer runs.
  std::vector<std::string> crds;
  for (const auto& crd : {{ident}}::crd_definitions()) crds.emplace_back(crd.at("metadata").at("name").as_string());
  const kopp::testing::WebhookRegistrationGuard guard(plane, options.webhook_configuration_name, crds);
  kopp::Manager manager(plane.admin_config(), options);
  {{ident}}::add_webhooks(manager);
  kopp::testing::ManagerThread running(manager);
  REQUIRE(running.wait_ready(std::chrono::seconds(30)));

  // The API server takes a moment to use new webhook configurations (until then a write is
  // stored as sent), so each check below retries with a new object until it holds.
  const std::string outcome = plane.with_client([&](kopp::Client& client) -> boost::asio::awaitable<std::string> {
    kopp::Api<{{kind}}> api(client, ns);
    int attempts = 0;
{{e2e_checks}}    co_return std::string("passed");
  });
  CHECK(outcome == "passed");
  plane.kubectl({"delete", "namespace", ns, "--wait=false"});
}
)kopp";

inline constexpr std::string_view webhook_e2e_defaulter = R"kopp(
    // The defaulter: a {{kind}} created without spec.foo is stored with spec.foo "default".
    const auto defaulted = [&]() -> boost::asio::awaitable<bool> {
      {{kind}} object;
      object.metadata.name = "defaulted-" + suffix + "-" + std::to_string(attempts++);
      const {{kind}} created = co_await api.create(object);
      co_return created.spec.foo == "default";
    };
    if (!co_await kopp::testing::eventually(defaulted, std::chrono::seconds(30)))
      co_return std::string("a {{kind}} without spec.foo was never defaulted");
)kopp";

inline constexpr std::string_view webhook_e2e_validator = R"kopp(
    // The validator: a change of spec.foo is refused with a message that names the field.
    std::string denial;
    const auto refused = [&]() -> boost::asio::awaitable<bool> {
      {{kind}} object;
      object.metadata.name = "validated-" + suffix + "-" + std::to_string(attempts++);
      object.spec.foo = "a";
      {{kind}} changed = co_await api.create(object);
      changed.spec.foo = "b";
      try {
        co_await api.replace(changed);
      } catch (const kopp::api_error& e) {
        denial = e.what();
        co_return true;
      }
      co_return false;
    };
    if (!co_await kopp::testing::eventually(refused, std::chrono::seconds(30)))
      co_return std::string("a change of spec.foo was never refused");
    if (denial.find("spec.foo") == std::string::npos)
      co_return "the denial does not name spec.foo: " + denial;
)kopp";

// --- once per project ---------------------------------------------------------------

inline constexpr std::string_view config_webhook_kustomization =
    R"kopp(# The admission webhooks: their configurations (manifests.yaml, generated from
# src/setup.cpp's webhook_manifests() by every build; the test webhook_manifests_up_to_date
# keeps it current) and the Service in front of the webhook port of the operator's pods.
resources:
- manifests.yaml
- service.yaml
)kopp";

inline constexpr std::string_view config_webhook_service =
    R"kopp(# The API server calls the webhooks through this Service. Every replica serves them,
# leader or not.
apiVersion: v1
kind: Service
metadata:
  name: webhook-service
  namespace: system
  labels:
    app.kubernetes.io/name: {{name}}
spec:
  selector:
    app.kubernetes.io/name: {{name}}
  ports:
  - name: webhook
    port: 443
    protocol: TCP
    targetPort: webhook-server
)kopp";

inline constexpr std::string_view config_certmanager_kustomization =
    R"kopp(# The webhook server's certificate, issued by cert-manager (install it in the cluster
# first). cert-manager writes tls.crt, tls.key and ca.crt into the Secret
# webhook-server-cert, which config/default's manager_webhook_patch.yaml mounts at the
# operator's --webhook-cert-dir (kopp reloads the files when cert-manager renews them), and
# its CA injector copies the CA into the webhook configurations' caBundle.
resources:
- certificate.yaml
)kopp";

inline constexpr std::string_view config_certmanager_certificate =
    R"kopp(# Self-signed is enough: only the API server, which gets the CA through the caBundle, has
# to trust this certificate. config/default's replacements fill in the Service's name and
# namespace in dnsNames.
apiVersion: cert-manager.io/v1
kind: Issuer
metadata:
  name: selfsigned-issuer
  namespace: system
spec:
  selfSigned: {}
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: serving-cert
  namespace: system
spec:
  dnsNames:
  - SERVICE_NAME.SERVICE_NAMESPACE.svc
  - SERVICE_NAME.SERVICE_NAMESPACE.svc.cluster.local
  issuerRef:
    kind: Issuer
    name: selfsigned-issuer
  secretName: webhook-server-cert
)kopp";

inline constexpr std::string_view config_default_manager_webhook_patch =
    R"kopp(# The manager with its webhook server: the port the webhook Service targets, and the
# certificate cert-manager issues (config/certmanager), mounted read-only.
- op: add
  path: /spec/template/spec/containers/0/args/-
  value: --webhook-cert-dir=/tmp/k8s-webhook-server/serving-certs
- op: add
  path: /spec/template/spec/containers/0/ports/-
  value:
    name: webhook-server
    containerPort: 9443
    protocol: TCP
- op: add
  path: /spec/template/spec/containers/0/volumeMounts
  value:
  - name: webhook-certs
    mountPath: /tmp/k8s-webhook-server/serving-certs
    readOnly: true
- op: add
  path: /spec/template/spec/volumes
  value:
  - name: webhook-certs
    secret:
      secretName: webhook-server-cert
)kopp";

inline constexpr std::string_view register_default_resources = "- ../webhook\n- ../certmanager\n";

// kustomize names every object with the prefix and namespace of config/default: these
// replacements copy the final names where cert-manager needs them (the Certificate's
// dnsNames, the configurations' inject-ca-from annotation).
inline constexpr std::string_view register_default_webhook = R"kopp(patches:
- path: manager_webhook_patch.yaml
  target:
    kind: Deployment
    name: controller-manager
replacements:
- source:
    kind: Service
    version: v1
    name: webhook-service
    fieldPath: metadata.name
  targets:
  - select:
      group: cert-manager.io
      kind: Certificate
    fieldPaths:
    - spec.dnsNames.0
    - spec.dnsNames.1
    options:
      delimiter: "."
      index: 0
- source:
    kind: Service
    version: v1
    name: webhook-service
    fieldPath: metadata.namespace
  targets:
  - select:
      group: cert-manager.io
      kind: Certificate
    fieldPaths:
    - spec.dnsNames.0
    - spec.dnsNames.1
    options:
      delimiter: "."
      index: 1
- source:
    group: cert-manager.io
    kind: Certificate
    name: serving-cert
    fieldPath: metadata.namespace
  targets:
  - select:
      kind: ValidatingWebhookConfiguration
    fieldPaths:
    - metadata.annotations.[cert-manager.io/inject-ca-from]
    options:
      delimiter: "/"
      index: 0
  - select:
      kind: MutatingWebhookConfiguration
    fieldPaths:
    - metadata.annotations.[cert-manager.io/inject-ca-from]
    options:
      delimiter: "/"
      index: 0
- source:
    group: cert-manager.io
    kind: Certificate
    name: serving-cert
    fieldPath: metadata.name
  targets:
  - select:
      kind: ValidatingWebhookConfiguration
    fieldPaths:
    - metadata.annotations.[cert-manager.io/inject-ca-from]
    options:
      delimiter: "/"
      index: 1
  - select:
      kind: MutatingWebhookConfiguration
    fieldPaths:
    - metadata.annotations.[cert-manager.io/inject-ca-from]
    options:
      delimiter: "/"
      index: 1
)kopp";

inline constexpr std::string_view register_webhooks_cmake =
    R"kopp(# The admission webhooks' configurations, generated from src/setup.cpp's webhook_manifests()
# into config/webhook/manifests.yaml (added by the first `kopp create webhook`).
kopp_add_crd(webhooks-gen
  FUNCTION {{ident}}::webhook_manifests
  HEADER {{ident}}/setup.hpp
  LINK {{ident}}_lib
  OUTPUT config/webhook/manifests.yaml
  TEST_NAME webhook_manifests_up_to_date
  TEST_LABELS unit)
add_dependencies(manifests webhooks-gen_update)
list(APPEND OPERATOR_E2E_TESTS tests/e2e/webhook_config_test.cpp)

)kopp";

inline constexpr std::string_view register_kind_webhook_cmake =
    R"kopp(# {{kind}}'s webhooks, added by `kopp create webhook`.
target_sources({{ident}}_lib PRIVATE src/{{kind_lower}}_webhook.cpp)
list(APPEND OPERATOR_UNIT_TESTS tests/{{kind_lower}}_webhook_test.cpp)
list(APPEND OPERATOR_E2E_TESTS tests/e2e/{{kind_lower}}_webhook_e2e_test.cpp)

)kopp";

inline constexpr std::string_view register_webhook_include = "#include <{{ident}}/{{kind_lower}}_webhook.hpp>\n";
inline constexpr std::string_view register_webhook_server =
    "  add_{{kind_lower}}_webhook(manager.webhook<{{version}}::{{kind}}>());\n";
inline constexpr std::string_view register_webhook_declaration =
    "  add_{{kind_lower}}_webhook(declarations.webhook<{{version}}::{{kind}}>());\n";

inline constexpr std::string_view webhook_config_test_cpp =
    R"kopp(// config/default with the webhooks, as kustomize renders it: the names that kustomize's
// prefix and namespace give the objects are the ones cert-manager and the API server are
// pointed at (the replacements in config/default/kustomization.yaml).
#include <kopp/testing/control_plane.hpp>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

TEST_CASE("config/default wires the webhooks, their Service and cert-manager's certificate", "[e2e][webhook]") {
  const char* config_dir = std::getenv("OPERATOR_CONFIG_DIR");
  REQUIRE(config_dir != nullptr);  // set by ctest
  const kopp::testing::ControlPlane plane = kopp::testing::ControlPlane::attach();
  const std::string rendered = plane.kubectl({"kustomize", std::string(config_dir) + "/default"});
  // The API server calls the admission webhooks through the Service kustomize named, in the
  // operator's namespace (conversions: tests/e2e/<kind>_conversion_config_test.cpp).
  if (rendered.find("WebhookConfiguration\n") != std::string::npos)
    CHECK(rendered.find("name: {{name}}-webhook-service\n      namespace: {{name}}-system\n") != std::string::npos);
  // cert-manager issues the certificate for that Service's DNS names ...
  CHECK(rendered.find("- {{name}}-webhook-service.{{name}}-system.svc\n") != std::string::npos);
  CHECK(rendered.find("- {{name}}-webhook-service.{{name}}-system.svc.cluster.local\n") != std::string::npos);
  // ... and injects its CA into the configurations.
  CHECK(rendered.find("cert-manager.io/inject-ca-from: {{name}}-system/{{name}}-serving-cert\n") !=
        std::string::npos);
  CHECK(rendered.find("CERTIFICATE_N") == std::string::npos);
  CHECK(rendered.find("SERVICE_N") == std::string::npos);
  // The manager serves them with the certificate's Secret mounted.
  CHECK(rendered.find("--webhook-cert-dir=/tmp/k8s-webhook-server/serving-certs") != std::string::npos);
  CHECK(rendered.find("secretName: webhook-server-cert") != std::string::npos);
}
)kopp";

}  // namespace kopp_scaffold::templates
