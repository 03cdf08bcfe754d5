// A token holding CR or LF would end the Authorization header and write headers of its own:
// every source refuses it with a config error that never prints the token.

#include "config_test_support.hpp"
#include "support/fake_server.hpp"

#include <kopp/client.hpp>
#include <kopp/client/kubeconfig.hpp>

#include <boost/asio/io_context.hpp>

using Catch::Matchers::Contains;
using namespace kopp_test;

namespace {
constexpr const char* evil = "leaky-secret\r\nX-Injected: 1";
}

TEST_CASE("static_token refuses CR, LF and other control characters", "[config][credentials][errors]") {
  for (std::string token :
       {std::string(evil), std::string("abc\ndef"), std::string("abc\rdef"), std::string("abc\0def", 7)}) {
    const auto message = config_error_of([&] { kopp::static_token(token); });
    CHECK_THAT(message, Contains("control character") && !Contains("leaky-secret") && !Contains("abc"));
  }
  CHECK(kopp::static_token("plain.jwt-token_value")->current().bearer_token == "plain.jwt-token_value");
}

TEST_CASE("a token file with CR/LF inside the token is refused naming the file", "[config][credentials][errors]") {
  TempDir tmp;
  const auto path = tmp.write("token", std::string(evil) + "\n");  // trailing newline is trimmed, inner one is not
  const auto provider = kopp::token_file(path);
  const auto message = config_error_of([&] { provider->current(); });
  CHECK_THAT(message, Contains(path.string()) && Contains("control character") && !Contains("leaky-secret"));
}

TEST_CASE("a kubeconfig token with CR/LF is refused naming the user", "[config][kubeconfig][errors]") {
  TempDir tmp;
  const auto path = tmp.write(
      "config",
      "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: k\n  cluster:\n"
      "    server: https://k:6443\nusers:\n- name: u\n  user:\n    token: \"leaky-secret\\r\\nX-Injected: 1\"\n"
      "contexts:\n- name: c\n  context: {cluster: k, user: u}\n");
  kopp::KubeconfigOptions options;
  options.path = path;
  const auto message = config_error_of([&] { kopp::load_kubeconfig(options); });
  CHECK_THAT(message, Contains("user 'u'") && Contains("control character") && !Contains("leaky-secret"));
}

TEST_CASE("the transport never writes a token with CR/LF from a custom provider", "[client][credentials]") {
  struct Evil : kopp::CredentialProvider {
    kopp::Credential current() override { return {std::string(evil), {}, {}, {}}; }
    std::string describe() const override { return "evil test provider"; }
  };
  boost::asio::io_context io;
  FakeServer server(io.get_executor());
  server.script({http_response(200, "{}")});
  kopp::Config config;
  config.server = server.url();
  config.qps = 0;
  config.credentials = std::make_shared<Evil>();
  kopp::Client client(io.get_executor(), config);
  std::exception_ptr failure;
  boost::asio::co_spawn(io, client.send(kopp::HttpRequest()), [&](std::exception_ptr e, kopp::HttpResponse) {
    failure = e;
    server.stop();
  });
  io.run();
  REQUIRE(failure);
  try {
    std::rethrow_exception(failure);
  } catch (const kopp::config_error& e) {
    CHECK_THAT(e.what(), Contains("control character") && !Contains("leaky-secret"));
  }
  CHECK(server.requests().empty());
}
