// Admission and conversion webhooks served by the Manager, called by the real
// kube-apiserver: it reaches https://127.0.0.1:<port> with the generated CA as caBundle,
// applies the defaulter's patch, refuses what the validator denies (with its message and
// the old object seen on update), sends dry runs with dryRun set, follows failurePolicy
// when the operator is down, and converts a CRD's versions through /convert.
#include "support/integration.hpp"
#include "support/timer_versions.hpp"

#include <kopp/client/detail/pem.hpp>
#include <kopp/client/kubeconfig.hpp>
#include <kopp/client/dynamic_api.hpp>
#include <kopp/core/crd.hpp>
#include <kopp/runtime/manager/manager.hpp>
#include <kopp/testing/control_plane.hpp>
#include <kopp/testing/manager_thread.hpp>
#include <kopp/testing/webhook_registration_guard.hpp>

#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json/serialize.hpp>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>

using namespace kopp_test;
using boost::asio::awaitable;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view test_label = "kopp-webhook-test";

class ConfigMapValidator : public kopp::Validator<ConfigMap> {
 public:
  std::atomic<int> dry_runs{0};
  kopp::Verdict validate_create(const ConfigMap& cm, const kopp::AdmissionRequest& request) override {
    if (request.dry_run) ++dry_runs;
    if (cm.data.contains("forbidden")) return kopp::Verdict::invalid({{"data.forbidden", "must not be set"}});
    return kopp::Verdict::allow();
  }
  kopp::Verdict validate_update(const ConfigMap& old, const ConfigMap& cm, const kopp::AdmissionRequest&) override {
    auto locked = old.data.find("locked");
    if (locked != old.data.end() && locked->second == "true" && old.data != cm.data)
      return kopp::Verdict::deny("the data of a locked ConfigMap does not change (locked by " + old.metadata.name +
                                 ")");
    return kopp::Verdict::allow().warn("updated " + cm.metadata.name);
  }
};

kopp::ApiResource resource(std::string kind, std::string plural) {
  return kopp::ApiResource{"admissionregistration.k8s.io", "v1", std::move(kind), std::move(plural), false};
}

// The webhook configurations the Manager applies (cluster-wide), deleted when the test ends.
class WebhookConfigurations {
 public:
  explicit WebhookConfigurations(std::string name) : name_(std::move(name)) {}
  ~WebhookConfigurations() {
    try {
      run<void>([&]() -> awaitable<void> {
        kopp::Client client(co_await boost::asio::this_coro::executor, admin_config());
        for (auto [kind, plural] : kinds) {
          kopp::DynamicApi api(client, resource(kind, plural));
          if (co_await api.get_opt(name_)) co_await api.delete_(name_);
        }
      });
    } catch (...) {
    }
  }
  boost::json::object get(bool validating) {
    return run<boost::json::object>([&]() -> awaitable<boost::json::object> {
      kopp::Client client(co_await boost::asio::this_coro::executor, admin_config());
      auto [kind, plural] = kinds[validating ? 0 : 1];
      kopp::DynamicApi api(client, resource(kind, plural));
      co_return co_await api.get(name_);
    });
  }
  void set_failure_policy(std::string_view policy) {
    run<void>([&]() -> awaitable<void> {
      kopp::Client client(co_await boost::asio::this_coro::executor, admin_config());
      for (auto [kind, plural] : kinds) {
        kopp::DynamicApi api(client, resource(kind, plural));
        auto object = co_await api.get(name_);
        object["webhooks"].as_array()[0].as_object()["failurePolicy"] = policy;
        co_await api.replace(std::move(object));
      }
    });
  }

 private:
  static constexpr std::pair<const char*, const char*> kinds[] = {
      {"ValidatingWebhookConfiguration", "validatingwebhookconfigurations"},
      {"MutatingWebhookConfiguration", "mutatingwebhookconfigurations"}};
  std::string name_;
};

ConfigMap labelled(std::string name, std::map<std::string, std::string> data) {
  ConfigMap cm;
  cm.metadata.name = std::move(name);
  cm.metadata.labels[std::string(test_label)] = "yes";
  cm.data = std::move(data);
  return cm;
}

