// kopp::Client over a Transport of the test's own (the seam in kopp/client/transport.hpp):
// retries, error mapping and streams work the same whatever carries the requests.

#include <kopp/client.hpp>
#include <kopp/testing/run.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <deque>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

kopp::HttpResponse answer(unsigned status, std::string body) {
  kopp::HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  response.content_type = "application/json";
  return response;
}

/// A body handed out in pieces of at most `piece` bytes, as a network would.
class PiecewiseStream final : public kopp::ResponseStream {
 public:
  PiecewiseStream(unsigned status, std::string body, std::size_t piece)
      : ResponseStream(status, "application/json"), body_(std::move(body)), piece_(piece) {}

  boost::asio::awaitable<std::size_t> read_some(std::span<char> buffer) override {
    if (closed_) throw kopp::api_error(boost::asio::error::operation_aborted, "scripted stream closed");
    const std::size_t n = std::min({buffer.size(), piece_, body_.size() - offset_});
    std::memcpy(buffer.data(), body_.data() + offset_, n);
    offset_ += n;
    co_return n;
  }
  void close() noexcept override { closed_ = true; }

 private:
  std::string body_;
  std::size_t piece_;
  std::size_t offset_ = 0;
  bool closed_ = false;
};

/// Answers each request with the next scripted response and remembers the requests.
class ScriptedTransport final : public kopp::Transport {
 public:
  ScriptedTransport(boost::asio::any_io_executor executor, std::deque<kopp::HttpResponse> script,
                    std::vector<kopp::HttpRequest>& seen)
      : executor_(std::move(executor)), script_(std::move(script)), seen_(seen) {}

  boost::asio::awaitable<kopp::HttpResponse> send(kopp::HttpRequest request, kopp::Credential) override {
    co_await boost::asio::post(executor_, boost::asio::use_awaitable);
    seen_.push_back(request);
    if (script_.empty()) throw std::logic_error("the script ran out");
    auto next = std::move(script_.front());
    script_.pop_front();
    co_return next;
  }

  boost::asio::awaitable<std::unique_ptr<kopp::ResponseStream>> open_stream(kopp::HttpRequest request,
                                                                            kopp::Credential credential) override {
    auto whole = co_await send(std::move(request), std::move(credential));
    co_return std::make_unique<PiecewiseStream>(whole.status, std::move(whole.body), 3);
  }

  const std::string& server() const noexcept override { return server_; }
  boost::asio::any_io_executor get_executor() const override { return executor_; }

 private:
  boost::asio::any_io_executor executor_;
  std::deque<kopp::HttpResponse> script_;
  std::vector<kopp::HttpRequest>& seen_;
  std::string server_ = "scripted://test";
};

kopp::Config scripted_config() {
  kopp::Config config;
  config.server = "scripted://test";
  config.qps = 0;  // no client-side rate limit: the test measures nothing
  return config;
}

kopp::ClientOptions fast_retries() {
  kopp::ClientOptions options;
  options.retry_backoff = kopp::BackoffPolicy{std::chrono::milliseconds(1), std::chrono::milliseconds(1), 1.0, 0.0};
  return options;
}

}  // namespace

TEST_CASE("a Client over another transport keeps its retries and error mapping", "[transport_seam]") {
  std::vector<kopp::HttpRequest> seen;
  const auto status = kopp::testing::run([&]() -> boost::asio::awaitable<unsigned> {
    std::deque<kopp::HttpResponse> script;
    script.push_back(answer(503, R"({"kind":"Status","code":503,"reason":"ServiceUnavailable"})"));
    script.push_back(answer(200, R"({"kind":"ConfigMap"})"));
    kopp::Client client(
        std::make_unique<ScriptedTransport>(co_await boost::asio::this_coro::executor, std::move(script), seen),
        scripted_config(), fast_retries());
    kopp::HttpRequest request;
    request.target = "/api/v1/namespaces/default/configmaps/a";
    const kopp::HttpResponse response = co_await client.send(request);
    co_return response.status;
  });
  CHECK(status == 200);  // the GET was retried after the 503, as over HTTP/1.1
  REQUIRE(seen.size() == 2);
  CHECK(seen[1].target == "/api/v1/namespaces/default/configmaps/a");
}

TEST_CASE("a failed stream's Status is read through ResponseStream::read_all and thrown", "[transport_seam]") {
  std::vector<kopp::HttpRequest> seen;
  std::string message;
  std::error_code code;
  try {
    kopp::testing::run([&]() -> boost::asio::awaitable<void> {
      std::deque<kopp::HttpResponse> script;
      script.push_back(answer(
          403, R"({"kind":"Status","status":"Failure","code":403,"reason":"Forbidden","message":"watch is denied"})"));
      kopp::Client client(
          std::make_unique<ScriptedTransport>(co_await boost::asio::this_coro::executor, std::move(script), seen),
          scripted_config());
      kopp::HttpRequest request;
      request.target = "/api/v1/configmaps?watch=true";
      co_await client.stream(request);
    });
  } catch (const kopp::api_error& e) {
    message = e.what();
    code = e.code();
  }
  CHECK(code == kopp::make_error_code(kopp::errc::forbidden));
  CHECK(message.find("watch is denied") != std::string::npos);  // read in 3-byte pieces, whole
  CHECK(seen.size() == 1);                                      // a 403 is not retried
}

TEST_CASE("a Client refuses a null transport", "[transport_seam]") {
  CHECK_THROWS_AS(kopp::Client(std::unique_ptr<kopp::Transport>(), scripted_config()), std::invalid_argument);
}
