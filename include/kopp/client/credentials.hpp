#pragma once

// Credentials that authenticate requests: a static bearer token, a token file that is
// re-read as it rotates (bound service-account tokens), or an exec plugin
// (exec_credential.hpp). The transport asks current() before each request and calls
// invalidate() after a 401.

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include <kopp/core/detail/config.hpp>
#include <kopp/client/config_error.hpp>

namespace kopp {

// What authenticates one request.
struct Credential {
  std::optional<std::string> bearer_token;
  std::string client_cert_pem, client_key_pem;  // empty when none
  std::optional<std::chrono::system_clock::time_point> expiry;
};

// Thread-safe source of the current Credential.
class CredentialProvider {
 public:
  virtual ~CredentialProvider() = default;
  // May block (reads a file, runs an exec plugin); cached. Throws config_error when no
  // credential can be obtained.
  virtual Credential current() = 0;
  // The same without blocking the calling thread on slow work; kopp::Client uses it. The
  // default calls current(). The exec plugin runs on a thread of its own while the
  // caller's executor goes on with other work, and concurrent callers share one run.
  virtual boost::asio::awaitable<Credential> async_current();
  // Called after a 401: the next current() refreshes.
  virtual void invalidate() {}
  // E.g. "exec plugin 'aws' (kubeconfig /x, user foo)"; never contains a secret.
  virtual std::string describe() const = 0;
};

// Throws config_error when the token holds a control character (CR, LF, ...): sent in the
// Authorization header it would end the header and inject others. The message never
// contains the token. The same check applies to token files and exec plugin output.
std::shared_ptr<CredentialProvider> static_token(std::string token);

// Reads the token from `path` (surrounding whitespace trimmed) and re-reads it when the file
// changes (mtime, size or inode), after invalidate(), and at least every `max_age`: bound
// service-account tokens rotate. Errors name the path. The file must be readable when
// current() is first called; afterwards a failed re-read keeps the last good token until
// `max_age` has passed since it was read.
std::shared_ptr<CredentialProvider> token_file(std::filesystem::path path,
                                               std::chrono::milliseconds max_age = std::chrono::seconds(60));

}  // namespace kopp

#if KOPP_HEADER_ONLY
#include <kopp/client/impl/credentials.ipp>
#endif