// Creates `cm`; the server's answer, or the api_error's message prefixed "error: ".
std::pair<std::optional<ConfigMap>, std::string> try_create(const std::string& ns, const ConfigMap& cm,
                                                            bool dry_run = false) {
  return run<std::pair<std::optional<ConfigMap>, std::string>>(
      [&]() -> awaitable<std::pair<std::optional<ConfigMap>, std::string>> {
        kopp::Client client(co_await boost::asio::this_coro::executor, admin_config());
        kopp::Api<ConfigMap> api(client, ns);
        kopp::PostParams params;
        params.dry_run = dry_run;
        try {
          ConfigMap created = co_await api.create(cm, params);
          co_return std::pair{std::optional<ConfigMap>(std::move(created)), std::string()};
        } catch (const kopp::api_error& e) {
          co_return std::pair{std::optional<ConfigMap>(), std::string("error: ") + e.what()};
        }
      });
}

kopp::ManagerOptions webhook_options(const std::string& ns) {
  kopp::ManagerOptions options;
  options.namespace_ = ns;
  options.handle_signals = false;
  options.threads = 2;
  options.webhook_bind_address = "127.0.0.1:0";
  options.graceful_shutdown_timeout = 5s;
  options.webhook_configuration_name = "kopp-" + ns;
  return options;
}

}  // namespace

