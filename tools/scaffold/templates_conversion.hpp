#pragma once
// A kind served in several versions: what `kopp create api` writes for a kind's second (or
// later) version, and what `kopp create webhook --conversion --spoke V` writes for the
// conversion webhook between the hub version (the one the controller reconciles and the API
// server stores) and each spoke version, with the lines it registers them with.
// {{key}}: as in templates_api.hpp, plus {{hub}} (the hub version) and {{spoke}} (a spoke
// version). No template may hold two opening braces in a row outside a {{key}}: C++ brace
// lists are written `{ {`.

#include <string_view>

namespace kopp_scaffold::templates {

// --- `kopp create api` for another version of a kind ----------------------------------

/// Before the marker in the hub's CRD source: the version's header and its place in the list.
inline constexpr std::string_view register_version_include =
    "#include <{{ident}}/api/{{version}}/{{kind_lower}}.hpp>\n";
inline constexpr std::string_view register_version =
    "                                               , {{version}}::{{kind}}\n";

// --- `kopp create webhook --conversion`: once per kind ---------------------------------

inline constexpr std::string_view conversion_kind_hpp = R"kopp(#pragma once
// The conversion webhook of {{kind}}: the API server stores {{kind}}s in {{hub}}, the hub, and
// asks the operator's /convert to turn them into the version a client reads or writes, and
// back. Each other version (a spoke) converts to and from the hub only (its
// src/api/<version>/{{kind_lower}}_conversion.cpp), so N versions need 2(N-1) functions.

#include <{{ident}}/api/{{hub}}/{{kind_lower}}.hpp>

#include <kopp/runtime/webhook/conversion.hpp>

namespace {{ident}} {

/// Declares {{kind}}'s spokes and their conversions on `builder` (src/setup.cpp's
/// add_webhooks() passes the manager's: manager.conversion<{{hub}}::{{kind}}>()).
void add_{{kind_lower}}_conversion(kopp::ConversionBuilder<{{hub}}::{{kind}}> builder);

}  // namespace {{ident}}
)kopp";

inline constexpr std::string_view conversion_kind_cpp = R"kopp(#include <{{ident}}/{{kind_lower}}_conversion.hpp>
// kopp:scaffold:{{kind_lower}}-spoke-includes

namespace {{ident}} {

void add_{{kind_lower}}_conversion(kopp::ConversionBuilder<{{hub}}::{{kind}}> builder) {
  // `kopp create webhook --conversion --spoke <version>` adds each spoke here.
  builder
      // kopp:scaffold:{{kind_lower}}-spokes
      .build();
}

}  // namespace {{ident}}
)kopp";

/// Before the marker in the hub's CRD source: the CRD's conversion through the webhook.
inline constexpr std::string_view register_crd_conversion =
    R"kopp(      // The versions convert through the operator's /convert (src/{{kind_lower}}_conversion.cpp),
      // reached through config/webhook's Service with the CA cert-manager injects; config/default
      // gives both their final names.
      .conversion_webhook([] {
        kopp::crd::ConversionWebhook webhook;
        webhook.service_namespace = "system";
        webhook.service_name = "webhook-service";
        return webhook;
      }())
      .annotations({ {"cert-manager.io/inject-ca-from", "CERTIFICATE_NAMESPACE/CERTIFICATE_NAME"} })
)kopp";

inline constexpr std::string_view register_conversion_cmake =
    R"kopp(# {{kind}}'s conversion webhook ({{hub}} the hub), added by `kopp create webhook --conversion`.
target_sources({{ident}}_lib PRIVATE src/{{kind_lower}}_conversion.cpp)
list(APPEND OPERATOR_E2E_TESTS tests/e2e/{{kind_lower}}_conversion_config_test.cpp)

)kopp";

inline constexpr std::string_view register_conversion_include = "#include <{{ident}}/{{kind_lower}}_conversion.hpp>\n";
inline constexpr std::string_view register_conversion_server =
    "  add_{{kind_lower}}_conversion(manager.conversion<{{hub}}::{{kind}}>());\n";

