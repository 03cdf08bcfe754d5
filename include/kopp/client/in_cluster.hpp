#pragma once

// Configuration inside a pod (the service account the kubelet mounts, and the
// KUBERNETES_SERVICE_* variables), and from_environment(), which picks kubeconfig or
// in-cluster the way controller-runtime's GetConfig does.

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include <kopp/core/detail/config.hpp>
#include <kopp/client/config.hpp>
#include <kopp/client/kubeconfig.hpp>

namespace kopp {

struct InClusterOptions {
  InClusterOptions() = default;  // not an aggregate: see "Params objects" in docs/architecture.md
  InClusterOptions(std::filesystem::path dir, std::function<std::optional<std::string>(const char*)> env)
      : service_account_dir(std::move(dir)), getenv(std::move(env)) {}
  std::filesystem::path service_account_dir = "/var/run/secrets/kubernetes.io/serviceaccount";
  std::function<std::optional<std::string>(const char*)> getenv;  // default getenv
};

// True when KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are set and the service
// account token file exists.
bool running_in_cluster(const InClusterOptions& options = {});

// server = https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT (an IPv6 host is
// bracketed); credentials = token_file(<dir>/token), re-read as the kubelet rotates it;
// ca_pem = <dir>/ca.crt; default_namespace = <dir>/namespace ("default" when absent).
// Throws config_error saying which piece is missing or invalid.
Config load_in_cluster(const InClusterOptions& options = {});

// The namespace this process' pod runs in: $POD_NAMESPACE when set (the name the
// downward API is usually given), else the ServiceAccount mount's `namespace` file;
// std::nullopt outside a pod. Operators use it for their own objects (leader election
// Lease, inventories) instead of reading the mount by hand. Throws config_error when the
// file exists but cannot be read.
std::optional<std::string> pod_namespace(const InClusterOptions& options = {});

struct EnvironmentOptions {
  EnvironmentOptions() = default;                   // not an aggregate: see "Params objects" in docs/architecture.md
  std::optional<std::filesystem::path> kubeconfig;  // like --kubeconfig
  std::optional<std::string> context;
  std::function<std::optional<std::string>(const char*)> getenv;  // default getenv
  std::filesystem::path service_account_dir = InClusterOptions{}.service_account_dir;
};

// Like controller-runtime's GetConfig: the explicit kubeconfig if given; else $KUBECONFIG;
// else in-cluster when running in a pod (and no context was asked for); else
// ~/.kube/config. When nothing applies, the error lists what was tried.
Config from_environment(const EnvironmentOptions& options);
Config from_environment(std::optional<std::filesystem::path> kubeconfig = {}, std::optional<std::string> context = {});

}  // namespace kopp

#if KOPP_HEADER_ONLY
#include <kopp/client/impl/in_cluster.ipp>
#endif
