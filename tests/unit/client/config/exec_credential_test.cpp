// Exec credential plugins, run for real: a bash script written to a temp dir records its
// arguments, environment and invocation count, and prints an ExecCredential.

#include "config_test_support.hpp"

#include <algorithm>
#include <atomic>
#include <thread>

#include <boost/json/parse.hpp>

#include "support/fake_server.hpp"

#include <kopp/client.hpp>
#include <kopp/client/exec_credential.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <kopp/client/kubeconfig.hpp>
#include <kopp/client/detail/pem.hpp>

using Catch::Matchers::Contains;
using namespace kopp_test;
using namespace std::chrono_literals;

namespace {

constexpr const char* v1 = "client.authentication.k8s.io/v1";
constexpr const char* v1beta1 = "client.authentication.k8s.io/v1beta1";

// MODE: token | cert | fail | badjson | sleep | empty | slow (token after $SLEEP s) | crlf. The reply's apiVersion is the one in
// KUBERNETES_EXEC_INFO unless RETURN_API is set, so a correct reply proves the request
// carried it.
constexpr const char* plugin_script = R"sh(#!/bin/bash
echo run >> "$STATE_DIR/count"
n=$(wc -l < "$STATE_DIR/count")
printf '%s\n' "$@" > "$STATE_DIR/args"
printf '%s' "$KUBERNETES_EXEC_INFO" > "$STATE_DIR/exec_info"
printf '%s' "$GREETING" > "$STATE_DIR/greeting"
api=$(printf '%s' "$KUBERNETES_EXEC_INFO" | sed -E 's/.*"apiVersion":"([^"]*)".*/\1/')
api=${RETURN_API:-$api}
expiry=""
if [ -n "$EXPIRY" ]; then expiry=",\"expirationTimestamp\":\"$EXPIRY\""; fi
pem() { awk '{printf "%s\\n", $0}' "$1"; }
case "$MODE" in
  token) printf '{"apiVersion":"%s","kind":"ExecCredential","status":{"token":"token-%s"%s}}' "$api" "$n" "$expiry" ;;
  cert) printf '{"apiVersion":"%s","kind":"ExecCredential","status":{"clientCertificateData":"%s","clientKeyData":"%s"%s}}' \
          "$api" "$(pem "$CERT_FILE")" "$(pem "$KEY_FILE")" "$expiry" ;;
  fail) echo "starting" >&2; echo "error: access denied for profile prod" >&2; exit 3 ;;
  badjson) printf '{"apiVersion":"%s","kind":"ExecCredential","status":{"token":"leaky-secret-token"' "$api" ;;
  sleep) exec sleep 30 ;;
  slow) sleep "$SLEEP"; printf '{"apiVersion":"%s","kind":"ExecCredential","status":{"token":"token-%s"}}' "$api" "$n" ;;
  crlf) printf '{"apiVersion":"%s","kind":"ExecCredential","status":{"token":"leaky-secret-token\\r\\nX-Injected: 1"}}' "$api" ;;
  empty) printf '{"apiVersion":"%s","kind":"ExecCredential","status":{}}' "$api" ;;
esac
)sh";

struct Plugin {
  TempDir dir;
  std::filesystem::path script = dir.write_executable("bin/plugin.sh", plugin_script);
  std::filesystem::path state = (dir.write("state/.keep", ""), dir / "state");

  int runs() const {
    std::error_code ec;
    const auto text = kopp::detail::read_file(state / "count", ec);
    return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
  }
  std::string recorded(const std::string& name) const { return read_text(state / name); }

  kopp::ExecConfig config(const std::string& mode, const char* api = v1) const {
    kopp::ExecConfig exec;
    exec.api_version = api;
    exec.command = script.string();
    exec.env = {{"STATE_DIR", state.string()}, {"MODE", mode}};
    return exec;
  }
};

struct FakeClock {
  std::chrono::system_clock::time_point now;
  std::function<std::chrono::system_clock::time_point()> fn() {
    return [this] { return now; };
  }
};

