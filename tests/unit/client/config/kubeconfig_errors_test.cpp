// Every kubeconfig error names the file, the entry and the problem, and never a secret.

#include "config_test_support.hpp"

#include <kopp/client/kubeconfig.hpp>
#include <kopp/client/detail/pem.hpp>

using Catch::Matchers::Contains;
using kopp::KubeconfigOptions;
using kopp::load_kubeconfig;
using namespace kopp_test;

namespace {

constexpr const char* secret = "sup3r-s3cret-t0ken";

std::string load_error(const std::filesystem::path& path, std::optional<std::string> context = {}) {
  KubeconfigOptions options;
  options.path = path;
  options.context = std::move(context);
  return config_error_of([&] { load_kubeconfig(options); });
}

// A kubeconfig with one context 'c' -> cluster 'k' -> user 'u'.
std::string kubeconfig(const std::string& cluster_body, const std::string& user_body) {
  return "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: k\n  cluster:\n" + cluster_body +
         "users:\n- name: u\n  user:\n" + user_body + "contexts:\n- name: c\n  context: {cluster: k, user: u}\n";
}

const std::string server = "    server: https://k:6443\n";

}  // namespace

TEST_CASE("missing files", "[config][kubeconfig][errors]") {
  TempDir tmp;
  SECTION("an explicit path that does not exist") {
    const auto message = load_error(tmp / "nope.yaml");
    CHECK_THAT(message, Contains((tmp / "nope.yaml").string()) && Contains("does not exist"));
  }
  SECTION("every file in $KUBECONFIG missing") {
    KubeconfigOptions options;
    options.getenv = FakeEnv{{{"KUBECONFIG", (tmp / "x").string() + ":" + (tmp / "y").string()}}}.fn();
    const auto message = config_error_of([&] { load_kubeconfig(options); });
    CHECK_THAT(message, Contains("$KUBECONFIG") && Contains((tmp / "x").string()) && Contains((tmp / "y").string()));
  }
  SECTION("no $KUBECONFIG and no ~/.kube/config") {
    KubeconfigOptions options;
    options.getenv = FakeEnv{{{"HOME", tmp.path().string()}}}.fn();
    const auto message = config_error_of([&] { load_kubeconfig(options); });
    CHECK_THAT(message, Contains((tmp / ".kube/config").string()) && Contains("does not exist"));
  }
  SECTION("an unreadable path (a directory)") {
    const auto message = load_error(tmp.path());
    CHECK_THAT(message, Contains("cannot read kubeconfig " + tmp.path().string()));
  }
}

TEST_CASE("malformed YAML reports line and column", "[config][kubeconfig][errors]") {
  const auto message = load_error(fixture("malformed.yaml"));
  CHECK(message == "kubeconfig " + fixture("malformed.yaml").string() +
                       ": invalid YAML at line 7, column 4: end of map not found");
  TempDir tmp;
  const auto bad = tmp.write("config", "clusters:\n- name: a\n  cluster: {server: x\n");
  CHECK_THAT(load_error(bad), Contains("invalid YAML at line 4, column 1: end of map flow not found"));
}

TEST_CASE("wrong field types name the entry and field", "[config][kubeconfig][errors]") {
  TempDir tmp;
  SECTION("top level is not a mapping") {
    CHECK_THAT(load_error(tmp.write("config", "- a\n- b\n")), Contains("must be a mapping"));
  }
  SECTION("clusters is a mapping") {
    const auto message = load_error(tmp.write("config", "clusters: {a: b}\n"));
    CHECK_THAT(message, Contains("field 'clusters' must be a list") && Contains("line 1"));
  }
  SECTION("server is a list") {
    const auto message = load_error(tmp.write("config", kubeconfig("    server: [a, b]\n", "    {}\n")));
    CHECK_THAT(message, Contains((tmp / "config").string()) && Contains("cluster 'k'") &&
                            Contains("field 'server' must be a string, not a list (line 7)"));
  }
  SECTION("insecure-skip-tls-verify is not a boolean") {
    const auto message =
        load_error(tmp.write("config", kubeconfig(server + "    insecure-skip-tls-verify: maybe\n", "    {}\n")));
    CHECK_THAT(message, Contains("cluster 'k'") && Contains("'insecure-skip-tls-verify' must be true or false") &&
                            Contains("'maybe'"));
  }
  SECTION("an entry without a name") {
    const auto message = load_error(tmp.write("config", "users:\n- user: {token: x}\n"));
    CHECK_THAT(message, Contains("users[0] has no name"));
  }
  SECTION("exec.args is not a list") {
    const auto message = load_error(tmp.write(
        "config",
        kubeconfig(server, "    exec: {apiVersion: client.authentication.k8s.io/v1, command: x, args: 3}\n")));
    CHECK_THAT(message, Contains("user 'u'") && Contains("field 'args' must be a list"));
  }
  SECTION("exec.env entries need a name") {
    const auto message = load_error(tmp.write(
        "config",
        kubeconfig(server,
                   "    exec: {apiVersion: client.authentication.k8s.io/v1, command: x, env: [{value: v}]}\n")));
    CHECK_THAT(message, Contains("user 'u'") && Contains("exec.env[0] has no name"));
  }
}

