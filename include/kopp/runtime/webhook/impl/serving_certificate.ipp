#pragma once

#include <kopp/runtime/webhook/serving_certificate.hpp>

#include <kopp/client/detail/file.hpp>
#include <kopp/client/detail/pem.hpp>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/context.hpp>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <system_error>

namespace kopp {
namespace serving_certificate_detail {

struct x509_name_deleter {
  void operator()(X509_NAME* p) const noexcept { X509_NAME_free(p); }
  void operator()(X509_EXTENSION* p) const noexcept { X509_EXTENSION_free(p); }
  void operator()(BIGNUM* p) const noexcept { BN_free(p); }
};

[[noreturn]] inline void fail(const std::string& what) {
  throw std::runtime_error("generating a self-signed certificate: " + what + ": " + detail::take_openssl_error());
}

inline detail::openssl_ptr<EVP_PKEY> new_p256_key() {
  detail::openssl_ptr<EVP_PKEY> key(EVP_EC_gen("P-256"));
  if (!key) fail("EC key generation");
  return key;
}

inline void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  std::unique_ptr<X509_EXTENSION, x509_name_deleter> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) fail("certificate extension " + std::string(OBJ_nid2sn(nid)));
}

inline detail::openssl_ptr<X509> new_certificate(const std::string& common_name, EVP_PKEY* key,
                                                 std::chrono::hours validity) {
  detail::openssl_ptr<X509> cert(X509_new());
  if (!cert || X509_set_version(cert.get(), 2) != 1) fail("X509_new");
  // A random 159-bit serial (positive, as RFC 5280 asks), so reissued certificates differ.
  unsigned char serial[20];
  if (RAND_bytes(serial, sizeof serial) != 1) fail("RAND_bytes");
  serial[0] &= 0x7f;
  std::unique_ptr<BIGNUM, x509_name_deleter> bn(BN_bin2bn(serial, sizeof serial, nullptr));
  if (!bn || !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get()))) fail("serial number");
  // Valid from an hour ago: a clock a little behind ours still accepts it.
  if (!X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) ||
      !X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(validity.count()) * 3600))
    fail("validity period");
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(common_name.c_str()),
                                 -1, -1, 0) != 1)
    fail("subject name");
  if (X509_set_pubkey(cert.get(), key) != 1) fail("public key");
  return cert;
}

inline std::string to_pem(X509* cert) {
  auto bio = detail::openssl_ptr<BIO>(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) fail("PEM encoding of a certificate");
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

inline std::string to_pem(EVP_PKEY* key) {
  auto bio = detail::openssl_ptr<BIO>(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
    fail("PEM encoding of a private key");
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

inline std::shared_ptr<boost::asio::ssl::context> make_context(const std::string& certificate_pem,
                                                               const std::string& key_pem) {
  namespace ssl = boost::asio::ssl;
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                       ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
  boost::system::error_code ec;
  context->use_certificate_chain(boost::asio::buffer(certificate_pem), ec);
  if (ec) throw std::invalid_argument("the certificate cannot be used: " + ec.message());
  context->use_private_key(boost::asio::buffer(key_pem), ssl::context::pem, ec);
  if (ec) throw std::invalid_argument("the private key cannot be used: " + ec.message());
  return context;
}

inline void check_pair(const std::string& certificate_pem, const std::string& key_pem,
                       const std::string& certificate_what, const std::string& key_what) {
  if (auto problem = detail::check_certificate_pem(certificate_pem))
    throw std::invalid_argument(certificate_what + ": " + *problem);
  if (auto problem = detail::check_private_key_pem(key_pem)) throw std::invalid_argument(key_what + ": " + *problem);
  if (auto problem = detail::check_certificate_matches_key(certificate_pem, key_pem))
    throw std::invalid_argument(certificate_what + " and " + key_what + ": " + *problem);
}

inline void write_atomically(const std::filesystem::path& path, const std::string& content, bool secret) {
  const std::filesystem::path temporary = path.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + temporary.string());
    if (secret)
      std::filesystem::permissions(temporary, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                                   std::filesystem::perm_options::replace);
    out << content;
    out.flush();
    if (!out) throw std::runtime_error("cannot write " + temporary.string());
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec)
    throw std::runtime_error("cannot rename " + temporary.string() + " to " + path.string() + ": " + ec.message());
}

}  // namespace serving_certificate_detail

