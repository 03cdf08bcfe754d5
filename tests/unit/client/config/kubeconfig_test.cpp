#include "config_test_support.hpp"

#include <kopp/client/kubeconfig.hpp>
#include <kopp/client/detail/pem.hpp>

using kopp::KubeconfigOptions;
using kopp::load_kubeconfig;
using namespace kopp_test;

namespace {

KubeconfigOptions with_env(FakeEnv env) {
  KubeconfigOptions options;
  options.getenv = env.fn();
  return options;
}

std::string merge_list(const std::string& extra_missing) {
  return fixture("merge/a.yaml").string() + ":" + extra_missing + "::" + fixture("merge/b/b.yaml").string() + ":" +
         fixture("merge/c/c.yaml").string();
}

std::string token_of(const kopp::Config& config) {
  REQUIRE(config.credentials);
  auto credential = config.credentials->current();
  REQUIRE(credential.bearer_token);
  return *credential.bearer_token;
}

}  // namespace

TEST_CASE("explicit kubeconfig path: current-context, namespace, CA and client cert from files",
          "[config][kubeconfig]") {
  KubeconfigOptions options = with_env({{{"KUBECONFIG", "/nonexistent/ignored"}}});
  options.path = fixture("basic.yaml");
  const auto config = load_kubeconfig(options);

  CHECK(config.server == "https://127.0.0.1:6443");
  CHECK(config.default_namespace == "team-a");
  CHECK(config.tls_server_name == "kubernetes.default.svc");
  CHECK_FALSE(config.insecure_skip_tls_verify);
  CHECK(config.ca_pem == read_text(fixture("pki/ca.crt")));
  CHECK(config.client_cert_pem == read_text(fixture("pki/client.crt")));
  CHECK(config.client_key_pem == read_text(fixture("pki/client.key")));
  CHECK(config.credentials == nullptr);
  CHECK(config.proxy_url.empty());
  CHECK(config.source == "kubeconfig " + fixture("basic.yaml").string() + " (context dev)");
  CHECK(config.qps == 20.0);
  CHECK(config.burst == 30);
}

TEST_CASE("context override selects another cluster and user; default namespace is 'default'", "[config][kubeconfig]") {
  KubeconfigOptions options;
  options.path = fixture("basic.yaml");
  options.context = "prod";
  const auto config = load_kubeconfig(options);

  CHECK(config.server == "https://remote.example.com:443");  // scheme added like kubectl
  CHECK(config.insecure_skip_tls_verify);
  CHECK(config.ca_pem.empty());
  CHECK(config.proxy_url == "http://proxy.example.com:3128");
  CHECK(config.default_namespace == "default");
  CHECK(token_of(config) == "basic-yaml-viewer-token");
  CHECK(config.client_cert_pem.empty());
  CHECK(config.source.find("(context prod)") != std::string::npos);
}

TEST_CASE("namespace override wins over the context's namespace", "[config][kubeconfig]") {
  KubeconfigOptions options;
  options.path = fixture("basic.yaml");
  options.namespace_override = "override-ns";
  CHECK(load_kubeconfig(options).default_namespace == "override-ns");
}

TEST_CASE("a context without a user is anonymous", "[config][kubeconfig]") {
  KubeconfigOptions options;
  options.path = fixture("basic.yaml");
  options.context = "anonymous";
  const auto config = load_kubeconfig(options);
  CHECK(config.credentials == nullptr);
  CHECK(config.client_cert_pem.empty());
  CHECK_FALSE(config.ca_pem.empty());
}

TEST_CASE("KUBECONFIG list: first file defining a name wins, current-context from the first setter",
          "[config][kubeconfig][merge]") {
  TempDir tmp;
  const auto options =
      with_env({{{"KUBECONFIG", merge_list((tmp / "missing.yaml").string())}, {"HOME", tmp.path().string()}}});
  SECTION("current-context comes from b.yaml (a.yaml sets none; c.yaml's comes later)") {
    const auto config = load_kubeconfig(options);
    CHECK(config.server == "https://only-b.example.com:6443");
    // bob's tokenFile is relative to b.yaml's directory, not the working directory.
    CHECK(token_of(config) == "token-of-bob");
    CHECK(config.source.find(fixture("merge/a.yaml").string() + ":" + fixture("merge/b/b.yaml").string()) !=
          std::string::npos);
  }
  SECTION("ctx-a, cluster 'shared' and user 'alice' all come from a.yaml") {
    auto with_context = options;
    with_context.context = "ctx-a";
    const auto config = load_kubeconfig(with_context);
    CHECK(config.server == "https://a.example.com:6443");
    CHECK(config.default_namespace == "from-a");
    CHECK(token_of(config) == "token-from-a");
  }
  SECTION("entries only in a later file are found; their relative paths use that file's dir") {
    auto with_context = options;
    with_context.context = "ctx-c";
    const auto config = load_kubeconfig(with_context);
    CHECK(config.server == "https://only-c.example.com:6443");
    CHECK(config.default_namespace == "from-c");
    CHECK(config.ca_pem == read_text(fixture("pki/ca.crt")));
    CHECK(config.client_cert_pem == read_text(fixture("pki/client.crt")));
  }
}

