#include "config_test_support.hpp"

#include <thread>

#include <kopp/client/credentials.hpp>

using Catch::Matchers::Contains;
using namespace kopp_test;
using namespace std::chrono_literals;

TEST_CASE("static_token returns the token and describes itself without it", "[config][credentials]") {
  const auto provider = kopp::static_token("static-secret-value");
  const auto credential = provider->current();
  CHECK(credential.bearer_token == "static-secret-value");
  CHECK_FALSE(credential.expiry);
  CHECK(credential.client_cert_pem.empty());
  CHECK_THAT(provider->describe(), !Contains("static-secret-value"));
}

TEST_CASE("token_file re-reads the token when the file is rewritten", "[config][credentials]") {
  TempDir tmp;
  const auto path = tmp.write("token", "first-token\n");
  const auto provider = kopp::token_file(path);
  CHECK(provider->current().bearer_token == "first-token");
  CHECK(provider->describe() == "token file " + path.string());

  tmp.write("token", "second-token-longer\n");  // size (and mtime) change
  CHECK(provider->current().bearer_token == "second-token-longer");

  SECTION("an atomic rename, as the kubelet rotates projected tokens") {
    tmp.write("token.new", "third-token-value!!\n");  // same size as the previous one
    std::filesystem::rename(tmp / "token.new", path);
    CHECK(provider->current().bearer_token == "third-token-value!!");
  }
  SECTION("a briefly missing file keeps the fresh token") {
    std::filesystem::remove(path);
    CHECK(provider->current().bearer_token == "second-token-longer");
  }
}

TEST_CASE("token_file re-reads after max_age even when nothing seems changed", "[config][credentials]") {
  TempDir tmp;
  const auto path = tmp.write("token", "aaaa");
  const auto stamp = std::filesystem::last_write_time(path);
  const auto provider = kopp::token_file(path, 0ms);
  CHECK(provider->current().bearer_token == "aaaa");
  {
    std::ofstream out(path, std::ios::binary | std::ios::in | std::ios::out);  // same inode, same size
    out << "bbbb";
  }
  std::filesystem::last_write_time(path, stamp);  // and the old mtime
  CHECK(provider->current().bearer_token == "bbbb");
}

TEST_CASE("token_file re-reads after invalidate()", "[config][credentials]") {
  TempDir tmp;
  const auto path = tmp.write("token", "aaaa");
  const auto stamp = std::filesystem::last_write_time(path);
  const auto provider = kopp::token_file(path);
  CHECK(provider->current().bearer_token == "aaaa");
  {
    std::ofstream out(path, std::ios::binary | std::ios::in | std::ios::out);
    out << "cccc";
  }
  std::filesystem::last_write_time(path, stamp);
  CHECK(provider->current().bearer_token == "aaaa");  // looks unchanged, still fresh
  provider->invalidate();
  CHECK(provider->current().bearer_token == "cccc");
}

TEST_CASE("token_file errors name the path and never the token", "[config][credentials][errors]") {
  TempDir tmp;
  SECTION("missing") {
    const auto message = config_error_of([&] { kopp::token_file(tmp / "absent")->current(); });
    CHECK(message == "cannot read token file " + (tmp / "absent").string() + ": No such file or directory");
  }
  SECTION("empty") {
    const auto path = tmp.write("token", " \n");
    const auto message = config_error_of([&] { kopp::token_file(path)->current(); });
    CHECK(message == "token file " + path.string() + " is empty");
  }
  SECTION("gone for longer than max_age") {
    const auto path = tmp.write("token", "will-vanish-token");
    const auto provider = kopp::token_file(path, 0ms);
    CHECK(provider->current().bearer_token == "will-vanish-token");
    std::filesystem::remove(path);
    const auto message = config_error_of([&] { provider->current(); });
    CHECK_THAT(message, Contains(path.string()) && !Contains("will-vanish-token"));
  }
}

TEST_CASE("token_file is safe to use from several threads", "[config][credentials]") {
  TempDir tmp;
  const auto path = tmp.write("token", "t0");
  const auto provider = kopp::token_file(path, 0ms);
  std::vector<std::thread> readers;
  std::atomic<int> bad{0};
  for (int i = 0; i < 4; ++i)
    readers.emplace_back([&] {
      for (int j = 0; j < 200; ++j) {
        const auto token = provider->current().bearer_token;
        if (!token || token->empty() || token->front() != 't') ++bad;
      }
    });
  for (int j = 0; j < 50; ++j) {
    tmp.write("token.new", "t" + std::to_string(j));
    std::filesystem::rename(tmp / "token.new", path);
  }
  for (auto& t : readers) t.join();
  CHECK(bad == 0);
}
