#pragma once

// Exec credential plugins (client.authentication.k8s.io/v1 and v1beta1), as kubectl runs
// them: the plugin gets an ExecCredential request in $KUBERNETES_EXEC_INFO and prints an
// ExecCredential with a token and/or a client certificate on stdout. The result is cached
// until shortly before status.expirationTimestamp, and re-obtained after invalidate().
//
// Guarantees: the plugin runs on a thread of its own; async_current() (what kopp::Client
// uses) suspends the caller without blocking its io thread, and concurrent callers, sync
// or async, share one run. Any expirationTimestamp of years 0000-9999 is read; one past
// system_clock's range (2262 in libstdc++) counts as never expiring.
// Errors: a token with CR, LF or another control character is refused (config_error that
// does not show it).

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include <kopp/core/detail/config.hpp>
#include <kopp/client/credentials.hpp>

namespace kopp {

struct ExecEnvVar {
  std::string name;
  std::string value;
};

// A kubeconfig user's `exec` section.
struct ExecConfig {
  std::string api_version;  // "client.authentication.k8s.io/v1" or ".../v1beta1"
  // Looked up in $PATH when it has no '/'; a relative path with a '/' is resolved against
  // the directory of the kubeconfig file (ExecPluginOptions::kubeconfig), like kubectl.
  std::string command;
  std::vector<std::string> args;
  std::vector<ExecEnvVar> env;  // added to (and overriding) this process's environment
  std::string install_hint;     // shown when the command is not found
  bool provide_cluster_info = false;
  // "Never", "IfAvailable" or "Always" (empty = "IfAvailable"). kopp runs plugins without a
  // terminal, so "Always" is rejected.
  std::string interactive_mode;
};

// The cluster passed to the plugin in spec.cluster when provide_cluster_info is set.
struct ExecClusterInfo {
  std::string server;
  std::string tls_server_name;
  bool insecure_skip_tls_verify = false;
  std::string ca_pem;  // sent base64-encoded as certificate-authority-data
  std::string proxy_url;
  // The cluster's "client.authentication.k8s.io/exec" extension, sent as spec.cluster.config.
  std::optional<boost::json::value> config;
};

struct ExecPluginOptions {
  ExecPluginOptions() = default;     // not an aggregate: see "Params objects" in docs/architecture.md
  std::filesystem::path kubeconfig;  // file that defined the user: relative command, messages
  std::string user;                  // kubeconfig user name, for messages
  std::optional<ExecClusterInfo> cluster;
  std::chrono::milliseconds timeout = std::chrono::seconds(60);
  // Decides when a credential has expired; default std::chrono::system_clock::now.
  std::function<std::chrono::system_clock::time_point()> clock;
};

// Throws config_error when the configuration itself is unusable (no command, unsupported
// apiVersion, interactiveMode Always). Errors from running the plugin are thrown by
// current() as config_error naming the command and the kubeconfig user.
std::shared_ptr<CredentialProvider> exec_plugin(ExecConfig config, ExecPluginOptions options = {});

}  // namespace kopp

#if KOPP_HEADER_ONLY
#include <kopp/client/impl/exec_credential.ipp>
#endif
