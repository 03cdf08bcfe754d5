#pragma once
// Who may call an endpoint of the operator, decided by the API server, as controller-runtime
// protects secure metrics (--metrics-secure) and kube-rbac-proxy does: the caller's bearer
// token is checked with a TokenReview (authentication.k8s.io/v1), and the user it names is
// checked with a SubjectAccessReview (authorization.k8s.io/v1) for the verb on the
// request's path (nonResourceAttributes: RBAC's nonResourceURLs, e.g. "get /metrics").
//
// 401 without a bearer token or with one the API server does not accept; 403 when the user
// may not; 500 when the API server cannot be asked (nothing is cached then). Decisions are
// cached for cache_ttl per token, path and verb (by the token's SHA-256, never the token), so
// a scrape every 15 s costs two API calls per cache_ttl, not per scrape. Tokens never reach a
// log or a message.

#include <kopp/core/detail/config.hpp>
#include <kopp/runtime/telemetry/log.hpp>
#include <kopp/runtime/webhook/https_server.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace kopp {

class Client;

struct DelegatingAuthorizerOptions {
  DelegatingAuthorizerOptions() = default;
  std::chrono::milliseconds cache_ttl{10'000};
  std::size_t max_cached = 1024;
};

struct AuthorizationDecision {
  unsigned status = 500;  // 200 allowed, 401, 403, 500
  std::string reason;     // for the answer body and the log (never the token)
  std::string user;       // the authenticated user, when there is one
};

class DelegatingAuthorizer {
 public:
  /// `client` must outlive the authorizer and be allowed to create tokenreviews and
  /// subjectaccessreviews (controller-runtime's metrics-auth ClusterRole).
  explicit DelegatingAuthorizer(Client& client, DelegatingAuthorizerOptions options = DelegatingAuthorizerOptions(),
                                Logger logger = Logger());

  /// The decision for a request with this Authorization header value on `path`.
  boost::asio::awaitable<AuthorizationDecision> authorize(std::string_view authorization_header, std::string path,
                                                          std::string verb = "get");
  /// `handler`, answered only for requests the API server authorizes (verb "get"; 401/403
  /// otherwise).
  HttpsServer::Handler protect(HttpsServer::Handler handler);

  /// API round trips made (TokenReview + SubjectAccessReview pairs), for tests of the cache.
  std::size_t reviews() const;

 private:
  struct Cached {
    AuthorizationDecision decision;
    std::chrono::steady_clock::time_point expires;
  };
  boost::asio::awaitable<AuthorizationDecision> review(std::string token, std::string path, std::string verb);

  Client* client_;
  DelegatingAuthorizerOptions options_;
  Logger log_;
  mutable std::mutex mutex_;
  std::map<std::string, Cached, std::less<>> cache_;
  std::size_t reviews_ = 0;
};

}  // namespace kopp

#if KOPP_HEADER_ONLY
#include <kopp/runtime/webhook/impl/delegating_authorizer.ipp>
#endif