TEST_CASE("webhooks: the API server defaults and validates through the manager's webhooks", "[integration]") {
  TestNamespace ns("kopp-webhook");
  kopp::Manager manager(admin_config(), webhook_options(ns.name()));
  CHECK(manager.webhook_port() == 0);  // no webhook registered yet: no port opened
  auto validator = std::make_shared<ConfigMapValidator>();
  manager.webhook<ConfigMap>()
      .defaulter([](ConfigMap& cm, const kopp::AdmissionRequest&) { cm.data.try_emplace("defaulted", "yes"); })
      .validator(validator)
      .namespace_selector({{"matchLabels", {{"kubernetes.io/metadata.name", ns.name()}}}})
      .object_selector({{"matchLabels", {{std::string(test_label), "yes"}}}})
      .timeout_seconds(5)
      .build();
  REQUIRE(manager.webhook_port() != 0);
  REQUIRE(manager.serving_ca_bundle().find("BEGIN CERTIFICATE") != std::string::npos);
  WebhookConfigurations configurations("kopp-" + ns.name());
  kopp::testing::ManagerThread running(manager);

  // The API server picks up new webhook configurations within a moment.
  int probe = 0;
  REQUIRE(eventually(
      [&] {
        auto [created, error] = try_create(ns.name(), labelled("probe-" + std::to_string(probe++), {}));
        return created && created->data.contains("defaulted");
      },
      30s));

  SECTION("a create is defaulted: the defaulter's patch is applied") {
    auto [created, error] = try_create(ns.name(), labelled("defaulted", {{"given", "1"}}));
    REQUIRE(created);
    CHECK(created->data == std::map<std::string, std::string>{{"defaulted", "yes"}, {"given", "1"}});
    // A value the user set is not overwritten.
    auto [own, own_error] = try_create(ns.name(), labelled("own", {{"defaulted", "mine"}}));
    REQUIRE(own);
    CHECK(own->data.at("defaulted") == "mine");
  }

  SECTION("an invalid create is denied with the validator's field message") {
    auto [created, error] = try_create(ns.name(), labelled("invalid", {{"forbidden", "x"}}));
    CHECK_FALSE(created);
    CHECK_THAT(error, Catch::Contains("denied the request") && Catch::Contains("data.forbidden: must not be set"));
    // Not created.
    auto [again, again_error] = try_create(ns.name(), labelled("invalid", {}));
    CHECK(again);
  }

  SECTION("an update is validated against the old object") {
    auto [created, error] = try_create(ns.name(), labelled("locked", {{"locked", "true"}}));
    REQUIRE(created);
    const std::string message = run<std::string>([&]() -> awaitable<std::string> {
      kopp::Client client(co_await boost::asio::this_coro::executor, admin_config());
      kopp::Api<ConfigMap> api(client, ns.name());
      ConfigMap changed = *created;
      changed.data["locked"] = "false";
      try {
        co_await api.replace(changed);
      } catch (const kopp::api_error& e) {
        co_return std::string(e.what());
      }
      co_return std::string("replaced");
    });
    CHECK_THAT(message, Catch::Contains("the data of a locked ConfigMap does not change (locked by locked)"));
  }

  SECTION("a dry run reaches the webhooks with dryRun set and changes nothing") {
    const int before = validator->dry_runs.load();
    auto [created, error] = try_create(ns.name(), labelled("dry", {}), true);
    REQUIRE(created);
    CHECK(created->data.at("defaulted") == "yes");  // the mutating webhook ran too
    CHECK(validator->dry_runs.load() == before + 1);
    auto [real, real_error] = try_create(ns.name(), labelled("dry", {}));
    CHECK(real);  // the dry run stored nothing
  }

  SECTION("the Manager applied both configurations: URL, CA bundle, rules, selectors") {
    auto validating = configurations.get(true);
    const auto& webhook = validating.at("webhooks").at(0).as_object();
    CHECK(webhook.at("name") == "vconfigmap-v1.kopp.dev");
    CHECK(webhook.at("clientConfig").at("url").as_string() ==
          "https://127.0.0.1:" + std::to_string(manager.webhook_port()) + "/validate--v1-configmap");
    CHECK(webhook.at("clientConfig").at("caBundle").as_string() ==
          kopp::detail::base64_encode(manager.serving_ca_bundle()));
    CHECK(webhook.at("rules").at(0).at("resources") == boost::json::array{"configmaps"});
    CHECK(webhook.at("timeoutSeconds") == 5);
    auto mutating = configurations.get(false);
    CHECK(mutating.at("webhooks").at(0).at("clientConfig").at("url").as_string() ==
          "https://127.0.0.1:" + std::to_string(manager.webhook_port()) + "/mutate--v1-configmap");
  }

  SECTION("the webhook metrics count the API server's calls") {
    const std::string text = kopp::metrics::Registry::global().render();
    CHECK_THAT(text, Catch::Contains(
                         R"(controller_runtime_webhook_requests_total{code="200",webhook="/mutate--v1-configmap"})"));
    CHECK_THAT(text, Catch::Contains(
                         R"(controller_runtime_webhook_requests_total{code="200",webhook="/validate--v1-configmap"})"));
    CHECK_THAT(text, Catch::Contains(
                         R"(controller_runtime_webhook_latency_seconds_count{webhook="/validate--v1-configmap"})"));
  }

  SECTION("the operator down: failurePolicy Fail refuses writes, Ignore lets them through") {
    CHECK(running.stop() == 0);
    auto [refused, error] = try_create(ns.name(), labelled("while-down", {}));
    CHECK_FALSE(refused);
    CHECK_THAT(error, Catch::Contains("failed calling webhook"));
    configurations.set_failure_policy("Ignore");
    REQUIRE(eventually([&] { return try_create(ns.name(), labelled("while-down", {})).first.has_value(); }, 30s));
  }
}