TEST_CASE("missing context, cluster and user", "[config][kubeconfig][errors]") {
  TempDir tmp;
  SECTION("no current-context") {
    const auto path = tmp.write("config", "clusters: []\n");
    CHECK_THAT(load_error(path), Contains(path.string()) && Contains("no current-context"));
  }
  SECTION("the current-context is not defined") {
    const auto path = tmp.write("config", "current-context: ghost\ncontexts: []\n");
    CHECK_THAT(load_error(path),
               Contains(path.string()) && Contains("context 'ghost' not found") && Contains("current-context"));
  }
  SECTION("the requested context is not defined") {
    CHECK_THAT(load_error(fixture("basic.yaml"), "nope"),
               Contains(fixture("basic.yaml").string()) && Contains("context 'nope' not found"));
  }
  SECTION("the context's cluster is not defined") {
    const auto path = tmp.write("config", "current-context: c\ncontexts: [{name: c, context: {cluster: gone}}]\n");
    CHECK_THAT(load_error(path),
               Contains("context 'c' in " + path.string()) && Contains("cluster 'gone', which is not defined"));
  }
  SECTION("the context's user is not defined") {
    const auto path = tmp.write("config",
                                "current-context: c\nclusters: [{name: k, cluster: {server: s}}]\n"
                                "contexts: [{name: c, context: {cluster: k, user: nobody}}]\n");
    CHECK_THAT(load_error(path),
               Contains("context 'c' in " + path.string()) && Contains("user 'nobody', which is not defined"));
  }
  SECTION("the context names no cluster") {
    const auto path = tmp.write("config", "current-context: c\ncontexts: [{name: c, context: {user: u}}]\n");
    CHECK_THAT(load_error(path), Contains("context 'c'") && Contains("names no cluster"));
  }
  SECTION("the cluster has no server") {
    const auto path = tmp.write("config", kubeconfig("    tls-server-name: x\n", "    {}\n"));
    CHECK_THAT(load_error(path), Contains("cluster 'k' in " + path.string()) && Contains("has no server"));
  }
}

TEST_CASE("certificate problems name the entry, the field and which PEM is bad", "[config][kubeconfig][errors]") {
  TempDir tmp;
  const std::string ca = read_text(fixture("pki/ca.crt"));
  const std::string cert = read_text(fixture("pki/client.crt"));
  const std::string key = read_text(fixture("pki/client.key"));
  tmp.write("ca.crt", ca);
  tmp.write("client.crt", cert);
  tmp.write("client.key", key);
  tmp.write("garbage.pem", "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n");
  const std::string user_certs = "    client-certificate: client.crt\n    client-key: client.key\n";

  SECTION("unreadable CA file, resolved against the kubeconfig's directory") {
    const auto path =
        tmp.write("config", kubeconfig(server + "    certificate-authority: missing-ca.crt\n", user_certs));
    CHECK_THAT(load_error(path),
               Contains("cluster 'k' in " + path.string()) &&
                   Contains("cannot read certificate-authority " + (tmp / "missing-ca.crt").string()));
  }
  SECTION("CA file that is not PEM") {
    tmp.write("text.crt", "hello\n");
    const auto path = tmp.write("config", kubeconfig(server + "    certificate-authority: text.crt\n", user_certs));
    CHECK_THAT(load_error(path), Contains("cluster 'k'") &&
                                     Contains("certificate-authority " + (tmp / "text.crt").string()) &&
                                     Contains("not a valid PEM certificate bundle"));
  }
  SECTION("CA file whose PEM block is corrupt") {
    const auto path = tmp.write("config", kubeconfig(server + "    certificate-authority: garbage.pem\n", user_certs));
    CHECK_THAT(load_error(path), Contains("garbage.pem is not a valid PEM certificate bundle"));
  }
  SECTION("certificate-authority-data that is not base64") {
    const auto path =
        tmp.write("config", kubeconfig(server + "    certificate-authority-data: '%%%not-base64'\n", user_certs));
    CHECK_THAT(load_error(path), Contains("cluster 'k' in " + path.string()) &&
                                     Contains("certificate-authority-data is not valid base64"));
  }
  SECTION("client-key-data that is base64 of something that is not a key") {
    const auto path =
        tmp.write("config", kubeconfig(server, "    client-certificate: client.crt\n    client-key-data: " +
                                                   kopp::detail::base64_encode("not a key") + "\n"));
    CHECK_THAT(load_error(path),
               Contains("user 'u' in " + path.string()) && Contains("client-key-data is not a valid PEM private key"));
  }
  SECTION("a client key that is really a certificate") {
    const auto path =
        tmp.write("config", kubeconfig(server, "    client-certificate: client.crt\n    client-key: client.crt\n"));
    CHECK_THAT(load_error(path), Contains("user 'u'") && Contains("client-key " + (tmp / "client.crt").string()) &&
                                     Contains("not a valid PEM private key"));
  }
  SECTION("a client certificate that is really a key") {
    const auto path =
        tmp.write("config", kubeconfig(server, "    client-certificate: client.key\n    client-key: client.key\n"));
    CHECK_THAT(load_error(path), Contains("client-certificate " + (tmp / "client.key").string()) &&
                                     Contains("not a valid PEM certificate"));
  }
  SECTION("certificate and key that do not match") {
    tmp.write("other.key", read_text(fixture("pki/other.key")));
    const auto path =
        tmp.write("config", kubeconfig(server, "    client-certificate: client.crt\n    client-key: other.key\n"));
    CHECK_THAT(load_error(path), Contains("user 'u'") && Contains("does not match"));
  }
  SECTION("a certificate without a key") {
    const auto path = tmp.write("config", kubeconfig(server, "    client-certificate: client.crt\n"));
    CHECK_THAT(load_error(path), Contains("user 'u'") && Contains("no client-key"));
  }
  SECTION("insecure-skip-tls-verify together with a CA") {
    const auto path = tmp.write("config", kubeconfig(server + "    certificate-authority: ca.crt\n"
                                                              "    insecure-skip-tls-verify: true\n",
                                                     user_certs));
    CHECK_THAT(load_error(path), Contains("cluster 'k' in " + path.string()) &&
                                     Contains("insecure-skip-tls-verify together with certificate-authority"));
  }
}