std::chrono::system_clock::time_point utc(int y, unsigned m, unsigned d, int hh, int mm, int ss) {
  return std::chrono::sys_days(std::chrono::year(y) / std::chrono::month(m) / std::chrono::day(d)) +
         std::chrono::hours(hh) + std::chrono::minutes(mm) + std::chrono::seconds(ss);
}

}  // namespace

TEST_CASE("exec plugin from a kubeconfig: v1 request, args, env, cluster info, caching, invalidate", "[config][exec]") {
  Plugin plugin;
  const std::string ca = read_text(fixture("pki/ca.crt"));
  const auto kubeconfig = plugin.dir.write("config", R"(apiVersion: v1
kind: Config
current-context: c
clusters:
- name: k
  cluster:
    server: https://k.example:6443
    tls-server-name: api.k.example
    certificate-authority-data: )" + kopp::detail::base64_encode(ca) +
                                                         R"(
    extensions:
    - name: client.authentication.k8s.io/exec
      extension: {audience: kopp-test, count: 3}
users:
- name: plugin-user
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: ./bin/plugin.sh
      args: [--region, eu-west-1, "two words"]
      env:
      - {name: STATE_DIR, value: ")" + plugin.state.string() +
                                                         R"("}
      - {name: MODE, value: token}
      - {name: GREETING, value: hello from kubeconfig}
      interactiveMode: Never
      provideClusterInfo: true
contexts:
- {name: c, context: {cluster: k, user: plugin-user}}
)");
  kopp::KubeconfigOptions options;
  options.path = kubeconfig;
  const auto config = kopp::load_kubeconfig(options);
  REQUIRE(config.credentials);
  CHECK(plugin.runs() == 0);  // run lazily, like kubectl
  CHECK(config.credentials->describe() ==
        "exec plugin './bin/plugin.sh' (kubeconfig " + kubeconfig.string() + ", user plugin-user)");

  auto credential = config.credentials->current();
  CHECK(credential.bearer_token == "token-1");
  CHECK_FALSE(credential.expiry);
  CHECK(credential.client_cert_pem.empty());
  CHECK(plugin.recorded("args") == "--region\neu-west-1\ntwo words\n");
  CHECK(plugin.recorded("greeting") == "hello from kubeconfig");

  const auto info = boost::json::parse(plugin.recorded("exec_info")).as_object();
  CHECK(info.at("apiVersion").as_string() == v1);
  CHECK(info.at("kind").as_string() == "ExecCredential");
  const auto& spec = info.at("spec").as_object();
  CHECK(spec.at("interactive").as_bool() == false);
  const auto& cluster = spec.at("cluster").as_object();
  CHECK(cluster.at("server").as_string() == "https://k.example:6443");
  CHECK(cluster.at("tls-server-name").as_string() == "api.k.example");
  CHECK(cluster.at("certificate-authority-data").as_string() == kopp::detail::base64_encode(ca));
  CHECK(cluster.at("config").at("audience").as_string() == "kopp-test");
  CHECK(cluster.at("config").at("count").as_int64() == 3);

  // No expiry: cached until invalidated.
  CHECK(config.credentials->current().bearer_token == "token-1");
  CHECK(plugin.runs() == 1);
  config.credentials->invalidate();
  CHECK(config.credentials->current().bearer_token == "token-2");
  CHECK(config.credentials->current().bearer_token == "token-2");
  CHECK(plugin.runs() == 2);
}

TEST_CASE("exec plugin v1beta1 without cluster info; command found through PATH", "[config][exec]") {
  Plugin plugin;
  auto exec = plugin.config("token", v1beta1);
  exec.command = "bash";  // looked up in $PATH
  exec.args = {plugin.script.string()};
  kopp::ExecPluginOptions options;
  options.cluster = kopp::ExecClusterInfo{"https://k:6443", "", false, "", "", std::nullopt};
  const auto provider = kopp::exec_plugin(exec, options);
  CHECK(provider->current().bearer_token == "token-1");
  const auto info = boost::json::parse(plugin.recorded("exec_info")).as_object();
  CHECK(info.at("apiVersion").as_string() == v1beta1);
  CHECK_FALSE(info.at("spec").as_object().contains("cluster"));  // provideClusterInfo not set
}