// A CRD with two versions (support/timer_versions.hpp) whose conversion goes through the
// Manager's /convert.
TEST_CASE("webhooks: CRD versions convert through the manager's conversion webhook, losslessly", "[integration]") {
  auto plane = kopp::testing::ControlPlane::attach();
  // The CRD as an operator ships it (conversion at the Service of its deployment); the
  // Manager points it at its own webhook instead.
  const auto crd_file = std::filesystem::temp_directory_path() / ("kopp-webhook-crd-" + std::to_string(::getpid()));
  {
    kopp::crd::ConversionWebhook in_cluster;
    in_cluster.service_namespace = "timer-system";
    in_cluster.service_name = "timer-webhook-service";
    std::ofstream out(crd_file);
    out << kopp::crd::to_yaml(kopp::crd::custom_resource_definition<TimerV1, TimerV2>()
                                  .storage<TimerV1>()
                                  .conversion_webhook(in_cluster)
                                  .build());
  }
  plane.install_crds({crd_file});
  std::filesystem::remove(crd_file);
  struct DeleteCrd {
    kopp::testing::ControlPlane& plane;
    ~DeleteCrd() {
      try {
        plane.kubectl({"delete", "crd", "timers.webhooktest.kopp.dev", "--wait=false"});
      } catch (...) {
      }
    }
  } delete_crd{plane};

  TestNamespace ns("kopp-conversion");
  auto options = webhook_options(ns.name());
  // [doc:webhook-registration-guard] (docs/testing.md shows this)
  // Made before the Manager, so that it puts back the CRD's conversion once the Manager
  // stopped (checked at the end).
  kopp::testing::WebhookRegistrationGuard guard(plane, options.webhook_configuration_name,
                                                {"timers.webhooktest.kopp.dev"});
  kopp::Manager manager(admin_config(), options);
  // [/doc]
  manager.conversion<TimerV1>().spoke<TimerV2>(timer_v2_to_v1, timer_v1_to_v2).build();
  kopp::testing::ManagerThread running(manager);

  // Written in v2 (paused has no v1 form), stored in v1.
  TimerV2 written;
  written.metadata.name = "nightly";
  written.spec.schedule = {"30", "2"};
  written.spec.image = "busybox";
  written.spec.paused = true;
  REQUIRE(eventually(
      [&] {
        // Until the API server uses the webhook, a v2 create cannot be stored as v1.
        return run<bool>([&]() -> awaitable<bool> {
          kopp::Client client(co_await boost::asio::this_coro::executor, admin_config());
          kopp::Api<TimerV2> v2(client, ns.name());
          try {
            co_await v2.create(written);
            co_return true;
          } catch (const kopp::api_error&) {
            co_return false;
          }
        });
      },
      30s));

  run<void>([&]() -> awaitable<void> {
    kopp::Client client(co_await boost::asio::this_coro::executor, admin_config());
    kopp::Api<TimerV1> v1(client, ns.name());
    kopp::Api<TimerV2> v2(client, ns.name());

    const TimerV1 as_v1 = co_await v1.get("nightly");
    CHECK(as_v1.spec.cronSpec == "30 2 * * *");
    CHECK(as_v1.metadata.annotations.contains("conversion.kopp.dev/v2"));  // paused, kept for v2
    const TimerV2 as_v2 = co_await v2.get("nightly");
    CHECK(as_v2.spec.schedule.minute == "30");
    CHECK(as_v2.spec.paused == std::optional<bool>(true));  // survived storage in v1
    CHECK_FALSE(as_v2.metadata.annotations.contains("conversion.kopp.dev/v2"));

    // Written in v1 with a day-of-week v2 cannot hold; changed through v2; read in v1 again.
    TimerV1 weekly;
    weekly.metadata.name = "weekly";
    weekly.spec.cronSpec = "0 6 * * 1";
    weekly.spec.image = "busybox";
    co_await v1.create(weekly);
    TimerV2 edited = co_await v2.get("weekly");
    CHECK(edited.spec.schedule.hour == "6");
    edited.spec.image = "alpine";
    co_await v2.replace(edited);
    const TimerV1 after = co_await v1.get("weekly");
    CHECK(after.spec.cronSpec == "0 6 * * 1");  // the day survived the v2 round trip
    CHECK(after.spec.image == "alpine");        // the change made through v2 is there

    // The CRD now converts through the manager's /convert with its CA.
    kopp::DynamicApi crds(client, kopp::ApiResource{"apiextensions.k8s.io", "v1", "CustomResourceDefinition",
                                                    "customresourcedefinitions", false});
    const auto crd = co_await crds.get("timers.webhooktest.kopp.dev");
    const auto& conversion = crd.at("spec").at("conversion");
    CHECK(conversion.at("strategy") == "Webhook");
    CHECK(conversion.at("webhook").at("clientConfig").at("url").as_string() ==
          "https://127.0.0.1:" + std::to_string(manager.webhook_port()) + "/convert");
    CHECK_FALSE(conversion.at("webhook").at("clientConfig").as_object().contains("service"));
  });
  const std::string text = kopp::metrics::Registry::global().render();
  CHECK_THAT(text, Catch::Contains(R"(controller_runtime_webhook_requests_total{code="200",webhook="/convert"})"));

  // The Manager stopped, its server gone: the guard points the CRD back at the Service it
  // shipped with.
  CHECK(running.stop() == 0);
  guard.restore();
  const std::string restored =
      plane.kubectl({"get", "crd", "timers.webhooktest.kopp.dev", "-o", "jsonpath={.spec.conversion}"});
  CHECK_THAT(restored, Catch::Contains(R"("name":"timer-webhook-service")") &&
                           Catch::Contains(R"("namespace":"timer-system")") && !Catch::Contains("127.0.0.1"));
}