TEST_CASE("unsupported authentication is named, and the token never appears", "[config][kubeconfig][errors]") {
  TempDir tmp;
  const std::string token_line = std::string("    token: ") + secret + "\n";
  SECTION("auth-provider") {
    const auto path = tmp.write("config", kubeconfig(server, token_line + "    auth-provider:\n      name: gcp\n"
                                                                          "      config: {access-token: abc}\n"));
    const auto message = load_error(path);
    CHECK(message == "user 'u' in " + path.string() +
                         " uses auth-provider 'gcp', which kopp does not support; use an exec plugin");
    CHECK_THAT(message, !Contains(secret));
  }
  SECTION("basic auth") {
    const auto path =
        tmp.write("config", kubeconfig(server, "    username: admin\n    password: " + std::string(secret) + "\n"));
    const auto message = load_error(path);
    CHECK_THAT(message, Contains("user 'u' in " + path.string()) && Contains("username/password") && !Contains(secret));
  }
  SECTION("impersonation") {
    const auto path = tmp.write("config", kubeconfig(server, token_line + "    as: someone\n"));
    const auto message = load_error(path);
    CHECK_THAT(message, Contains("user 'u'") && Contains("impersonation ('as')") && !Contains(secret));
  }
  SECTION("exec together with a token") {
    const auto path = tmp.write(
        "config",
        kubeconfig(server, token_line + "    exec: {apiVersion: client.authentication.k8s.io/v1, command: x}\n"));
    const auto message = load_error(path);
    CHECK_THAT(message, Contains("user 'u'") && Contains("both exec and token") && !Contains(secret));
  }
  SECTION("a bad client key next to a token") {
    const auto path =
        tmp.write("config", kubeconfig(server, token_line + "    client-certificate-data: " +
                                                   kopp::detail::base64_encode(read_text(fixture("pki/client.crt"))) +
                                                   "\n    client-key-data: '" + secret + "'\n"));
    const auto message = load_error(path);
    CHECK_THAT(message, Contains("client-key-data is not valid base64") && !Contains(secret));
  }
  SECTION("a missing token file") {
    const auto path = tmp.write("config", kubeconfig(server, "    tokenFile: gone.token\n"));
    const auto message = load_error(path);
    CHECK_THAT(message, Contains("user 'u' in " + path.string()) && Contains((tmp / "gone.token").string()));
  }
  SECTION("an unsupported exec apiVersion") {
    const auto path = tmp.write(
        "config", kubeconfig(server, "    exec: {apiVersion: client.authentication.k8s.io/v1alpha1, command: aws}\n"));
    CHECK_THAT(load_error(path), Contains("exec plugin 'aws' for user 'u' in kubeconfig " + path.string()) &&
                                     Contains("v1alpha1 is no longer supported"));
  }
  SECTION("exec interactiveMode Always") {
    const auto path = tmp.write(
        "config",
        kubeconfig(server,
                   "    exec: {apiVersion: client.authentication.k8s.io/v1, command: aws, interactiveMode: Always}\n"));
    CHECK_THAT(load_error(path), Contains("user 'u'") && Contains("interactiveMode is Always"));
  }
}
