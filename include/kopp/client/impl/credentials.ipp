#pragma once

#include <mutex>
#include <string_view>
#include <system_error>
#include <utility>

#include <kopp/client/config_error.hpp>
#include <kopp/client/credentials.hpp>
#include <kopp/client/detail/file.hpp>

namespace kopp {

KOPP_DECL boost::asio::awaitable<Credential> CredentialProvider::async_current() { co_return current(); }

namespace credentials_detail {

// A token goes into an HTTP header: control characters (CR and LF above all) would end it
// and let the token write headers of its own. Empty when the token is usable.
KOPP_DECL std::optional<std::string> token_problem(std::string_view token) {
  for (unsigned char c : token)
    if (c < 0x20 || c == 0x7f)
      return std::string(
          "contains a control character (CR, LF or another) that cannot be sent in an "
          "HTTP header; refusing to use it");
  return std::nullopt;
}

class static_token_provider final : public CredentialProvider {
 public:
  explicit static_token_provider(std::string token) : token_(std::move(token)) {
    if (auto problem = token_problem(token_)) throw config_error("the bearer token " + *problem);
  }
  Credential current() override { return Credential{token_, {}, {}, std::nullopt}; }
  std::string describe() const override { return "static bearer token"; }

 private:
  const std::string token_;
};

class token_file_provider final : public CredentialProvider {
 public:
  token_file_provider(std::filesystem::path path, std::chrono::milliseconds max_age)
      : path_(std::move(path)), max_age_(max_age) {}

  Credential current() override {
    std::lock_guard lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    const auto stamp = detail::file_stamp(path_);
    const bool stale = !token_ || invalidated_ || !stamp || *stamp != stamp_ || now - read_at_ >= max_age_;
    if (stale) reload(now, stamp);
    return Credential{token_, {}, {}, std::nullopt};
  }

  void invalidate() override {
    std::lock_guard lock(mutex_);
    invalidated_ = true;
  }

  std::string describe() const override { return "token file " + path_.string(); }

 private:
  void reload(std::chrono::steady_clock::time_point now, const std::optional<detail::FileStamp>& stamp) {
    std::error_code ec;
    const std::string content = detail::read_file(path_, ec, 1u << 20);
    std::string problem;
    std::string_view token = detail::trim_whitespace(content);
    if (ec)
      problem = "cannot read token file " + path_.string() + ": " + ec.message();
    else if (token.empty())
      problem = "token file " + path_.string() + " is empty";
    else if (auto bad = token_problem(token))
      problem = "the token in token file " + path_.string() + " " + *bad;
    if (!problem.empty()) {
      // A rotation in progress (file briefly missing) should not fail requests while the
      // token we hold is still fresh.
      if (token_ && now - read_at_ < max_age_) return;
      token_.reset();
      throw config_error(problem);
    }
    token_ = std::string(token);
    stamp_ = stamp.value_or(detail::FileStamp{});
    read_at_ = now;
    invalidated_ = false;
  }

  const std::filesystem::path path_;
  const std::chrono::milliseconds max_age_;
  std::mutex mutex_;
  std::optional<std::string> token_;
  detail::FileStamp stamp_;
  std::chrono::steady_clock::time_point read_at_{};
  bool invalidated_ = false;
};

}  // namespace credentials_detail

KOPP_DECL std::shared_ptr<CredentialProvider> static_token(std::string token) {
  return std::make_shared<credentials_detail::static_token_provider>(std::move(token));
}

KOPP_DECL std::shared_ptr<CredentialProvider> token_file(std::filesystem::path path,
                                                         std::chrono::milliseconds max_age) {
  return std::make_shared<credentials_detail::token_file_provider>(std::move(path), max_age);
}

}  // namespace kopp