TEST_CASE("exec plugin returning a client certificate", "[config][exec]") {
  Plugin plugin;
  auto exec = plugin.config("cert");
  exec.env.push_back({"CERT_FILE", fixture("pki/client.crt").string()});
  exec.env.push_back({"KEY_FILE", fixture("pki/client.key").string()});
  const auto credential = kopp::exec_plugin(exec)->current();
  CHECK_FALSE(credential.bearer_token);
  CHECK(credential.client_cert_pem == read_text(fixture("pki/client.crt")));
  CHECK(credential.client_key_pem == read_text(fixture("pki/client.key")));

  SECTION("a key that does not match is rejected") {
    Plugin other;
    auto bad = other.config("cert");
    bad.env.push_back({"CERT_FILE", fixture("pki/client.crt").string()});
    bad.env.push_back({"KEY_FILE", fixture("pki/other.key").string()});
    const auto message = config_error_of([&] { kopp::exec_plugin(bad)->current(); });
    CHECK_THAT(message, Contains("do not match") && !Contains("PRIVATE KEY"));
  }
}

TEST_CASE("exec credential cached until shortly before expirationTimestamp", "[config][exec]") {
  Plugin plugin;
  auto exec = plugin.config("token");
  exec.env.push_back({"EXPIRY", "2030-01-01T00:00:00Z"});
  FakeClock clock{utc(2029, 12, 31, 23, 0, 0)};
  kopp::ExecPluginOptions options;
  options.clock = clock.fn();
  const auto provider = kopp::exec_plugin(exec, options);

  const auto first = provider->current();
  CHECK(first.bearer_token == "token-1");
  REQUIRE(first.expiry);
  CHECK(*first.expiry == utc(2030, 1, 1, 0, 0, 0));

  clock.now = utc(2029, 12, 31, 23, 59, 0);  // 60 s before expiry: still fresh
  CHECK(provider->current().bearer_token == "token-1");
  CHECK(plugin.runs() == 1);

  clock.now = utc(2029, 12, 31, 23, 59, 45);  // within the 30 s margin: refresh
  CHECK(provider->current().bearer_token == "token-2");
  CHECK(plugin.runs() == 2);

  clock.now = utc(2030, 1, 1, 0, 0, 1);  // expired
  CHECK(provider->current().bearer_token == "token-3");

  provider->invalidate();  // after a 401
  CHECK(provider->current().bearer_token == "token-4");
  CHECK(plugin.runs() == 4);
}

TEST_CASE("an already expired exec credential is re-obtained on every call", "[config][exec]") {
  Plugin plugin;
  auto exec = plugin.config("token");
  exec.env.push_back({"EXPIRY", "2001-02-03T04:05:06.789+01:00"});
  const auto provider = kopp::exec_plugin(exec);
  const auto credential = provider->current();
  REQUIRE(credential.expiry);
  CHECK(*credential.expiry == utc(2001, 2, 3, 3, 5, 6) + 789ms);
  CHECK(provider->current().bearer_token == "token-2");
  CHECK(plugin.runs() == 2);
}

