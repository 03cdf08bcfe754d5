#pragma once

#include <kopp/runtime/manager/operator_flags.hpp>

#include <kopp/client/in_cluster.hpp>
#include <kopp/runtime/telemetry/probe_server.hpp>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <utility>

namespace kopp {

namespace detail {

KOPP_DECL std::optional<bool> parse_flag_bool(std::string_view text) noexcept {
  if (text == "true" || text == "1" || text == "t" || text == "TRUE" || text == "True") return true;
  if (text == "false" || text == "0" || text == "f" || text == "FALSE" || text == "False") return false;
  return std::nullopt;
}

KOPP_DECL std::string quoted_flag_value(std::string_view value) { return "\"" + std::string(value) + "\""; }

}  // namespace detail

KOPP_DECL OperatorFlags::OperatorFlags(std::string program, std::string description)
    : leader_election_id(program), program_(std::move(program)), description_(std::move(description)) {
  add_builtin_flags();
}

KOPP_DECL void OperatorFlags::add_builtin_flags() {
  auto text = [this](std::string name, std::string OperatorFlags::*member, std::string help) {
    flags_.push_back(Flag{std::move(name), std::move(help), this->*member, false,
                          [member](OperatorFlags& self, std::string_view v) { self.*member = std::string(v); }});
  };
  auto optional_text = [this](std::string name, std::optional<std::string> OperatorFlags::*member, std::string help) {
    flags_.push_back(Flag{std::move(name), std::move(help), "", false,
                          [member](OperatorFlags& self, std::string_view v) { self.*member = std::string(v); }});
  };
  optional_text("kubeconfig", &OperatorFlags::kubeconfig,
                "Path to a kubeconfig. Default: $KUBECONFIG, else the pod's ServiceAccount when running "
                "in a cluster, else ~/.kube/config.");
  optional_text("context", &OperatorFlags::context, "The kubeconfig context to use. Default: its current-context.");
  text("namespace", &OperatorFlags::namespace_, "Watch only this namespace. Default: all namespaces.");
  flags_.push_back(Flag{"leader-elect",
                        "Run controllers only while holding a Lease, so that several replicas "
                        "can run with one active.",
                        "false", true, [](OperatorFlags& self, std::string_view v) {
                          const auto value = detail::parse_flag_bool(v);
                          if (!value)
                            throw flag_error("--leader-elect: invalid value " + detail::quoted_flag_value(v) +
                                             " (expected true or false)");
                          self.leader_elect = *value;
                        }});
  text("leader-election-id", &OperatorFlags::leader_election_id, "Name of the Lease used for leader election.");
  text("leader-election-namespace", &OperatorFlags::leader_election_namespace,
       "Namespace of the Lease. Default: the namespace of the kubeconfig context or of the pod.");
  auto address = [this](std::string name, std::string OperatorFlags::*member, std::string help) {
    flags_.push_back(
        Flag{name, std::move(help), this->*member, false, [member, name](OperatorFlags& self, std::string_view v) {
               try {
                 (void)parse_bind_address(v);
               } catch (const std::invalid_argument& e) {
                 throw flag_error("--" + name + ": " + e.what());
               }
               self.*member = std::string(v);
             }});
  };
  address("metrics-bind-address", &OperatorFlags::metrics_bind_address,
          "Where /metrics is served (host:port, :port); \"0\" disables it.");
  address("health-probe-bind-address", &OperatorFlags::health_probe_bind_address,
          "Where /healthz and /readyz are served (host:port, :port); \"0\" disables them.");
  flags_.push_back(Flag{"metrics-secure",
                        "Serve /metrics over HTTPS to callers the API server authorizes (get on the "
                        "nonResourceURL /metrics).",
                        "false", true, [](OperatorFlags& self, std::string_view v) {
                          const auto value = detail::parse_flag_bool(v);
                          if (!value)
                            throw flag_error("--metrics-secure: invalid value " + detail::quoted_flag_value(v) +
                                             " (expected true or false)");
                          self.metrics_secure = *value;
                        }});
  text("metrics-cert-dir", &OperatorFlags::metrics_cert_dir,
       "Directory with tls.crt and tls.key for secure metrics (reloaded on change). Default: a "
       "generated self-signed certificate.");
  address("webhook-bind-address", &OperatorFlags::webhook_bind_address,
          "Where the webhook server listens when the operator registers webhooks (host:port, :port); "
          "\"0\" disables it.");
  text("webhook-cert-dir", &OperatorFlags::webhook_cert_dir,
       "Directory with tls.crt and tls.key for the webhook server (reloaded on change). Default: a "
       "generated self-signed certificate (local development).");
  text("webhook-configuration-name", &OperatorFlags::webhook_configuration_name,
       "Register the webhooks with the API server under this name at start, at https://127.0.0.1:<port> "
       "with the certificate's CA (development and tests; in a cluster, config/webhook's manifests do).");
  flags_.push_back(Flag{"log-format", "Log lines as \"text\" (key=value) or \"json\" (JSON lines).", "text", false,
                        [](OperatorFlags& self, std::string_view v) {
                          const auto format = parse_log_format(v);
                          if (!format)
                            throw flag_error("--log-format: invalid value " + detail::quoted_flag_value(v) +
                                             " (expected text or json)");
                          self.log_format = *format;
                        }});
  flags_.push_back(Flag{"log-level", "Least severe level logged: debug, info, warn or error.", "info", false,
                        [](OperatorFlags& self, std::string_view v) {
                          const auto level = parse_log_level(v);
                          if (!level)
                            throw flag_error("--log-level: invalid value " + detail::quoted_flag_value(v) +
                                             " (expected debug, info, warn or error)");
                          self.log_level = *level;
                        }});
}

KOPP_DECL OperatorFlags& OperatorFlags::add_string(std::string name, std::string& target, std::string help) {
  flags_.push_back(Flag{std::move(name), std::move(help), target, false,
                        [&target](OperatorFlags&, std::string_view v) { target = std::string(v); }});
  return *this;
}

KOPP_DECL OperatorFlags& OperatorFlags::add_int(std::string name, std::int64_t& target, std::string help) {
  flags_.push_back(Flag{
      name, std::move(help), std::to_string(target), false, [&target, name](OperatorFlags&, std::string_view v) {
        std::int64_t value = 0;
        const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), value);
        if (v.empty() || ec != std::errc{} || end != v.data() + v.size())
          throw flag_error("--" + name + ": invalid value " + detail::quoted_flag_value(v) + " (expected an integer)");
        target = value;
      }});
  return *this;
}