namespace {

// GET https://127.0.0.1:<port><target>, verifying the server with `ca_pem`: status and body.
std::pair<unsigned, std::string> https_get(unsigned short port, const std::string& ca_pem, const std::string& target,
                                           const std::string& bearer = "") {
  namespace ssl = boost::asio::ssl;
  namespace http = boost::beast::http;
  return run<std::pair<unsigned, std::string>>([&]() -> awaitable<std::pair<unsigned, std::string>> {
    ssl::context context(ssl::context::tls_client);
    context.add_certificate_authority(boost::asio::buffer(ca_pem));
    context.set_verify_mode(ssl::verify_peer);
    context.set_verify_callback(ssl::host_name_verification("127.0.0.1"));
    boost::beast::ssl_stream<boost::beast::tcp_stream> stream(co_await boost::asio::this_coro::executor, context);
    co_await boost::beast::get_lowest_layer(stream).async_connect(
        boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port), boost::asio::use_awaitable);
    co_await stream.async_handshake(ssl::stream_base::client, boost::asio::use_awaitable);
    http::request<http::empty_body> request(http::verb::get, target, 11);
    request.set(http::field::host, "127.0.0.1");
    if (!bearer.empty()) request.set(http::field::authorization, "Bearer " + bearer);
    co_await http::async_write(stream, request, boost::asio::use_awaitable);
    boost::beast::flat_buffer buffer;
    http::response<http::string_body> response;
    co_await http::async_read(stream, buffer, response, boost::asio::use_awaitable);
    co_return std::pair{response.result_int(), response.body()};
  });
}

// The bearer token of a kubeconfig that ControlPlane::service_account_kubeconfig wrote.
std::string token_in(const std::filesystem::path& kubeconfig) {
  std::ifstream in(kubeconfig);
  std::string line;
  while (std::getline(in, line)) {
    const auto at = line.find("token: ");
    if (at != std::string::npos) return line.substr(at + 7);
  }
  FAIL("no token in " << kubeconfig);
  return {};
}

}  // namespace