TEST_CASE("exec plugin failures name the command and the kubeconfig user, never the token", "[config][exec][errors]") {
  Plugin plugin;
  kopp::ExecPluginOptions options;
  options.user = "deployer";
  options.kubeconfig = "/home/dev/.kube/config";
  const std::string where =
      "exec plugin '" + plugin.script.string() + "' for user 'deployer' in kubeconfig /home/dev/.kube/config: ";

  SECTION("non-zero exit: exit code and stderr tail") {
    const auto message = config_error_of([&] { kopp::exec_plugin(plugin.config("fail"), options)->current(); });
    CHECK(message == where + "exited with code 3; stderr: starting\nerror: access denied for profile prod");
  }
  SECTION("missing command: the installHint is shown") {
    auto exec = plugin.config("token");
    exec.command = "kopp-test-no-such-credential-plugin";
    exec.install_hint = "Install it with: brew install kopp-test-plugin";
    const auto message = config_error_of([&] { kopp::exec_plugin(exec, options)->current(); });
    CHECK_THAT(message, Contains("exec plugin 'kopp-test-no-such-credential-plugin' for user 'deployer'") &&
                            Contains("not found in $PATH") &&
                            Contains("Install it with: brew install kopp-test-plugin"));
  }
  SECTION("invalid JSON on stdout") {
    const auto message = config_error_of([&] { kopp::exec_plugin(plugin.config("badjson"), options)->current(); });
    CHECK_THAT(message, Contains(where + "printed invalid JSON") && !Contains("leaky-secret-token"));
  }
  SECTION("apiVersion mismatch") {
    auto exec = plugin.config("token");
    exec.env.push_back({"RETURN_API", v1beta1});
    const auto message = config_error_of([&] { kopp::exec_plugin(exec, options)->current(); });
    CHECK(message == where + "returned another apiVersion than the kubeconfig's exec.apiVersion '" + v1 + "'");
    CHECK_THAT(message, !Contains("token-1"));
  }
  SECTION("a secret in apiVersion is not quoted (found by tests/fuzz)") {
    auto exec = plugin.config("token");
    exec.env.push_back({"RETURN_API", "leaky-secret-token"});
    const auto message = config_error_of([&] { kopp::exec_plugin(exec, options)->current(); });
    CHECK_THAT(message, Contains("another apiVersion") && !Contains("leaky-secret-token"));
  }
  SECTION("neither token nor certificate") {
    const auto message = config_error_of([&] { kopp::exec_plugin(plugin.config("empty"), options)->current(); });
    CHECK_THAT(message, Contains(where) && Contains("neither status.token nor"));
  }
  SECTION("timeout kills the plugin") {
    options.timeout = 300ms;
    const auto started = std::chrono::steady_clock::now();
    const auto message = config_error_of([&] { kopp::exec_plugin(plugin.config("sleep"), options)->current(); });
    CHECK(std::chrono::steady_clock::now() - started < 10s);
    CHECK(message == where + "did not finish within 300 ms and was killed");
  }
  SECTION("a failure is not cached: a later call runs the plugin again") {
    const auto provider = kopp::exec_plugin(plugin.config("fail"), options);
    config_error_of([&] { provider->current(); });
    config_error_of([&] { provider->current(); });
    CHECK(plugin.runs() == 2);
  }
}

TEST_CASE("exec configuration errors are reported when the provider is made", "[config][exec][errors]") {
  kopp::ExecConfig exec;
  exec.api_version = v1;
  CHECK_THAT(config_error_of([&] { kopp::exec_plugin(exec); }), Contains("exec.command is empty"));
  exec.command = "aws";
  exec.api_version = "client.authentication.k8s.io/v2";
  CHECK_THAT(
      config_error_of([&] { kopp::exec_plugin(exec); }),
      Contains("exec plugin 'aws'") && Contains("apiVersion 'client.authentication.k8s.io/v2' is not supported"));
  exec.api_version = v1;
  exec.interactive_mode = "Sometimes";
  CHECK_THAT(config_error_of([&] { kopp::exec_plugin(exec); }), Contains("interactiveMode 'Sometimes' is invalid"));
}

TEST_CASE("an expirationTimestamp past 2262 caches the credential instead of wrapping", "[config][exec]") {
  for (const char* expiry : {"3000-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2262-04-12T00:00:00Z"}) {
    INFO(expiry);
    Plugin plugin;
    auto exec = plugin.config("token");
    exec.env.push_back({"EXPIRY", expiry});
    const auto provider = kopp::exec_plugin(exec);
    const auto first = provider->current();
    REQUIRE(first.expiry);
    CHECK(*first.expiry > std::chrono::system_clock::now() + std::chrono::hours(24 * 365 * 200));
    CHECK(provider->current().bearer_token == "token-1");
    CHECK(provider->current().bearer_token == "token-1");
    CHECK(plugin.runs() == 1);
  }
}