// kustomize names the Service and the Certificate with config/default's prefix (it moves the
// CRD's Service reference into the namespace by itself, but not to the new name).
inline constexpr std::string_view register_default_crd_replacements = R"kopp(- source:
    kind: Service
    version: v1
    name: webhook-service
    fieldPath: metadata.name
  targets:
  - select:
      kind: CustomResourceDefinition
      name: {{plural}}.{{fqgroup}}
    fieldPaths:
    - spec.conversion.webhook.clientConfig.service.name
- source:
    group: cert-manager.io
    kind: Certificate
    name: serving-cert
    fieldPath: metadata.namespace
  targets:
  - select:
      kind: CustomResourceDefinition
      name: {{plural}}.{{fqgroup}}
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
      kind: CustomResourceDefinition
      name: {{plural}}.{{fqgroup}}
    fieldPaths:
    - metadata.annotations.[cert-manager.io/inject-ca-from]
    options:
      delimiter: "/"
      index: 1
)kopp";

inline constexpr std::string_view conversion_config_test_cpp =
    R"kopp(// {{kind}}'s CRD in config/default, as kustomize renders it: its conversion goes to the
// webhook Service kustomize named, and cert-manager injects the CA of the Certificate
// kustomize named (the replacements in config/default/kustomization.yaml).
#include <kopp/testing/control_plane.hpp>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

TEST_CASE("config/default sends {{kind}}'s conversions to the webhook Service, with cert-manager's CA",
          "[e2e][webhook][{{kind_lower}}]") {
  const char* config_dir = std::getenv("OPERATOR_CONFIG_DIR");
  REQUIRE(config_dir != nullptr);  // set by ctest
  const kopp::testing::ControlPlane plane = kopp::testing::ControlPlane::attach();
  const std::string rendered = plane.kubectl({"kustomize", std::string(config_dir) + "/default"});
  const std::size_t crd = rendered.find("\n  name: {{plural}}.{{fqgroup}}\n");
  REQUIRE(crd != std::string::npos);
  const std::size_t end = rendered.find("\n---", crd);
  const std::size_t begin = rendered.rfind("---\n", crd);
  const std::string document =
      rendered.substr(begin == std::string::npos ? 0 : begin, end == std::string::npos ? std::string::npos : end - begin);
  CHECK(document.find("cert-manager.io/inject-ca-from: {{name}}-system/{{name}}-serving-cert\n") != std::string::npos);
  CHECK(document.find("strategy: Webhook\n") != std::string::npos);
  CHECK(document.find("name: {{name}}-webhook-service\n          namespace: {{name}}-system\n          path: /convert\n") !=
        std::string::npos);
}
)kopp";

// --- `kopp create webhook --conversion --spoke V`: once per spoke -----------------------

inline constexpr std::string_view conversion_spoke_hpp = R"kopp(#pragma once
// {{kind}} {{spoke}} to and from {{hub}}, the hub: what the conversion webhook runs when a
// client reads or writes a {{kind}} in {{spoke}} while the API server stores {{hub}}.

#include <{{ident}}/api/{{hub}}/{{kind_lower}}.hpp>
#include <{{ident}}/api/{{spoke}}/{{kind_lower}}.hpp>

namespace {{ident}}::{{spoke}} {

/// Fills `hub` from `spoke`. kopp has already copied the metadata.
void {{kind_lower}}_to_hub(const {{kind}}& spoke, {{hub}}::{{kind}}& hub);

/// Fills `spoke` from `hub`. kopp has already copied the metadata.
void {{kind_lower}}_from_hub(const {{hub}}::{{kind}}& hub, {{kind}}& spoke);

}  // namespace {{ident}}::{{spoke}}
)kopp";

inline constexpr std::string_view conversion_spoke_cpp =
    R"kopp(#include <{{ident}}/api/{{spoke}}/{{kind_lower}}_conversion.hpp>

