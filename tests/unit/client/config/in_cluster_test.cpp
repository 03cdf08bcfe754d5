#include "config_test_support.hpp"

#include <kopp/client/in_cluster.hpp>

using Catch::Matchers::Contains;
using namespace kopp_test;

namespace {

struct ServiceAccount {
  TempDir dir;
  ServiceAccount() {
    dir.write("sa/token", "sa-token-1\n");
    dir.write("sa/ca.crt", read_text(fixture("pki/ca.crt")));
    dir.write("sa/namespace", "operators\n");
  }
  std::filesystem::path path() const { return dir / "sa"; }
  kopp::InClusterOptions options(FakeEnv env) const { return {path(), env.fn()}; }
};

const FakeEnv pod_env{{{"KUBERNETES_SERVICE_HOST", "10.96.0.1"}, {"KUBERNETES_SERVICE_PORT", "443"}}};

}  // namespace

TEST_CASE("in-cluster configuration from env and the service account dir", "[config][in-cluster]") {
  ServiceAccount sa;
  CHECK(kopp::running_in_cluster(sa.options(pod_env)));
  const auto config = kopp::load_in_cluster(sa.options(pod_env));
  CHECK(config.server == "https://10.96.0.1:443");
  CHECK(config.ca_pem == read_text(fixture("pki/ca.crt")));
  CHECK(config.default_namespace == "operators");
  CHECK(config.source == "in-cluster");
  REQUIRE(config.credentials);
  CHECK(config.credentials->current().bearer_token == "sa-token-1");
  CHECK(config.credentials->describe() == "token file " + (sa.path() / "token").string());

  sa.dir.write("sa/token", "sa-token-2-rotated\n");  // the kubelet rotates the token
  CHECK(config.credentials->current().bearer_token == "sa-token-2-rotated");
}

TEST_CASE("in-cluster: IPv6 service host is bracketed; namespace defaults to 'default'", "[config][in-cluster]") {
  ServiceAccount sa;
  std::filesystem::remove(sa.path() / "namespace");
  const FakeEnv env{{{"KUBERNETES_SERVICE_HOST", "fd00:10:96::1"}, {"KUBERNETES_SERVICE_PORT", "6443"}}};
  const auto config = kopp::load_in_cluster(sa.options(env));
  CHECK(config.server == "https://[fd00:10:96::1]:6443");
  CHECK(config.default_namespace == "default");
}

TEST_CASE("pod_namespace: $POD_NAMESPACE, else the mount, else none", "[config][in-cluster]") {
  ServiceAccount sa;
  CHECK(kopp::pod_namespace(sa.options(pod_env)) == "operators");
  const FakeEnv with_variable{{{"POD_NAMESPACE", "from-downward-api"}}};
  CHECK(kopp::pod_namespace(sa.options(with_variable)) == "from-downward-api");
  sa.dir.write("sa/namespace", "  \n");
  CHECK_FALSE(kopp::pod_namespace(sa.options(pod_env)).has_value());
  std::filesystem::remove(sa.path() / "namespace");
  CHECK_FALSE(kopp::pod_namespace(sa.options(pod_env)).has_value());
  const FakeEnv empty_variable{{{"POD_NAMESPACE", ""}}};
  CHECK_FALSE(kopp::pod_namespace(sa.options(empty_variable)).has_value());
}

TEST_CASE("in-cluster: missing pieces say which", "[config][in-cluster][errors]") {
  ServiceAccount sa;
  SECTION("no env") {
    CHECK_FALSE(kopp::running_in_cluster(sa.options({})));
    CHECK_THAT(config_error_of([&] { kopp::load_in_cluster(sa.options({})); }),
               Contains("KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set"));
  }
  SECTION("no port") {
    const FakeEnv env{{{"KUBERNETES_SERVICE_HOST", "10.96.0.1"}}};
    CHECK_THAT(config_error_of([&] { kopp::load_in_cluster(sa.options(env)); }),
               Contains("KUBERNETES_SERVICE_PORT is not set"));
  }
  SECTION("no token") {
    std::filesystem::remove(sa.path() / "token");
    CHECK_FALSE(kopp::running_in_cluster(sa.options(pod_env)));
    CHECK_THAT(config_error_of([&] { kopp::load_in_cluster(sa.options(pod_env)); }),
               Contains("service account token") && Contains((sa.path() / "token").string()));
  }
  SECTION("no CA") {
    std::filesystem::remove(sa.path() / "ca.crt");
    CHECK_THAT(config_error_of([&] { kopp::load_in_cluster(sa.options(pod_env)); }),
               Contains("cannot read the cluster CA " + (sa.path() / "ca.crt").string()));
  }
  SECTION("bad CA") {
    sa.dir.write("sa/ca.crt", "not a certificate");
    CHECK_THAT(config_error_of([&] { kopp::load_in_cluster(sa.options(pod_env)); }),
               Contains((sa.path() / "ca.crt").string() + " is not a valid PEM certificate bundle") &&
                   !Contains("sa-token-1"));
  }
}

TEST_CASE("from_environment precedence", "[config][environment]") {
  ServiceAccount sa;
  TempDir home;
  home.write(".kube/config",
             "current-context: h\nclusters: [{name: k, cluster: {server: 'https://home:6443'}}]\n"
             "contexts: [{name: h, context: {cluster: k}}, {name: other, context: {cluster: k, namespace: o}}]\n");
  const auto env_file = home.write("env-config",
                                   "current-context: e\nclusters: [{name: k, cluster: {server: 'https://env:6443'}}]\n"
                                   "contexts: [{name: e, context: {cluster: k}}]\n");
  const auto explicit_file =
      home.write("explicit",
                 "current-context: x\nclusters: [{name: k, cluster: {server: 'https://explicit:6443'}}]\n"
                 "contexts: [{name: x, context: {cluster: k}}]\n");
  FakeEnv env = pod_env;
  env.vars["HOME"] = home.path().string();
  env.vars["KUBECONFIG"] = env_file.string();

  kopp::EnvironmentOptions options;
  options.service_account_dir = sa.path();
  auto load = [&] {
    options.getenv = env.fn();
    return kopp::from_environment(options);
  };

  options.kubeconfig = explicit_file;
  CHECK(load().server == "https://explicit:6443");  // 1. explicit path
  options.kubeconfig.reset();
  CHECK(load().server == "https://env:6443");  // 2. $KUBECONFIG
  env.vars.erase("KUBECONFIG");
  CHECK(load().source == "in-cluster");  // 3. in a pod
  options.context = "other";
  const auto with_context = load();  // a context asks for a kubeconfig, so in-cluster is skipped
  CHECK(with_context.server == "https://home:6443");
  CHECK(with_context.default_namespace == "o");
  options.context.reset();
  env.vars.erase("KUBERNETES_SERVICE_HOST");
  CHECK(load().server == "https://home:6443");  // 4. ~/.kube/config

  std::filesystem::remove(home / ".kube/config");
  const auto message = config_error_of(load);
  CHECK_THAT(message, Contains("$KUBECONFIG is not set") && Contains("not running in a cluster") &&
                          Contains((home / ".kube/config").string() + " does not exist"));
}