TEST_CASE("an expirationTimestamp before 1677 is expired, not an overflow", "[config][exec]") {
  Plugin plugin;
  auto exec = plugin.config("token");
  exec.env.push_back({"EXPIRY", "0001-01-01T00:00:00Z"});
  const auto provider = kopp::exec_plugin(exec);
  const auto first = provider->current();
  REQUIRE(first.expiry);
  CHECK(*first.expiry == std::chrono::system_clock::time_point{});
  CHECK(provider->current().bearer_token == "token-2");
}

TEST_CASE("an exec plugin token with CR/LF is refused without printing it", "[config][exec][errors]") {
  Plugin plugin;
  const auto provider = kopp::exec_plugin(plugin.config("crlf"));
  const auto message = config_error_of([&] { provider->current(); });
  CHECK_THAT(message, Contains("status.token") && Contains("control character") && !Contains("leaky-secret-token"));
}

TEST_CASE("a slow exec plugin does not stall the io thread; concurrent requests share one run",
          "[config][exec][async]") {
  Plugin plugin;
  auto exec = plugin.config("slow");
  exec.env.push_back({"SLEEP", "1"});
  boost::asio::io_context io;
  FakeServer server(io.get_executor());
  const std::string cm = R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","namespace":"ns"}})";
  server.script({http_response(200, cm)});
  server.script({http_response(200, cm)});
  kopp::Config config;
  config.server = server.url();
  config.qps = 0;
  config.credentials = kopp::exec_plugin(exec);
  kopp::Client client(io.get_executor(), config);
  int ticks = 0;
  int done = 0;
  std::exception_ptr failure;
  auto request = [&]() -> boost::asio::awaitable<void> {
    kopp::HttpRequest get;
    get.target = "/api/v1/namespaces/ns/configmaps/a";
    co_await client.send(get);
  };
  auto finished = [&](std::exception_ptr e) {
    if (e) failure = e;
    if (++done == 2) server.stop();
  };
  boost::asio::co_spawn(io, request(), finished);
  boost::asio::co_spawn(io, request(), finished);
  auto ticker = [&]() -> boost::asio::awaitable<void> {
    boost::asio::steady_timer timer(io.get_executor());
    while (done < 2) {
      timer.expires_after(50ms);
      co_await timer.async_wait(boost::asio::use_awaitable);
      ++ticks;
    }
  };
  boost::asio::co_spawn(io, ticker(), boost::asio::detached);
  const auto start = std::chrono::steady_clock::now();
  io.run();
  if (failure) std::rethrow_exception(failure);
  CHECK(std::chrono::steady_clock::now() - start >= 1s);
  CHECK(ticks >= 10);  // the timer kept firing while the plugin slept for a second
  CHECK(plugin.runs() == 1);
  REQUIRE(server.requests().size() == 2);
  CHECK(server.requests()[0].authorization == "Bearer token-1");
  CHECK(server.requests()[1].authorization == "Bearer token-1");
}

namespace {
// A coroutine function, not a lambda: its parameters live in the frame for the whole wait.
boost::asio::awaitable<void> wait_for_credential(std::shared_ptr<kopp::CredentialProvider> provider,
                                                 std::atomic<int>* resumed, std::atomic<int>* wrong) {
  const auto credential = co_await provider->async_current();
  if (credential.bearer_token != "token-1") ++*wrong;
  ++*resumed;
}
}  // namespace

TEST_CASE("async_current on a multi-threaded io_context: every waiter resumes, one run", "[config][exec][async]") {
  Plugin plugin;
  auto exec = plugin.config("slow");
  exec.env.push_back({"SLEEP", "0.3"});
  const auto provider = kopp::exec_plugin(exec);
  boost::asio::io_context io(2);
  std::atomic<int> resumed{0};
  std::atomic<int> wrong{0};
  for (int i = 0; i < 8; ++i)
    boost::asio::co_spawn(io, wait_for_credential(provider, &resumed, &wrong), boost::asio::detached);
  std::thread second([&] { io.run(); });
  io.run();
  second.join();
  CHECK(resumed == 8);
  CHECK(wrong == 0);
  CHECK(plugin.runs() == 1);
}
