#pragma once

#include <kopp/runtime/webhook/delegating_authorizer.hpp>

#include <kopp/client/dynamic_api.hpp>
#include <kopp/client/error.hpp>

#include <openssl/evp.h>

#include <cctype>

namespace kopp {
namespace delegating_authorizer_detail {

inline std::string sha256_hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("SHA-256 failed");
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < size; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 0xf];
  }
  return out;
}

// The token of "Bearer <token>" (scheme case-insensitive, RFC 7235); "" when absent.
inline std::string_view bearer_token(std::string_view header) {
  constexpr std::string_view scheme = "bearer ";
  if (header.size() <= scheme.size()) return {};
  for (std::size_t i = 0; i < scheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(header[i])) != scheme[i]) return {};
  auto token = header.substr(scheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  return token;
}

inline boost::json::array strings_of(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_array() ? v->get_array() : boost::json::array();
}

}  // namespace delegating_authorizer_detail

KOPP_DECL DelegatingAuthorizer::DelegatingAuthorizer(Client& client, DelegatingAuthorizerOptions options, Logger logger)
    : client_(&client), options_(options), log_(logger.with({{"component", "delegating-authorizer"}})) {}

KOPP_DECL std::size_t DelegatingAuthorizer::reviews() const {
  std::lock_guard lock(mutex_);
  return reviews_;
}

KOPP_DECL boost::asio::awaitable<AuthorizationDecision> DelegatingAuthorizer::authorize(
    std::string_view authorization_header, std::string path, std::string verb) {
  namespace d = delegating_authorizer_detail;
  const std::string token(d::bearer_token(authorization_header));
  if (token.empty()) co_return AuthorizationDecision{401, "a bearer token is required", {}};
  const std::string key = d::sha256_hex(token) + " " + verb + " " + path;
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mutex_);
    if (auto it = cache_.find(key); it != cache_.end() && it->second.expires > now) co_return it->second.decision;
  }
  AuthorizationDecision decision = co_await review(token, path, verb);
  if (decision.status != 500) {
    std::lock_guard lock(mutex_);
    if (cache_.size() >= options_.max_cached) cache_.clear();  // bounded, whatever the callers send
    cache_[key] = Cached{decision, now + options_.cache_ttl};
  }
  co_return decision;
}

KOPP_DECL boost::asio::awaitable<AuthorizationDecision> DelegatingAuthorizer::review(std::string token,
                                                                                     std::string path,
                                                                                     std::string verb) {
  namespace d = delegating_authorizer_detail;
  {
    std::lock_guard lock(mutex_);
    ++reviews_;
  }
  try {
    DynamicApi token_reviews(*client_,
                             ApiResource{"authentication.k8s.io", "v1", "TokenReview", "tokenreviews", false});
    boost::json::object review{
        {"apiVersion", "authentication.k8s.io/v1"}, {"kind", "TokenReview"}, {"spec", {{"token", token}}}};
    const auto answered = co_await token_reviews.create(std::move(review));
    const auto* status = answered.if_contains("status");
    if (status == nullptr || !status->is_object() || !status->get_object().contains("authenticated") ||
        status->get_object().at("authenticated") != true)
      co_return AuthorizationDecision{401, "the token was not accepted by the API server", {}};
    const auto* user_value = status->get_object().if_contains("user");
    const boost::json::object user =
        user_value != nullptr && user_value->is_object() ? user_value->get_object() : boost::json::object();
    const std::string username = user.contains("username") && user.at("username").is_string()
                                     ? std::string(user.at("username").get_string())
                                     : "";

    boost::json::object spec{{"user", username},
                             {"groups", d::strings_of(user, "groups")},
                             {"nonResourceAttributes", {{"path", path}, {"verb", verb}}}};
    if (user.contains("uid")) spec["uid"] = user.at("uid");
    if (const auto* extra = user.if_contains("extra"); extra != nullptr && extra->is_object()) spec["extra"] = *extra;
    DynamicApi access_reviews(
        *client_, ApiResource{"authorization.k8s.io", "v1", "SubjectAccessReview", "subjectaccessreviews", false});
    boost::json::object access{
        {"apiVersion", "authorization.k8s.io/v1"}, {"kind", "SubjectAccessReview"}, {"spec", std::move(spec)}};
    const auto decided = co_await access_reviews.create(std::move(access));
    const auto* access_status = decided.if_contains("status");
    const bool allowed = access_status != nullptr && access_status->is_object() &&
                         access_status->get_object().contains("allowed") &&
                         access_status->get_object().at("allowed") == true;
    if (!allowed)
      co_return AuthorizationDecision{403, "user \"" + username + "\" may not " + verb + " " + path, username};
    co_return AuthorizationDecision{200, "allowed", username};
  } catch (const std::exception& e) {
    // api_error texts name the request, never its body (the token is in the body).
    log_.error("cannot ask the API server whether a request is authorized", {{"error", e.what()}});
  }
  co_return AuthorizationDecision{500, "authorization is unavailable", {}};
}

KOPP_DECL HttpsServer::Handler DelegatingAuthorizer::protect(HttpsServer::Handler handler) {
  return [this, handler = std::move(handler)](const HttpsRequest& request) -> boost::asio::awaitable<HttpsResponse> {
    const AuthorizationDecision decision = co_await authorize(request.header("authorization"), request.path, "get");
    if (decision.status != 200) {
      log_.debug("request refused", {{"path", request.path}, {"status", decision.status}, {"reason", decision.reason}});
      co_return HttpsResponse(decision.status, decision.reason + "\n");
    }
    co_return co_await handler(request);
  };
}

}  // namespace kopp
