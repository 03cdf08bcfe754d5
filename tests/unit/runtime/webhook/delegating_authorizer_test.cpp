// DelegatingAuthorizer against a scripted API server (a Transport that answers TokenReview
// and SubjectAccessReview): status codes, the cache, failures not cached, tokens kept out
// of the log.
#include <kopp/client/client.hpp>
#include <kopp/runtime/webhook/delegating_authorizer.hpp>
#include <kopp/testing/run.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include <cstdio>

namespace {

// Tokens: "alice-token" and "bob-token" authenticate as alice and bob; bob may get /metrics;
// "broken-token" makes the API server fail; any other token is not accepted.
class ScriptedApiServer final : public kopp::Transport {
 public:
  explicit ScriptedApiServer(boost::asio::any_io_executor executor, std::shared_ptr<int> requests)
      : executor_(executor), requests_(std::move(requests)) {}

  boost::asio::awaitable<kopp::HttpResponse> send(kopp::HttpRequest request, kopp::Credential) override {
    ++*requests_;
    const auto body = boost::json::parse(request.body).as_object();
    kopp::HttpResponse response;
    response.content_type = "application/json";
    response.status = 201;
    if (request.target.find("/tokenreviews") != std::string::npos) {
      const std::string token(body.at("spec").at("token").as_string());
      if (token == "broken-token") {
        response.status = 500;
        response.body = R"({"kind":"Status","apiVersion":"v1","status":"Failure","code":500,"message":"etcd down"})";
        co_return response;
      }
      boost::json::object status{{"authenticated", false}};
      if (token == "alice-token" || token == "bob-token")
        status = {{"authenticated", true},
                  {"user", {{"username", token.substr(0, token.find('-'))}, {"uid", "u"}, {"groups", {"devs"}}}}};
      auto answer = body;
      answer["status"] = status;
      response.body = boost::json::serialize(answer);
    } else {
      last_access_review = body;
      const auto& spec = body.at("spec").as_object();
      const bool allowed = spec.at("user") == "bob" && spec.at("nonResourceAttributes").at("path") == "/metrics" &&
                           spec.at("nonResourceAttributes").at("verb") == "get";
      auto answer = body;
      answer["status"] = boost::json::object{{"allowed", allowed}};
      response.body = boost::json::serialize(answer);
    }
    co_return response;
  }
  boost::asio::awaitable<std::unique_ptr<kopp::ResponseStream>> open_stream(kopp::HttpRequest,
                                                                            kopp::Credential) override {
    throw std::logic_error("no watches here");
  }
  const std::string& server() const noexcept override { return server_; }
  boost::asio::any_io_executor get_executor() const override { return executor_; }

  boost::json::object last_access_review;

 private:
  boost::asio::any_io_executor executor_;
  std::shared_ptr<int> requests_;
  std::string server_ = "https://scripted.invalid";
};

struct Fixture {
  explicit Fixture(kopp::DelegatingAuthorizerOptions options = {}) {
    auto transport = std::make_unique<ScriptedApiServer>(io.get_executor(), requests);
    api = transport.get();
    kopp::Config config;
    config.server = "https://scripted.invalid";
    config.qps = 0;
    client = std::make_unique<kopp::Client>(std::move(transport), config);
    log_file = std::tmpfile();
    sink = std::make_unique<kopp::LogSink>(log_file, kopp::LogLevel::debug);
    authorizer = std::make_unique<kopp::DelegatingAuthorizer>(*client, options, kopp::Logger(*sink));
  }
  ~Fixture() { std::fclose(log_file); }
  kopp::AuthorizationDecision authorize(std::string header, std::string path = "/metrics") {
    return kopp::testing::run(io, [&]() -> boost::asio::awaitable<kopp::AuthorizationDecision> {
      co_return co_await authorizer->authorize(header, path);
    });
  }
  std::string log() const {
    std::fflush(log_file);
    std::rewind(log_file);
    std::string text;
    char buffer[4096];
    while (std::size_t n = std::fread(buffer, 1, sizeof buffer, log_file)) text.append(buffer, n);
    return text;
  }

