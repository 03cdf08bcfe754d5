#pragma once

// Loading a Config from kubeconfig files, compatible with kubectl: the $KUBECONFIG list
// and its merge rules, contexts, clusters, users with client certificates, tokens, token
// files and exec plugins. docs/config.md lists every supported field and error.

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include <kopp/core/detail/config.hpp>
#include <kopp/client/config.hpp>

namespace kopp {

struct KubeconfigOptions {
  KubeconfigOptions() = default;  // not an aggregate: see "Params objects" in docs/architecture.md
  // Explicit file (like kubectl --kubeconfig): only this file is read, and it must exist.
  std::optional<std::filesystem::path> path;
  std::optional<std::string> context;             // overrides current-context
  std::optional<std::string> namespace_override;  // overrides the context's namespace
  // Environment lookup (default: getenv), so tests can inject $KUBECONFIG and $HOME.
  std::function<std::optional<std::string>(const char*)> getenv;
};

// Without an explicit path: the files of $KUBECONFIG (':'-separated; missing files are
// skipped), else $HOME/.kube/config. Maps (clusters, users, contexts) merge by name with
// the first file that defines a name winning; current-context comes from the first file
// that sets it. Relative paths in an entry resolve against the directory of the file that
// defined the entry. Throws config_error naming the file(s), the entry and the problem.
Config load_kubeconfig(const KubeconfigOptions& options = {});

}  // namespace kopp

#if KOPP_HEADER_ONLY
#include <kopp/client/impl/kubeconfig.ipp>
#endif
