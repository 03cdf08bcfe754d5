#pragma once

#include <system_error>
#include <utility>

#include <kopp/client/config.hpp>
#include <kopp/client/credentials.hpp>
#include <kopp/client/in_cluster.hpp>
#include <kopp/client/kubeconfig.hpp>
#include <kopp/client/impl/kubeconfig.ipp>  // kubeconfig_detail::process_getenv
#include <kopp/client/detail/file.hpp>
#include <kopp/client/detail/pem.hpp>

namespace kopp {

namespace in_cluster_detail {

using getenv_fn = std::function<std::optional<std::string>(const char*)>;

KOPP_DECL getenv_fn or_process_getenv(const getenv_fn& getenv) {
  return getenv ? getenv : getenv_fn(&kubeconfig_detail::process_getenv);
}

KOPP_DECL std::optional<std::string> non_empty(const getenv_fn& getenv, const char* name) {
  auto value = getenv(name);
  if (value && value->empty()) value.reset();
  return value;
}

/// The ServiceAccount mount's `namespace` file, trimmed; nullopt when absent or empty.
KOPP_DECL std::optional<std::string> mounted_namespace(const std::filesystem::path& dir) {
  const auto path = dir / "namespace";
  std::error_code ec;
  const std::string ns = detail::read_file(path, ec);
  if (ec == std::errc::no_such_file_or_directory) return std::nullopt;
  if (ec) throw config_error("in-cluster configuration: cannot read " + path.string() + ": " + ec.message());
  const auto trimmed = detail::trim_whitespace(ns);
  if (trimmed.empty()) return std::nullopt;
  return std::string(trimmed);
}

}  // namespace in_cluster_detail

KOPP_DECL bool running_in_cluster(const InClusterOptions& options) {
  const auto getenv = in_cluster_detail::or_process_getenv(options.getenv);
  std::error_code ec;
  return in_cluster_detail::non_empty(getenv, "KUBERNETES_SERVICE_HOST") &&
         in_cluster_detail::non_empty(getenv, "KUBERNETES_SERVICE_PORT") &&
         std::filesystem::exists(options.service_account_dir / "token", ec);
}

KOPP_DECL Config load_in_cluster(const InClusterOptions& options) {
  const auto getenv = in_cluster_detail::or_process_getenv(options.getenv);
  const auto host = in_cluster_detail::non_empty(getenv, "KUBERNETES_SERVICE_HOST");
  const auto port = in_cluster_detail::non_empty(getenv, "KUBERNETES_SERVICE_PORT");
  if (!host || !port)
    throw config_error(std::string("in-cluster configuration: ") +
                       (!host && !port ? "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are"
                        : !host        ? "KUBERNETES_SERVICE_HOST is"
                                       : "KUBERNETES_SERVICE_PORT is") +
                       " not set; is this process running in a pod?");

  Config config;
  config.source = "in-cluster";
  const bool ipv6 = host->find(':') != std::string::npos && host->front() != '[';
  config.server = "https://" + (ipv6 ? "[" + *host + "]" : *host) + ":" + *port;

  const auto dir = options.service_account_dir;
  const auto token_path = dir / "token";
  config.credentials = token_file(token_path);
  try {
    (void)config.credentials->current();
  } catch (const config_error& e) {
    throw config_error(std::string("in-cluster configuration: service account token: ") + e.what());
  }

  const auto ca_path = dir / "ca.crt";
  std::error_code ec;
  config.ca_pem = detail::read_file(ca_path, ec);
  if (ec)
    throw config_error("in-cluster configuration: cannot read the cluster CA " + ca_path.string() + ": " +
                       ec.message());
  if (auto problem = detail::check_certificate_pem(config.ca_pem))
    throw config_error("in-cluster configuration: the cluster CA " + ca_path.string() +
                       " is not a valid PEM certificate bundle: " + *problem);

  config.default_namespace = in_cluster_detail::mounted_namespace(dir).value_or("default");
  return config;
}

KOPP_DECL std::optional<std::string> pod_namespace(const InClusterOptions& options) {
  const auto getenv = in_cluster_detail::or_process_getenv(options.getenv);
  if (auto ns = in_cluster_detail::non_empty(getenv, "POD_NAMESPACE")) return ns;
  return in_cluster_detail::mounted_namespace(options.service_account_dir);
}

KOPP_DECL Config from_environment(const EnvironmentOptions& options) {
  const auto getenv = in_cluster_detail::or_process_getenv(options.getenv);
  KubeconfigOptions kubeconfig;
  kubeconfig.context = options.context;
  kubeconfig.getenv = getenv;
  if (options.kubeconfig) {
    kubeconfig.path = options.kubeconfig;
    return load_kubeconfig(kubeconfig);
  }
  if (in_cluster_detail::non_empty(getenv, "KUBECONFIG")) return load_kubeconfig(kubeconfig);

  InClusterOptions in_cluster{options.service_account_dir, getenv};
  std::string tried = "no --kubeconfig path was given; $KUBECONFIG is not set; ";
  if (!options.context) {
    if (running_in_cluster(in_cluster)) return load_in_cluster(in_cluster);
    tried += "not running in a cluster (KUBERNETES_SERVICE_HOST/PORT unset or no " +
             (options.service_account_dir / "token").string() + "); ";
  } else {
    tried += "in-cluster configuration skipped because context '" + *options.context + "' was asked for; ";
  }
  const auto home = in_cluster_detail::non_empty(getenv, "HOME");
  if (!home) throw config_error("cannot find a configuration: " + tried + "and $HOME is not set");
  const auto default_path = std::filesystem::path(*home) / ".kube" / "config";
  std::error_code ec;
  if (!std::filesystem::exists(default_path, ec))
    throw config_error("cannot find a configuration: " + tried + "and " + default_path.string() + " does not exist");
  kubeconfig.path = default_path;
  return load_kubeconfig(kubeconfig);
}

KOPP_DECL Config from_environment(std::optional<std::filesystem::path> kubeconfig, std::optional<std::string> context) {
  EnvironmentOptions options;
  options.kubeconfig = std::move(kubeconfig);
  options.context = std::move(context);
  return from_environment(options);
}

}  // namespace kopp