KOPP_DECL CertificateBundle make_self_signed_certificate(const std::vector<std::string>& hosts,
                                                         std::chrono::hours validity) {
  namespace d = serving_certificate_detail;
  if (hosts.empty()) throw std::invalid_argument("a serving certificate needs at least one host name or IP address");
  std::string alt_names;
  for (const auto& host : hosts) {
    if (host.empty() || host.find_first_of(", \t\n") != std::string::npos)
      throw std::invalid_argument("invalid host for a certificate: '" + host + "'");
    boost::system::error_code not_ip;
    boost::asio::ip::make_address(host, not_ip);
    alt_names += (alt_names.empty() ? "" : ",") + std::string(not_ip ? "DNS:" : "IP:") + host;
  }
  ERR_clear_error();
  auto ca_key = d::new_p256_key();
  auto ca = d::new_certificate("kopp self-signed CA", ca_key.get(), validity);
  if (X509_set_issuer_name(ca.get(), X509_get_subject_name(ca.get())) != 1) d::fail("issuer name");
  d::add_extension(ca.get(), ca.get(), NID_basic_constraints, "critical,CA:TRUE");
  d::add_extension(ca.get(), ca.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  d::add_extension(ca.get(), ca.get(), NID_subject_key_identifier, "hash");
  if (X509_sign(ca.get(), ca_key.get(), EVP_sha256()) == 0) d::fail("signing the CA");

  auto key = d::new_p256_key();
  auto cert = d::new_certificate(hosts.front(), key.get(), validity);
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(ca.get())) != 1) d::fail("issuer name");
  d::add_extension(cert.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE");
  d::add_extension(cert.get(), ca.get(), NID_key_usage, "critical,digitalSignature,keyEncipherment");
  d::add_extension(cert.get(), ca.get(), NID_ext_key_usage, "serverAuth");
  d::add_extension(cert.get(), ca.get(), NID_subject_alt_name, alt_names);
  d::add_extension(cert.get(), ca.get(), NID_authority_key_identifier, "keyid:always");
  if (X509_sign(cert.get(), ca_key.get(), EVP_sha256()) == 0) d::fail("signing the certificate");
  return CertificateBundle{d::to_pem(ca.get()), d::to_pem(cert.get()), d::to_pem(key.get())};
}

KOPP_DECL void write_certificate_directory(const CertificateBundle& bundle, const std::filesystem::path& directory) {
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  if (ec) throw std::runtime_error("cannot create " + directory.string() + ": " + ec.message());
  // The key first: a reader that sees the new certificate finds its key already there.
  serving_certificate_detail::write_atomically(directory / "tls.key", bundle.private_key_pem, true);
  serving_certificate_detail::write_atomically(directory / "tls.crt", bundle.certificate_pem, false);
  serving_certificate_detail::write_atomically(directory / "ca.crt", bundle.ca_pem, false);
}

KOPP_DECL std::shared_ptr<ServingCertificate> ServingCertificate::from_pem(const std::string& certificate_pem,
                                                                           const std::string& private_key_pem) {
  serving_certificate_detail::check_pair(certificate_pem, private_key_pem, "the serving certificate",
                                         "the serving certificate's private key");
  std::shared_ptr<ServingCertificate> result(new ServingCertificate());
  result->context_ = serving_certificate_detail::make_context(certificate_pem, private_key_pem);
  return result;
}

KOPP_DECL std::shared_ptr<ServingCertificate> ServingCertificate::from_directory(
    std::filesystem::path directory, std::string certificate_file, std::string key_file, Logger logger,
    std::chrono::milliseconds check_period) {
  std::shared_ptr<ServingCertificate> result(new ServingCertificate());
  result->certificate_path_ = directory / certificate_file;
  result->key_path_ = directory / key_file;
  result->check_period_ = check_period;
  result->log_ = logger.with({{"component", "serving-certificate"}});
  result->load_from_files();
  result->next_check_ = std::chrono::steady_clock::now() + check_period;
  return result;
}

KOPP_DECL std::string ServingCertificate::stamps() const {
  std::string out;
  for (const auto* path : {&certificate_path_, &key_path_}) {
    if (auto stamp = detail::file_stamp(*path))
      out += std::to_string(stamp->mtime_ns) + "/" + std::to_string(stamp->size) + "/" + std::to_string(stamp->inode);
    out += ';';
  }
  return out;
}

KOPP_DECL void ServingCertificate::load_from_files() {
  // Stamped before reading: a change during the read is seen at the next check.
  auto before = stamps();
  // Bounded reads: a certificate chain is a few KiB; 1 MiB is far beyond any real one.
  constexpr std::size_t limit = 1024 * 1024;
  auto read = [](const std::filesystem::path& path) {
    std::error_code ec;
    std::string text = detail::read_file(path, ec, limit);
    if (ec) throw std::invalid_argument("cannot read " + path.string() + ": " + ec.message());
    return text;
  };
  const std::string certificate = read(certificate_path_);
  const std::string key = read(key_path_);
  serving_certificate_detail::check_pair(certificate, key, certificate_path_.string(), key_path_.string());
  auto context = serving_certificate_detail::make_context(certificate, key);
  context_ = std::move(context);
  loaded_stamps_ = before;
}

KOPP_DECL std::shared_ptr<boost::asio::ssl::context> ServingCertificate::context() {
  std::lock_guard lock(mutex_);
  if (certificate_path_.empty()) return context_;
  const auto now = std::chrono::steady_clock::now();
  if (now < next_check_) return context_;
  next_check_ = now + check_period_;
  auto current = stamps();
  if (current == loaded_stamps_) return context_;
  try {
    load_from_files();
    ++reloads_;
    log_.info("serving certificate reloaded", {{"certificate", certificate_path_.string()}});
  } catch (const std::exception& e) {
    // Mid-rotation (a key written before its certificate): keep the old pair, try again.
    log_.warn("serving certificate not reloaded; still serving the previous one", {{"error", e.what()}});
    loaded_stamps_ = std::move(current);  // warned once; the next change is tried again
  }
  return context_;
}

KOPP_DECL std::size_t ServingCertificate::reloads() const {
  std::lock_guard lock(mutex_);
  return reloads_;
}

}  // namespace kopp
