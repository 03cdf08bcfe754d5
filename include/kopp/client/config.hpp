#pragma once

// kopp::Config: everything the transport needs to reach one API server (address, trust,
// client identity, credentials, client-side limits). Built by load_kubeconfig()
// (kubeconfig.hpp), load_in_cluster() or from_environment() (in_cluster.hpp), or by hand.
// See docs/config.md for how each field is filled.

#include <kopp/client/config_error.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace kopp {

class CredentialProvider;

struct Config {
  Config() = default;  // not an aggregate: see "Params objects" in docs/architecture.md
  // "https://127.0.0.1:6443"; from kubeconfig cluster.server (an address without a scheme
  // gets "https://", as kubectl does).
  std::string server;
  std::string ca_pem;                           // PEM bundle; empty = system trust store
  std::string tls_server_name;                  // overrides SNI + hostname verification when set
  bool insecure_skip_tls_verify = false;        // only when explicitly set true
  std::string client_cert_pem, client_key_pem;  // static client certificate (file or -data)
  // token / tokenFile / exec; may be null (anonymous, or client certificate only). A
  // Credential's own client certificate, when it has one, replaces the static one.
  std::shared_ptr<CredentialProvider> credentials;
  std::string default_namespace = "default";
  // kubeconfig cluster.proxy-url, recorded as written; the transport may refuse it.
  std::string proxy_url;
  double qps = 20.0;  // controller-runtime's defaults
  int burst = 30;
  std::chrono::milliseconds timeout{0};  // 0 = none
  // Human description for messages: "kubeconfig /path (context foo)" or "in-cluster".
  std::string source;
};

}  // namespace kopp

// Config, config_error, the credential providers and exec plugins come together: a
// Config is not usable without a provider.
#include <kopp/client/credentials.hpp>
#include <kopp/client/exec_credential.hpp>
