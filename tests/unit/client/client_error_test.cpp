#include <kopp/client/client.hpp>

#include <catch2/catch.hpp>

TEST_CASE("error responses carry the server's Status and a message naming the request", "[client][error]") {
  kopp::HttpRequest request;
  request.target = "/api/v1/namespaces/default/configmaps/missing?x=1";
  const std::string body = R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",)"
                           R"("message":"configmaps \"missing\" not found","reason":"NotFound",)"
                           R"("details":{"name":"missing","kind":"configmaps"},"code":404})";
  auto e = kopp::Client::error_from_response(request, 404, body);
  CHECK(kopp::is_not_found(e));
  CHECK(e.http_status() == 404);
  REQUIRE(e.status());
  CHECK(e.status()->reason == "NotFound");
  CHECK(e.status()->code == 404);
  CHECK(std::string(e.what()).find("GET /api/v1/namespaces/default/configmaps/missing: 404 NotFound: "
                                   "configmaps \"missing\" not found") != std::string::npos);
}

TEST_CASE("a 429 keeps Retry-After; a non-Status body is quoted", "[client][error]") {
  kopp::HttpRequest request;
  request.target = "/api/v1/pods";
  auto throttled = kopp::Client::error_from_response(
      request, 429, R"({"kind":"Status","reason":"TooManyRequests","code":429})", std::chrono::seconds(3));
  CHECK(kopp::is_too_many_requests(throttled));
  REQUIRE(throttled.retry_after());
  CHECK(*throttled.retry_after() == std::chrono::seconds(3));

  auto proxy = kopp::Client::error_from_response(request, 502, "<html>bad gateway</html>");
  CHECK(proxy.code() == kopp::make_error_code(kopp::errc::server_error));
  CHECK_FALSE(proxy.status());
  CHECK(std::string(proxy.what()).find("bad gateway") != std::string::npos);
}

TEST_CASE("server text in error messages is one escaped, bounded line", "[client][error]") {
  kopp::HttpRequest request;
  request.target = "/api/v1/pods";
  const std::string body =
      "<html>\r\nbad gateway\n2024-01-01 level=error forged log line\x1b[31m\n" + std::string(5000, 'x');
  const std::string message = kopp::Client::error_from_response(request, 502, body).what();
  CHECK(message.find('\n') == std::string::npos);
  CHECK(message.find('\r') == std::string::npos);
  CHECK(message.find('\x1b') == std::string::npos);
  CHECK(message.find("<html>\\r\\nbad gateway\\n") != std::string::npos);
  CHECK(message.find("(" + std::to_string(body.size()) + " bytes)") != std::string::npos);
  CHECK(message.size() < 400);

  const std::string status = R"({"kind":"Status","reason":"BadRequest","code":400,"message":"line one\nline two)" +
                             std::string(3000, 'y') + R"("})";
  const std::string status_message = kopp::Client::error_from_response(request, 400, status).what();
  CHECK(status_message.find('\n') == std::string::npos);
  CHECK(status_message.find("line one\\nline two") != std::string::npos);
  CHECK(status_message.size() < 1200);
}