KOPP_DECL OperatorFlags& OperatorFlags::add_bool(std::string name, bool& target, std::string help) {
  flags_.push_back(
      Flag{name, std::move(help), target ? "true" : "false", true, [&target, name](OperatorFlags&, std::string_view v) {
             const auto value = detail::parse_flag_bool(v);
             if (!value)
               throw flag_error("--" + name + ": invalid value " + detail::quoted_flag_value(v) +
                                " (expected true or false)");
             target = *value;
           }});
  return *this;
}

KOPP_DECL OperatorFlags::Flag* OperatorFlags::find(std::string_view name) {
  for (auto& flag : flags_)
    if (flag.name == name) return &flag;
  return nullptr;
}

KOPP_DECL bool OperatorFlags::parse_or_throw(int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h" || arg == "-help") return false;
    if (arg.size() < 2 || arg[0] != '-')
      throw flag_error("unexpected argument " + detail::quoted_flag_value(arg) + " (flags start with --)");
    // Go's flag package accepts one or two dashes; so do we.
    arg.remove_prefix(arg.starts_with("--") ? 2 : 1);
    std::optional<std::string_view> value;
    if (const auto eq = arg.find('='); eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    }
    Flag* flag = find(arg);
    if (flag == nullptr) throw flag_error("unknown flag --" + std::string(arg));
    if (!value) {
      if (flag->is_bool) {
        value = "true";
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        throw flag_error("flag --" + flag->name + " needs a value");
      }
    }
    flag->set(*this, *value);
  }
  return true;
}

KOPP_DECL void OperatorFlags::parse(int argc, const char* const* argv) {
  try {
    if (!parse_or_throw(argc, argv)) {
      std::fputs(usage().c_str(), stdout);
      std::exit(0);
    }
  } catch (const flag_error& e) {
    std::fprintf(stderr, "%s: %s\n\n%s", program_.c_str(), e.what(), usage().c_str());
    std::exit(2);
  }
}

KOPP_DECL OperatorFlags OperatorFlags::parse(int argc, const char* const* argv, std::string program,
                                             std::string description) {
  OperatorFlags flags(std::move(program), std::move(description));
  flags.parse(argc, argv);
  return flags;
}

KOPP_DECL std::string OperatorFlags::usage() const {
  std::string out = "Usage: " + program_ + " [flags]\n\n" + description_ + "\n\nFlags:\n";
  for (const auto& flag : flags_) {
    out += "  --" + flag.name + (flag.is_bool ? "" : " value") + "\n      " + flag.help;
    if (!flag.default_text.empty()) out += " (default " + detail::quoted_flag_value(flag.default_text) + ")";
    out += "\n";
  }
  out += "  --help\n      Print this help and exit.\n";
  return out;
}

KOPP_DECL Config OperatorFlags::load_config() const {
  EnvironmentOptions options;
  if (kubeconfig) options.kubeconfig = *kubeconfig;
  options.context = context;
  return from_environment(options);
}

KOPP_DECL ManagerOptions OperatorFlags::manager_options() const {
  LogSink::global().set_format(log_format);
  LogSink::global().set_level(log_level);
  ManagerOptions options;
  options.namespace_ = namespace_;
  options.leader_election = leader_elect;
  options.leader_election_id = leader_election_id;
  options.leader_election_namespace = leader_election_namespace;
  options.metrics_bind_address = metrics_bind_address;
  options.health_probe_bind_address = health_probe_bind_address;
  options.metrics_secure = metrics_secure;
  options.metrics_cert_dir = metrics_cert_dir;
  options.webhook_bind_address = webhook_bind_address;
  options.webhook_cert_dir = webhook_cert_dir;
  options.webhook_configuration_name = webhook_configuration_name;
  options.logger = Logger(LogSink::global()).with({{"program", program_}});
  return options;
}

}  // namespace kopp
