#pragma once
// The command-line flags every operator has, so each main() does not reinvent them:
// --kubeconfig, --context, --namespace, --leader-elect, --leader-election-id,
// --leader-election-namespace, --metrics-bind-address, --health-probe-bind-address,
// --metrics-secure, --metrics-cert-dir, --webhook-bind-address, --webhook-cert-dir,
// --webhook-configuration-name, --log-format, --log-level, --help. They mean what
// kubebuilder's scaffolded main.go flags mean, so users coming from Go find what they
// expect.
//
//   int main(int argc, char** argv) {
//     auto flags = kopp::OperatorFlags::parse(argc, argv, "memcached-operator",
//                                             "Runs memcached instances for Memcached objects.");
//     kopp::Manager manager(flags.load_config(), flags.manager_options());
//     ...
//   }
//
// Program-specific flags are registered before parsing:
//
//   kopp::OperatorFlags flags("crontab-operator", "...");
//   std::string operator_namespace = "default";
//   flags.add_string("operator-namespace", operator_namespace, "Where the inventory lives.");
//   flags.parse(argc, argv);
//
// Syntax: `--name=value` or `--name value`; boolean flags also as bare `--name`.
// Unknown flags, missing values and bad values are errors that name the flag and value.

#include <kopp/core/detail/config.hpp>
#include <kopp/client/config.hpp>
#include <kopp/runtime/telemetry/log.hpp>
#include <kopp/runtime/manager/manager.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace kopp {

/// A command line kopp cannot use; what() names the flag and the value.
class flag_error : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

class OperatorFlags {
 public:
  OperatorFlags(std::string program, std::string description);

  /// Parses argv; on --help prints the usage to stdout and exits 0; on a bad command
  /// line prints the problem and the usage to stderr and exits 2 (like Go's flag package).
  [[nodiscard]] static OperatorFlags parse(int argc, const char* const* argv, std::string program,
                                           std::string description);
  /// The same for a flags object with program-specific flags added.
  void parse(int argc, const char* const* argv);
  /// Parses without exiting. Returns false when --help was asked for (nothing else is
  /// parsed then). Throws flag_error.
  bool parse_or_throw(int argc, const char* const* argv);

  /// Program-specific flags; `target` keeps its value as the default and must outlive
  /// parsing. Names are given without the leading dashes.
  OperatorFlags& add_string(std::string name, std::string& target, std::string help);
  OperatorFlags& add_int(std::string name, std::int64_t& target, std::string help);
  OperatorFlags& add_bool(std::string name, bool& target, std::string help);

  [[nodiscard]] std::string usage() const;

  /// The cluster to talk to: --kubeconfig/--context if given, else $KUBECONFIG, else the
  /// pod's ServiceAccount when running in a cluster, else ~/.kube/config.
  [[nodiscard]] Config load_config() const;
  /// Manager options from the flags. Also applies --log-format and --log-level to the
  /// process-wide log sink (LogSink::global()), which the manager's logger writes to.
  [[nodiscard]] ManagerOptions manager_options() const;

  // The parsed values (defaults shown).
  std::optional<std::string> kubeconfig;
  std::optional<std::string> context;
  std::string namespace_;  // "" = all namespaces
  bool leader_elect = false;
  std::string leader_election_id;                   // default: the program name
  std::string leader_election_namespace;            // default: the config's namespace
  std::string metrics_bind_address = ":8080";       // "0" disables
  std::string health_probe_bind_address = ":8081";  // "0" disables
  bool metrics_secure = false;
  std::string metrics_cert_dir;                // "" = a generated certificate
  std::string webhook_bind_address = ":9443";  // served only when webhooks are registered
  std::string webhook_cert_dir;                // "" = a generated certificate
  std::string webhook_configuration_name;      // "" = the webhooks are registered by manifests
  LogFormat log_format = LogFormat::text;
  LogLevel log_level = LogLevel::info;

  const std::string& program() const noexcept { return program_; }

 private:
  struct Flag {
    std::string name;
    std::string help;
    std::string default_text;
    bool is_bool = false;
    // Takes the flags object rather than capturing it, so OperatorFlags stays copyable
    // and movable (parse() returns it by value). Throws flag_error.
    std::function<void(OperatorFlags& self, std::string_view value)> set;
  };
  void add_builtin_flags();
  Flag* find(std::string_view name);

  std::string program_;
  std::string description_;
  std::vector<Flag> flags_;
};

}  // namespace kopp

#if KOPP_HEADER_ONLY
#include <kopp/runtime/manager/impl/operator_flags.ipp>
#endif