TEST_CASE("KUBECONFIG order matters: reversing the list changes the winner", "[config][kubeconfig][merge]") {
  const std::string reversed = fixture("merge/c/c.yaml").string() + ":" + fixture("merge/b/b.yaml").string() + ":" +
                               fixture("merge/a.yaml").string();
  const auto config = load_kubeconfig(with_env({{{"KUBECONFIG", reversed}}}));
  // c.yaml sets current-context ctx-a first; ctx-a is then taken from b.yaml (defined there
  // before a.yaml), and so is cluster only-b.
  CHECK(config.server == "https://only-b.example.com:6443");
  CHECK(config.default_namespace == "from-b");
}

TEST_CASE("without KUBECONFIG, $HOME/.kube/config is used", "[config][kubeconfig]") {
  TempDir home;
  home.write(".kube/config", read_text(fixture("basic.yaml")));
  home.write(".kube/pki/ca.crt", read_text(fixture("pki/ca.crt")));
  home.write(".kube/pki/client.crt", read_text(fixture("pki/client.crt")));
  home.write(".kube/pki/client.key", read_text(fixture("pki/client.key")));
  for (const std::string kubeconfig_value : {"unset", ""}) {
    FakeEnv env{{{"HOME", home.path().string()}}};
    if (kubeconfig_value != "unset") env.vars["KUBECONFIG"] = kubeconfig_value;
    const auto config = load_kubeconfig(with_env(env));
    CHECK(config.server == "https://127.0.0.1:6443");
    CHECK(config.source.find((home / ".kube/config").string()) != std::string::npos);
  }
}

TEST_CASE("embedded -data fields are base64-decoded", "[config][kubeconfig]") {
  using kopp::detail::base64_encode;
  TempDir tmp;
  const auto path = tmp.write("config", R"(apiVersion: v1
kind: Config
current-context: c
clusters:
- name: k
  cluster:
    server: https://10.0.0.1:6443
    certificate-authority-data: )" + base64_encode(read_text(fixture("pki/ca.crt"))) +
                                            R"(
users:
- name: u
  user:
    client-certificate-data: )" + base64_encode(read_text(fixture("pki/client.crt"))) +
                                            R"(
    client-key-data: )" + base64_encode(read_text(fixture("pki/client.key"))) +
                                            R"(
    certificate-authority: ignored-because-data-wins
contexts:
- name: c
  context: {cluster: k, user: u, namespace: embedded}
)");
  KubeconfigOptions options;
  options.path = path;
  const auto config = load_kubeconfig(options);
  CHECK(config.ca_pem == read_text(fixture("pki/ca.crt")));
  CHECK(config.client_cert_pem == read_text(fixture("pki/client.crt")));
  CHECK(config.client_key_pem == read_text(fixture("pki/client.key")));
  CHECK(config.default_namespace == "embedded");
}

TEST_CASE("token wins over tokenFile; tokenFile alone is read relative to the kubeconfig", "[config][kubeconfig]") {
  TempDir tmp;
  tmp.write("sub/tok", "  file-token-value\n");
  const auto path = tmp.write("sub/config", R"(
current-context: c
clusters: [{name: k, cluster: {server: "https://k:6443"}}]
users:
- {name: both, user: {token: inline-token, tokenFile: tok}}
- {name: file, user: {tokenFile: tok}}
contexts:
- {name: c, context: {cluster: k, user: both}}
- {name: f, context: {cluster: k, user: file}}
)");
  KubeconfigOptions options;
  options.path = path;
  CHECK(token_of(load_kubeconfig(options)) == "inline-token");
  options.context = "f";
  const auto config = load_kubeconfig(options);
  CHECK(token_of(config) == "file-token-value");
  CHECK(config.credentials->describe() == "token file " + (tmp / "sub/tok").string());
}

TEST_CASE("insecure-skip-tls-verify is only set when explicitly true", "[config][kubeconfig]") {
  TempDir tmp;
  auto load = [&](const std::string& value) {
    const auto path = tmp.write("config",
                                "current-context: c\nclusters:\n- name: k\n  cluster:\n"
                                "    server: https://k\n" +
                                    (value.empty() ? std::string() : "    insecure-skip-tls-verify: " + value + "\n") +
                                    "contexts: [{name: c, context: {cluster: k}}]\n");
    KubeconfigOptions options;
    options.path = path;
    return load_kubeconfig(options).insecure_skip_tls_verify;
  };
  CHECK(load("true"));
  CHECK_FALSE(load("false"));
  CHECK_FALSE(load(""));
}

TEST_CASE("an empty kubeconfig file in the list is an empty Config", "[config][kubeconfig][merge]") {
  TempDir tmp;
  const auto empty = tmp.write("empty", "");
  const auto config =
      load_kubeconfig(with_env({{{"KUBECONFIG", empty.string() + ":" + fixture("basic.yaml").string()}}}));
  CHECK(config.server == "https://127.0.0.1:6443");
}
