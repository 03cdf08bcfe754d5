// TLS verification, authentication and authorization against the real kube-apiserver.
#include "support/integration.hpp"

#include <kopp/client/http1_transport.hpp>
#include <kopp/client/http2_transport.hpp>
#include <kopp/client/in_cluster.hpp>

#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>

#include <filesystem>
#include <fstream>

using namespace kopp_test;
using boost::asio::awaitable;
namespace json = boost::json;

namespace {

/// A CA the server's certificate was not signed by.
std::string foreign_ca_pem() {
  const auto dir = std::filesystem::temp_directory_path() / unique_name("kopp-ca");
  std::filesystem::create_directories(dir);
  const std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=foreign-ca -keyout " +
                          (dir / "key.pem").string() + " -out " + (dir / "ca.pem").string() + " 2>/dev/null";
  REQUIRE(std::system(cmd.c_str()) == 0);
  std::ifstream in(dir / "ca.pem");
  std::string pem((std::istreambuf_iterator<char>(in)), {});
  std::filesystem::remove_all(dir);
  return pem;
}

awaitable<std::string> request_token(kopp::Client& admin, const std::string& ns, const std::string& sa) {
  ServiceAccount account;
  account.metadata.name = sa;
  co_await kopp::Api<ServiceAccount>(admin, ns).create(account);
  kopp::HttpRequest request;
  request.method = boost::beast::http::verb::post;
  request.target = "/api/v1/namespaces/" + ns + "/serviceaccounts/" + sa + "/token";
  request.content_type = "application/json";
  request.body = R"({"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{"expirationSeconds":3600}})";
  auto answer = co_await admin.request_json(request);
  co_return std::string(answer.at("status").at("token").as_string());
}

awaitable<void> grant_configmap_reader(kopp::Client& admin, const std::string& ns, const std::string& sa) {
  kopp::DynamicApi roles(admin, {"rbac.authorization.k8s.io", "v1", "Role", "roles", true}, ns);
  co_await roles.create(json::parse(R"({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role",
      "metadata":{"name":"read-configmaps"},
      "rules":[{"apiGroups":[""],"resources":["configmaps"],"verbs":["get","list","watch"]}]})")
                            .as_object());
  kopp::DynamicApi bindings(admin, {"rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", true}, ns);
  json::object binding = json::parse(R"({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding",
      "metadata":{"name":"read-configmaps"},
      "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"read-configmaps"}})")
                             .as_object();
  binding["subjects"] = json::array{json::object{{"kind", "ServiceAccount"}, {"name", sa}, {"namespace", ns}}};
  co_await bindings.create(binding);
}

}  // namespace

TEST_CASE("TLS: a CA that did not sign the server's certificate is refused", "[integration]") {
  auto config = admin_config();
  config.ca_pem = foreign_ca_pem();
  run<void>([&]() -> awaitable<void> {
    kopp::Client client(co_await boost::asio::this_coro::executor, config);
    try {
      co_await kopp::Api<Namespace>::all(client).list();
      FAIL("TLS with a wrong CA succeeded");
    } catch (const kopp::api_error& e) {
      const std::string what = e.what();
      INFO(what);
      CHECK(what.find("TLS handshake with https://127.0.0.1") != std::string::npos);
      CHECK(what.find("unable to get local issuer certificate") != std::string::npos);
    }
  });
}

TEST_CASE("TLS: a server name the certificate does not carry is refused", "[integration]") {
  auto config = admin_config();
  config.tls_server_name = "not-the-apiserver.example";
  run<void>([&]() -> awaitable<void> {
    kopp::Client client(co_await boost::asio::this_coro::executor, config);
    try {
      co_await kopp::Api<Namespace>::all(client).list();
      FAIL("TLS with a wrong server name succeeded");
    } catch (const kopp::api_error& e) {
      const std::string what = e.what();
      INFO(what);
      CHECK(what.find("hostname mismatch") != std::string::npos);
      CHECK(what.find("not-the-apiserver.example") != std::string::npos);
    }
  });
}

TEST_CASE("TLS: the right CA and server name work; HTTP/2 when asked for, one connection", "[integration]") {
  auto config = admin_config();
  config.tls_server_name = "localhost";  // a DNS SAN of the serving certificate
  kopp::ClientOptions options;
  options.transport.protocol = kopp::HttpProtocol::automatic;
  run<void>([&]() -> awaitable<void> {
    kopp::Client client(co_await boost::asio::this_coro::executor, config, options);
    auto namespaces = kopp::Api<Namespace>::all(client);
    co_await namespaces.get("default");
    co_await namespaces.get("default");
    auto& transport = dynamic_cast<kopp::Http2Transport&>(client.transport());
    CHECK_FALSE(transport.uses_http1());  // kube-apiserver chose h2 by ALPN
    CHECK(transport.connections() == 1);
  });
}

TEST_CASE("TLS: HTTP/1.1 when asked for; keep-alive reuses connections", "[integration]") {
  auto config = admin_config();
  config.tls_server_name = "localhost";
  kopp::ClientOptions options;
  options.transport.protocol = kopp::HttpProtocol::http1;
  run<void>([&]() -> awaitable<void> {
    kopp::Client client(co_await boost::asio::this_coro::executor, config, options);
    auto namespaces = kopp::Api<Namespace>::all(client);
    co_await namespaces.get("default");
    co_await namespaces.get("default");
    CHECK(dynamic_cast<kopp::Http1Transport&>(client.transport()).idle_connections() == 1);
  });
}