namespace {{ident}}::{{spoke}} {

// As scaffolded, both versions have the same fields, so these copy them. When a version's
// fields change, say here how each maps to the other version's. What one side cannot hold
// is not lost on a round trip: kopp keeps what a conversion would drop in an annotation of
// the converted object and puts it back on the way home (docs/webhooks.md).

void {{kind_lower}}_to_hub(const {{kind}}& spoke, {{hub}}::{{kind}}& hub) {
  hub.spec.foo = spoke.spec.foo;
  if (spoke.status) {
    hub.status.emplace();
    hub.status->conditions = spoke.status->conditions;
  }
}

void {{kind_lower}}_from_hub(const {{hub}}::{{kind}}& hub, {{kind}}& spoke) {
  spoke.spec.foo = hub.spec.foo;
  if (hub.status) {
    spoke.status.emplace();
    spoke.status->conditions = hub.status->conditions;
  }
}

}  // namespace {{ident}}::{{spoke}}
)kopp";

inline constexpr std::string_view register_spoke_include =
    "#include <{{ident}}/api/{{spoke}}/{{kind_lower}}_conversion.hpp>\n";
inline constexpr std::string_view register_spoke =
    "      .spoke<{{spoke}}::{{kind}}>({{spoke}}::{{kind_lower}}_to_hub, {{spoke}}::{{kind_lower}}_from_hub)\n";

inline constexpr std::string_view register_spoke_cmake =
    R"kopp(# {{kind}} {{spoke}} <-> {{hub}}, added by `kopp create webhook --conversion --spoke {{spoke}}`.
target_sources({{ident}}_lib PRIVATE src/api/{{spoke}}/{{kind_lower}}_conversion.cpp)
list(APPEND OPERATOR_UNIT_TESTS tests/{{kind_lower}}_{{spoke}}_conversion_test.cpp)
list(APPEND OPERATOR_E2E_TESTS tests/e2e/{{kind_lower}}_{{spoke}}_conversion_e2e_test.cpp)

)kopp";

inline constexpr std::string_view conversion_unit_test_cpp =
    R"kopp(// {{kind}} {{spoke}} <-> {{hub}} without a server: the conversions keep what both versions
// hold, and the CRD sends conversions to the webhook. (The API server calling them is
// tests/e2e/{{kind_lower}}_{{spoke}}_conversion_e2e_test.cpp.)
#include <{{ident}}/api/{{spoke}}/{{kind_lower}}_conversion.hpp>
#include <{{ident}}/setup.hpp>

#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include <string>

TEST_CASE("{{kind}} conversion: {{spoke}} to {{hub}} and back keeps spec and status", "[conversion][{{kind_lower}}]") {
  {{ident}}::{{spoke}}::{{kind}} spoke;
  spoke.metadata.name = "sample";
  spoke.spec.foo = "bar";
  spoke.status.emplace();
  spoke.status->conditions.push_back(
      kopp::make_condition("Available", kopp::condition_true, "Reconciled", "The {{kind}} is reconciled.", 1));

  {{ident}}::{{hub}}::{{kind}} hub;
  {{ident}}::{{spoke}}::{{kind_lower}}_to_hub(spoke, hub);
  CHECK(hub.spec.foo == "bar");
  REQUIRE(hub.status.has_value());
  CHECK(hub.status->conditions.size() == 1);

  {{ident}}::{{spoke}}::{{kind}} back;
  {{ident}}::{{spoke}}::{{kind_lower}}_from_hub(hub, back);
  CHECK(back.spec == spoke.spec);
  CHECK(back.status == spoke.status);
}

TEST_CASE("{{kind}} conversion: the CRD serves {{spoke}} and sends conversions to the webhook",
          "[conversion][{{kind_lower}}]") {
  std::string crd;
  for (const auto& definition : {{ident}}::crd_definitions())
    if (definition.at("metadata").at("name") == "{{plural}}.{{fqgroup}}") crd = boost::json::serialize(definition);
  REQUIRE_FALSE(crd.empty());
  CHECK(crd.find("\"name\":\"{{spoke}}\"") != std::string::npos);
  CHECK(crd.find("\"strategy\":\"Webhook\"") != std::string::npos);
  CHECK(crd.find("\"path\":\"/convert\"") != std::string::npos);
}
)kopp";

inline constexpr std::string_view conversion_e2e_test_cpp =
    R"kopp(// {{kind}} {{spoke}} <-> {{hub}} end to end: the real kube-apiserver of kopp's local control
