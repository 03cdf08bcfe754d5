#pragma once

// PEM and base64 checks with OpenSSL, so that a broken CA bundle, client certificate or key
// in a kubeconfig is reported when the configuration is loaded (naming the entry) rather
// than as an opaque TLS handshake failure later. Messages never contain the input bytes:
// a private key must not leak into a log.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

namespace kopp::detail {

struct openssl_deleter {
  void operator()(BIO* p) const noexcept { BIO_free(p); }
  void operator()(X509* p) const noexcept { X509_free(p); }
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
  void operator()(EVP_ENCODE_CTX* p) const noexcept { EVP_ENCODE_CTX_free(p); }
};
template <class T>
using openssl_ptr = std::unique_ptr<T, openssl_deleter>;

// The reason text of the most recent OpenSSL error on this thread ("no start line",
// "bad base64 decode", ...); clears the thread's error queue.
inline std::string take_openssl_error() {
  unsigned long code = ERR_peek_last_error();
  std::string reason;
  if (code != 0) {
    const char* text = ERR_reason_error_string(code);
    reason = text != nullptr ? text : "OpenSSL error " + std::to_string(code);
  }
  ERR_clear_error();
  return reason.empty() ? std::string("unknown OpenSSL error") : reason;
}

inline openssl_ptr<BIO> memory_bio(std::string_view data) {
  return openssl_ptr<BIO>(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

// Standard base64 (RFC 4648 with padding), as Go encodes []byte in YAML and JSON. Line
// breaks and surrounding blanks are tolerated. Returns nullopt on invalid input.
inline std::optional<std::string> base64_decode(std::string_view text) {
  std::string compact;
  compact.reserve(text.size());
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    compact.push_back(c);
  }
  if (compact.empty()) return std::string();
  if (compact.size() % 4 != 0) return std::nullopt;
  const auto padding_start = compact.find('=');
  if (padding_start != std::string::npos &&
      (padding_start < compact.size() - 2 || compact.find_first_not_of('=', padding_start) != std::string::npos))
    return std::nullopt;
  std::string out(compact.size() / 4 * 3, '\0');
  openssl_ptr<EVP_ENCODE_CTX> ctx(EVP_ENCODE_CTX_new());
  if (!ctx) return std::nullopt;
  EVP_DecodeInit(ctx.get());
  int written = 0;
  if (EVP_DecodeUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &written,
                       reinterpret_cast<const unsigned char*>(compact.data()), static_cast<int>(compact.size())) < 0) {
    ERR_clear_error();
    return std::nullopt;
  }
  int tail = 0;
  if (EVP_DecodeFinal(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + written, &tail) < 0) {
    ERR_clear_error();
    return std::nullopt;
  }
  out.resize(static_cast<std::size_t>(written + tail));
  return out;
}

inline std::string base64_encode(std::string_view data) {
  if (data.empty()) return {};
  std::string out((data.size() + 2) / 3 * 4 + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// Checks that `pem` holds at least one X.509 certificate and nothing unparseable after
// it. Returns the problem, or nullopt when the bundle is fine.
inline std::optional<std::string> check_certificate_pem(std::string_view pem) {
  ERR_clear_error();
  if (pem.find("-----BEGIN") == std::string_view::npos)
    return std::string("no PEM data found (expected '-----BEGIN CERTIFICATE-----')");
  auto bio = memory_bio(pem);
  if (!bio) return take_openssl_error();
  int count = 0;
  for (;;) {
    openssl_ptr<X509> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (cert) {
      ++count;
      continue;
    }
    const unsigned long err = ERR_peek_last_error();
    if (count > 0 && ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE) {
      ERR_clear_error();  // clean end of the bundle
      return std::nullopt;
    }
    if (count == 0 && ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE) {
      ERR_clear_error();
      return std::string("no PEM certificate found");
    }
    return "invalid PEM certificate #" + std::to_string(count + 1) + ": " + take_openssl_error();
  }
}

namespace pem_detail {
// Never prompt on a terminal for an encrypted key's passphrase: fail instead.
inline int no_passphrase(char*, int, int, void*) { return -1; }
}  // namespace pem_detail

inline std::optional<std::string> check_private_key_pem(std::string_view pem) {
  ERR_clear_error();
  if (pem.find("-----BEGIN") == std::string_view::npos)
    return std::string("no PEM data found (expected '-----BEGIN ... PRIVATE KEY-----')");
  if (pem.find("ENCRYPTED") != std::string_view::npos)
    return std::string("the private key is encrypted; kopp needs an unencrypted key");
  auto bio = memory_bio(pem);
  if (!bio) return take_openssl_error();
  openssl_ptr<EVP_PKEY> key(PEM_read_bio_PrivateKey(bio.get(), nullptr, &pem_detail::no_passphrase, nullptr));
  if (!key) return "invalid PEM private key: " + take_openssl_error();
  ERR_clear_error();
  return std::nullopt;
}

// Both inputs must already have passed the checks above.
inline std::optional<std::string> check_certificate_matches_key(std::string_view cert_pem, std::string_view key_pem) {
  ERR_clear_error();
  auto cert_bio = memory_bio(cert_pem);
  auto key_bio = memory_bio(key_pem);
  if (!cert_bio || !key_bio) return take_openssl_error();
  openssl_ptr<X509> cert(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  openssl_ptr<EVP_PKEY> key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, &pem_detail::no_passphrase, nullptr));
  if (!cert || !key) return take_openssl_error();
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return std::string("the certificate does not match the private key");
  }
  return std::nullopt;
}

}  // namespace kopp::detail