  boost::asio::io_context io;
  std::shared_ptr<int> requests = std::make_shared<int>(0);
  ScriptedApiServer* api = nullptr;
  std::unique_ptr<kopp::Client> client;
  std::FILE* log_file = nullptr;
  std::unique_ptr<kopp::LogSink> sink;
  std::unique_ptr<kopp::DelegatingAuthorizer> authorizer;
};

}  // namespace

TEST_CASE("delegating authorizer: 401, 403, 200 from the API server's reviews", "[runtime][webhook]") {
  Fixture f;
  CHECK(f.authorize("").status == 401);
  CHECK(f.authorize("Basic YWxpY2U6cHc=").status == 401);
  CHECK(*f.requests == 0);  // nothing to ask about
  CHECK(f.authorize("Bearer stranger-token").status == 401);
  CHECK(*f.requests == 1);  // the TokenReview said no: no SubjectAccessReview

  const auto alice = f.authorize("Bearer alice-token");
  CHECK(alice.status == 403);
  CHECK(alice.user == "alice");
  CHECK(alice.reason == "user \"alice\" may not get /metrics");
  const auto& spec = f.api->last_access_review.at("spec").as_object();
  CHECK(spec.at("groups") == boost::json::parse(R"(["devs"])"));
  CHECK(spec.at("uid") == "u");

  const auto bob = f.authorize("bearer   bob-token ");  // scheme case and blanks as RFC 7235 allows
  CHECK(bob.status == 200);
  CHECK(bob.user == "bob");
  CHECK(f.authorize("Bearer bob-token", "/debug").status == 403);  // the path is part of the question
}

TEST_CASE("delegating authorizer: decisions are cached, failures are not", "[runtime][webhook]") {
  Fixture f;
  CHECK(f.authorize("Bearer bob-token").status == 200);
  const int after_first = *f.requests;
  CHECK(after_first == 2);
  CHECK(f.authorize("Bearer bob-token").status == 200);
  CHECK(f.authorize("Bearer alice-token").status == 403);
  CHECK(f.authorize("Bearer alice-token").status == 403);
  CHECK(*f.requests == after_first + 2);  // bob's second call and alice's second: from the cache
  CHECK(f.authorizer->reviews() == 2);

  CHECK(f.authorize("Bearer broken-token").status == 500);
  CHECK(f.authorize("Bearer broken-token").status == 500);
  CHECK(f.authorizer->reviews() == 4);  // asked again: an outage is not remembered
  const std::string log = f.log();
  CHECK(log.find("cannot ask the API server") != std::string::npos);
  CHECK(log.find("broken-token") == std::string::npos);  // never the token
  CHECK(log.find("bob-token") == std::string::npos);

  kopp::DelegatingAuthorizerOptions no_cache;
  no_cache.cache_ttl = std::chrono::milliseconds(0);
  Fixture g(no_cache);
  CHECK(g.authorize("Bearer bob-token").status == 200);
  CHECK(g.authorize("Bearer bob-token").status == 200);
  CHECK(g.authorizer->reviews() == 2);
}

TEST_CASE("delegating authorizer: protect() answers only authorized requests", "[runtime][webhook]") {
  Fixture f;
  int served = 0;
  auto handler = f.authorizer->protect([&](const kopp::HttpsRequest&) -> boost::asio::awaitable<kopp::HttpsResponse> {
    ++served;
    co_return kopp::HttpsResponse(200, "metrics");
  });
  auto call = [&](std::string authorization) {
    kopp::HttpsRequest request;
    request.method = "GET";
    request.path = "/metrics";
    if (!authorization.empty()) request.headers["authorization"] = authorization;
    return kopp::testing::run(
        f.io, [&]() -> boost::asio::awaitable<kopp::HttpsResponse> { co_return co_await handler(request); });
  };
  CHECK(call("").status == 401);
  CHECK(call("Bearer alice-token").status == 403);
  CHECK(served == 0);
  const auto ok = call("Bearer bob-token");
  CHECK(ok.status == 200);
  CHECK(ok.body == "metrics");
  CHECK(served == 1);
}