TEST_CASE("secure metrics: the API server authenticates and authorizes each scrape", "[integration]") {
  auto plane = kopp::testing::ControlPlane::attach();
  TestNamespace ns("kopp-metrics");
  const auto dir = std::filesystem::temp_directory_path() / ("kopp-metrics-" + ns.name());
  std::filesystem::create_directories(dir);
  const std::string reader = token_in(plane.service_account_kubeconfig(ns.name(), "reader", dir / "reader"));
  const std::string nobody = token_in(plane.service_account_kubeconfig(ns.name(), "nobody", dir / "nobody"));
  std::filesystem::remove_all(dir);
  const std::string role = "kopp-metrics-reader-" + ns.name();
  plane.kubectl({"create", "clusterrole", role, "--verb=get", "--non-resource-url=/metrics"});
  plane.kubectl(
      {"create", "clusterrolebinding", role, "--clusterrole=" + role, "--serviceaccount=" + ns.name() + ":reader"});
  struct DeleteRbac {
    kopp::testing::ControlPlane& plane;
    std::string name;
    ~DeleteRbac() {
      try {
        plane.kubectl({"delete", "clusterrolebinding,clusterrole", name, "--ignore-not-found"});
      } catch (...) {
      }
    }
  } delete_rbac{plane, role};

  kopp::ManagerOptions options = webhook_options(ns.name());
  options.metrics_secure = true;
  options.metrics_bind_address = "127.0.0.1:0";
  options.health_probe_bind_address = "127.0.0.1:0";
  kopp::Manager manager(admin_config(), options);
  kopp::testing::ManagerThread running(manager);
  REQUIRE(running.wait_ready());
  REQUIRE(manager.metrics_port() != 0);
  const std::string& ca = manager.serving_ca_bundle();

  CHECK(https_get(manager.metrics_port(), ca, "/metrics").first == 401);
  CHECK(https_get(manager.metrics_port(), ca, "/metrics", "not-a-token").first == 401);
  const auto refused = https_get(manager.metrics_port(), ca, "/metrics", nobody);
  CHECK(refused.first == 403);
  CHECK_THAT(refused.second, Catch::Contains("system:serviceaccount:" + ns.name() + ":nobody"));
  // RBAC bindings reach the authorizer within a moment.
  std::pair<unsigned, std::string> allowed;
  REQUIRE(eventually(
      [&] {
        allowed = https_get(manager.metrics_port(), ca, "/metrics", reader);
        return allowed.first == 200;
      },
      30s));
  CHECK_THAT(allowed.second, Catch::Contains("rest_client_requests_total"));
  CHECK(https_get(manager.metrics_port(), ca, "/healthz", reader).first == 404);  // metrics only
  // The probes stay plain HTTP on their own port.
  CHECK(manager.health_port() != manager.metrics_port());
}

TEST_CASE("webhooks: the role Manager::permissions() derives is enough to register them, and is all it grants",
          "[integration]") {
  auto plane = kopp::testing::ControlPlane::attach();
  TestNamespace ns("kopp-webhook-rbac");
  const auto dir = std::filesystem::temp_directory_path() / ("kopp-webhook-rbac-" + ns.name());
  std::filesystem::create_directories(dir);
  struct Cleanup {
    kopp::testing::ControlPlane& plane;
    std::filesystem::path dir;
    std::string name;
    ~Cleanup() {
      std::error_code ignored;
      std::filesystem::remove_all(dir, ignored);
      try {
        plane.kubectl({"delete", "clusterrolebinding,clusterrole", name, "--ignore-not-found"});
      } catch (...) {
      }
    }
  } cleanup{plane, dir, "kopp-webhook-rbac-" + ns.name()};

  // The operator runs as a ServiceAccount bound to exactly the derived ClusterRole.
  kopp::KubeconfigOptions as_operator;
  as_operator.path = plane.service_account_kubeconfig(ns.name(), "operator", dir / "operator.kubeconfig");
  kopp::Manager manager(kopp::load_kubeconfig(as_operator), webhook_options(ns.name()));
  manager.webhook<ConfigMap>()
      .validator(std::make_shared<ConfigMapValidator>())
      .namespace_selector({{"matchLabels", {{"kubernetes.io/metadata.name", ns.name()}}}})
      .build();
  const std::vector<kopp::PolicyRule> expected{
      {{"admissionregistration.k8s.io"},
       {"mutatingwebhookconfigurations", "validatingwebhookconfigurations"},
       {"create", "patch"}},
  };
  CHECK(manager.permissions().rules() == expected);
  std::ofstream(dir / "role.json") << boost::json::serialize(kopp::cluster_role(cleanup.name, manager.permissions()));
  plane.kubectl({"apply", "--server-side", "-f", (dir / "role.json").string()});
  plane.kubectl({"create", "clusterrolebinding", cleanup.name, "--clusterrole=" + cleanup.name,
                 "--serviceaccount=" + ns.name() + ":operator"});

  WebhookConfigurations configurations("kopp-" + ns.name());
  kopp::testing::ManagerThread running(manager);
  REQUIRE(running.wait_ready());
  // run() applied the configuration as the ServiceAccount (server-side apply creates it:
  // that needs create as well as patch).
  CHECK_NOTHROW(plane.kubectl({"get", "validatingwebhookconfiguration", "kopp-" + ns.name()}));
}