TEST_CASE("a bad token is 401 with a clear message that does not contain the token", "[integration]") {
  auto config = admin_config();
  config.client_cert_pem.clear();
  config.client_key_pem.clear();
  const std::string secret = "kopp-not-a-real-token-5f2d1c";
  config.credentials = kopp::static_token(secret);
  run<void>([&]() -> awaitable<void> {
    kopp::Client client(co_await boost::asio::this_coro::executor, config);
    try {
      co_await kopp::Api<Namespace>::all(client).list();
      FAIL("a bad token was accepted");
    } catch (const kopp::api_error& e) {
      CHECK(kopp::is_unauthorized(e));
      const std::string what = e.what();
      CHECK(what.find("401") != std::string::npos);
      CHECK(what.find(secret) == std::string::npos);
    }
  });
}

TEST_CASE("a ServiceAccount without RBAC gets 403; with a RoleBinding it is allowed", "[integration]") {
  TestNamespace ns("kopp-rbac");
  run<void>([&]() -> awaitable<void> {
    kopp::Client admin(co_await boost::asio::this_coro::executor, admin_config());
    const std::string token = co_await request_token(admin, ns.name(), "reader");
    auto config = admin_config();
    config.client_cert_pem.clear();
    config.client_key_pem.clear();
    config.credentials = kopp::static_token(token);
    kopp::Client as_sa(co_await boost::asio::this_coro::executor, config);
    kopp::Api<ConfigMap> configmaps(as_sa, ns.name());
    try {
      co_await configmaps.list();
      FAIL("a ServiceAccount without RBAC could list");
    } catch (const kopp::api_error& e) {
      CHECK(kopp::is_forbidden(e));
      const std::string what = e.what();
      CHECK(what.find("system:serviceaccount:" + ns.name() + ":reader") != std::string::npos);
      CHECK(what.find("cannot list resource \"configmaps\"") != std::string::npos);
      CHECK(what.find(token) == std::string::npos);
    }
    ConfigMap visible;
    visible.metadata.name = "visible";
    co_await kopp::Api<ConfigMap>(admin, ns.name()).create(visible);
    co_await grant_configmap_reader(admin, ns.name(), "reader");
    // RBAC changes reach the authorizer's cache within moments.
    for (int attempt = 0;; ++attempt) {
      try {
        auto list = co_await configmaps.list();
        CHECK(std::any_of(list.items.begin(), list.items.end(),
                          [](const ConfigMap& cm) { return cm.metadata.name == "visible"; }));
        break;
      } catch (const kopp::api_error& e) {
        if (!kopp::is_forbidden(e) || attempt > 50) throw;
      }
      boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, std::chrono::milliseconds(100));
      co_await t.async_wait(boost::asio::use_awaitable);
    }
  });
}

TEST_CASE("in-cluster config from env vars and service-account files", "[integration]") {
  TestNamespace ns("kopp-incluster");
  const auto dir = std::filesystem::temp_directory_path() / unique_name("kopp-sa");
  std::filesystem::create_directories(dir);
  struct Cleanup {
    std::filesystem::path dir;
    ~Cleanup() { std::filesystem::remove_all(dir); }
  } cleanup{dir};

  run<void>([&]() -> awaitable<void> {
    kopp::Client admin(co_await boost::asio::this_coro::executor, admin_config());
    const std::string token = co_await request_token(admin, ns.name(), "operator");
    co_await grant_configmap_reader(admin, ns.name(), "operator");
    ConfigMap visible;
    visible.metadata.name = "visible";
    co_await kopp::Api<ConfigMap>(admin, ns.name()).create(visible);
    std::ofstream(dir / "token") << token;
    std::ofstream(dir / "ca.crt") << admin.config().ca_pem;
    std::ofstream(dir / "namespace") << ns.name();
  });

  auto server = boost::urls::parse_uri(admin_config().server).value();
  const std::string host(server.host_address()), port(server.port());
  kopp::InClusterOptions options;
  options.service_account_dir = dir;
  options.getenv = [&](const char* name) -> std::optional<std::string> {
    if (std::string_view(name) == "KUBERNETES_SERVICE_HOST") return host;
    if (std::string_view(name) == "KUBERNETES_SERVICE_PORT") return port;
    return std::nullopt;
  };
  REQUIRE(kopp::running_in_cluster(options));
  auto config = kopp::load_in_cluster(options);
  CHECK(config.default_namespace == ns.name());

  run<void>([&]() -> awaitable<void> {
    kopp::Client client(co_await boost::asio::this_coro::executor, config);
    auto configmaps = kopp::Api<ConfigMap>::default_namespaced(client);
    for (int attempt = 0;; ++attempt) {
      try {
        // Read as the ServiceAccount, through the in-cluster token and CA.
        auto seen = co_await configmaps.get_opt("visible");
        CHECK(seen.has_value());
        break;
      } catch (const kopp::api_error& e) {
        if (!kopp::is_forbidden(e) || attempt > 50) throw;
      }
      boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, std::chrono::milliseconds(100));
      co_await t.async_wait(boost::asio::use_awaitable);
    }
  });
}
