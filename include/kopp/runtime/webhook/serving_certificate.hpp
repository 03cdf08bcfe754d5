#pragma once
// The certificate a TLS server (the webhook server, secure metrics) presents, and where it
// comes from: a directory that cert-manager or a Secret volume fills (tls.crt, tls.key,
// the kubebuilder convention), reloaded when the files change, so a rotated certificate
// is served without a restart; or, for local development and tests, a self-signed CA and
// serving certificate generated in memory at start-up, whose CA bundle goes into the
// webhook configurations (caBundle).
//
// Errors name the file and what is wrong with it, never its bytes (a private key must not
// reach a log). A reload that fails (a half-written file during a rotation) keeps serving
// the previous certificate and is logged; the next change is picked up.

#include <kopp/core/detail/config.hpp>
#include <kopp/runtime/telemetry/log.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace boost::asio::ssl {
class context;
}

namespace kopp {

/// PEM texts of a CA, a serving certificate it signed and the certificate's private key.
struct CertificateBundle {
  std::string ca_pem;
  std::string certificate_pem;
  std::string private_key_pem;
};

/// A new CA and a serving certificate signed by it (ECDSA P-256, SHA-256), valid from an
/// hour ago for `validity`. `hosts` are the certificate's subject alternative names: IP
/// addresses ("127.0.0.1", "::1") become IP SANs, anything else DNS SANs (for a webhook
/// behind a Service: "<service>.<namespace>.svc"). Throws std::invalid_argument for an
/// empty or malformed host list, std::runtime_error when OpenSSL fails.
[[nodiscard]] CertificateBundle make_self_signed_certificate(const std::vector<std::string>& hosts,
                                                             std::chrono::hours validity = std::chrono::hours(24 *
                                                                                                              365));

/// Writes `bundle` to `directory` as tls.crt, tls.key (mode 0600) and ca.crt, each file
/// replaced atomically (written beside it, then renamed), so a server reading the
/// directory never sees half a file. Creates the directory. Throws std::runtime_error
/// naming the file on failure.
void write_certificate_directory(const CertificateBundle& bundle, const std::filesystem::path& directory);

/// A TLS server's certificate and key as an OpenSSL context (TLS 1.2 and 1.3 only).
class ServingCertificate {
 public:
  /// Fixed PEM texts (a generated bundle). Throws std::invalid_argument naming which of
  /// the two is malformed, or when they do not belong together.
  static std::shared_ptr<ServingCertificate> from_pem(const std::string& certificate_pem,
                                                      const std::string& private_key_pem);
  /// `directory`/`certificate_file` and `directory`/`key_file`, read now (throws
  /// std::invalid_argument naming the file when it is missing or malformed) and again
  /// whenever a file's modification time, size or inode changes (checked at most once per
  /// `check_period`, when a connection asks for the context).
  static std::shared_ptr<ServingCertificate> from_directory(
      std::filesystem::path directory, std::string certificate_file = "tls.crt", std::string key_file = "tls.key",
      Logger logger = Logger(), std::chrono::milliseconds check_period = std::chrono::milliseconds(1000));

  /// The context to handshake a new connection with (the newest good certificate).
  /// Thread-safe. Connections keep the context they started with.
  std::shared_ptr<boost::asio::ssl::context> context();
  /// How many times a changed certificate was loaded since construction.
  std::size_t reloads() const;

 private:
  ServingCertificate() = default;
  void load_from_files();  // throws
  // The two files' stamps (client/detail/file.hpp: mtime, size, inode), "" when missing.
  std::string stamps() const;

  mutable std::mutex mutex_;
  std::shared_ptr<boost::asio::ssl::context> context_;
  std::filesystem::path certificate_path_;
  std::filesystem::path key_path_;
  std::string loaded_stamps_;
  std::chrono::milliseconds check_period_{1000};
  std::chrono::steady_clock::time_point next_check_;
  std::size_t reloads_ = 0;
  Logger log_;
};

}  // namespace kopp

#if KOPP_HEADER_ONLY
#include <kopp/runtime/webhook/impl/serving_certificate.ipp>
#endif