// plane stores {{hub}} and calls the operator's conversion webhook for {{spoke}}. The Manager
// points the CRD's conversion at itself here (webhook_configuration_name: a URL on
// 127.0.0.1 and a generated CA), as a cluster-admin; in a cluster, config/default's Service
// and cert-manager do that instead.
#include <{{ident}}/api/{{hub}}/{{kind_lower}}.hpp>
#include <{{ident}}/api/{{spoke}}/{{kind_lower}}.hpp>
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

TEST_CASE("{{kind}} conversion: the API server converts {{spoke}} to and from {{hub}} through the webhook",
          "[e2e][webhook][{{kind_lower}}]") {
  const kopp::testing::ControlPlane plane = kopp::testing::ControlPlane::attach();
  const std::string suffix = std::to_string(std::random_device()() % 1000000);
  const std::string ns = "e2e-{{kind_lower}}-{{spoke}}-" + suffix;
  plane.kubectl({"create", "namespace", ns});

  kopp::ManagerOptions options;
  options.handle_signals = false;
  options.webhook_bind_address = "127.0.0.1:0";
  options.webhook_configuration_name = "e2e-{{kind_lower}}-{{spoke}}-" + suffix;
  // What the Manager registers points at this test's server: put back when the test ends,
  // however it ends (the CRDs' conversions as they were, its configurations deleted), so
  // that later requests are not sent to a server that no longer runs.
  std::vector<std::string> crds;
  for (const auto& crd : {{ident}}::crd_definitions()) crds.emplace_back(crd.at("metadata").at("name").as_string());
  const kopp::testing::WebhookRegistrationGuard guard(plane, options.webhook_configuration_name, crds);
  kopp::Manager manager(plane.admin_config(), options);
  {{ident}}::add_webhooks(manager);
  kopp::testing::ManagerThread running(manager);
  REQUIRE(running.wait_ready(std::chrono::seconds(30)));

  // The API server takes a moment to use the CRD's new conversion (until then a conversion
  // fails), so the first check retries until it holds.
  const std::string outcome = plane.with_client([&](kopp::Client& client) -> boost::asio::awaitable<std::string> {
    kopp::Api<{{ident}}::{{spoke}}::{{kind}}> spokes(client, ns);
    kopp::Api<{{ident}}::{{hub}}::{{kind}}> hubs(client, ns);
    std::string last_error;
    // Written in {{spoke}}: stored as {{hub}}, read back in {{hub}}.
    const auto converted = [&]() -> boost::asio::awaitable<bool> {
      try {
        {{ident}}::{{spoke}}::{{kind}} object;
        object.metadata.name = "written-in-{{spoke}}";
        object.spec.foo = "bar";
        co_await spokes.create(object);
        co_return true;
      } catch (const kopp::api_error& e) {
        last_error = e.what();
        co_return false;
      }
    };
    if (!co_await kopp::testing::eventually(converted, std::chrono::seconds(30), std::chrono::milliseconds(200)))
      co_return "a {{kind}} written in {{spoke}} was never stored: " + last_error;
    const {{ident}}::{{hub}}::{{kind}} as_hub = co_await hubs.get("written-in-{{spoke}}");
    if (as_hub.spec.foo != "bar") co_return "read in {{hub}}, spec.foo is \"" + as_hub.spec.foo + "\"";

    // Written in {{hub}}, read in {{spoke}}.
    {{ident}}::{{hub}}::{{kind}} object;
    object.metadata.name = "written-in-{{hub}}";
    object.spec.foo = "baz";
    co_await hubs.create(object);
    const {{ident}}::{{spoke}}::{{kind}} as_spoke = co_await spokes.get("written-in-{{hub}}");
    if (as_spoke.apiVersion != "{{fqgroup}}/{{spoke}}") co_return "read in {{spoke}}, apiVersion is " + as_spoke.apiVersion;
    if (as_spoke.spec.foo != "baz") co_return "read in {{spoke}}, spec.foo is \"" + as_spoke.spec.foo + "\"";
    co_return std::string("passed");
  });
  CHECK(outcome == "passed");
  plane.kubectl({"delete", "namespace", ns, "--wait=false"});
}
)kopp";

}  // namespace kopp_scaffold::templates
