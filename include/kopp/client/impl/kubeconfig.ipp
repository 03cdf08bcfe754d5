#pragma once

#include <cstdlib>
#include <map>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <yaml-cpp/yaml.h>

#include <kopp/client/config.hpp>
#include <kopp/client/credentials.hpp>
#include <kopp/client/exec_credential.hpp>
#include <kopp/client/kubeconfig.hpp>
#include <kopp/client/detail/file.hpp>
#include <kopp/client/detail/pem.hpp>

namespace kopp {

namespace kubeconfig_detail {

namespace fs = std::filesystem;

using getenv_fn = std::function<std::optional<std::string>(const char*)>;

KOPP_DECL std::optional<std::string> process_getenv(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

KOPP_DECL const char* node_kind(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
      return "null";
    case YAML::NodeType::Scalar:
      return "a string";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    default:
      return "undefined";
  }
}

KOPP_DECL std::string at_line(const YAML::Node& node) {
  const auto mark = node.Mark();
  if (mark.is_null()) return {};
  return " (line " + std::to_string(mark.line + 1) + ")";
}

// Reading typed fields; `where` is "kubeconfig /p: cluster 'x'" and ends up in errors.
KOPP_DECL std::string string_field(const YAML::Node& parent, const char* key, const std::string& where) {
  const YAML::Node node = parent[key];
  if (!node || node.IsNull()) return {};
  if (!node.IsScalar())
    throw config_error(where + ": field '" + key + "' must be a string, not " + node_kind(node) + at_line(node));
  return node.Scalar();
}

KOPP_DECL bool bool_field(const YAML::Node& parent, const char* key, const std::string& where) {
  const YAML::Node node = parent[key];
  if (!node || node.IsNull()) return false;
  bool value = false;
  if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value))
    throw config_error(where + ": field '" + key + "' must be true or false, not " +
                       (node.IsScalar() ? "'" + node.Scalar() + "'" : std::string(node_kind(node))) + at_line(node));
  return value;
}

KOPP_DECL YAML::Node map_field(const YAML::Node& parent, const char* key, const std::string& where) {
  const YAML::Node node = parent[key];
  if (!node || node.IsNull()) return YAML::Node(YAML::NodeType::Map);
  if (!node.IsMap())
    throw config_error(where + ": field '" + key + "' must be a mapping, not " + node_kind(node) + at_line(node));
  return node;
}

KOPP_DECL YAML::Node list_field(const YAML::Node& parent, const char* key, const std::string& where) {
  const YAML::Node node = parent[key];
  if (!node || node.IsNull()) return YAML::Node(YAML::NodeType::Sequence);
  if (!node.IsSequence())
    throw config_error(where + ": field '" + key + "' must be a list, not " + node_kind(node) + at_line(node));
  return node;
}

KOPP_DECL bool has_field(const YAML::Node& parent, const char* key) {
  const YAML::Node node = parent[key];
  return node && !node.IsNull();
}

// A YAML value as JSON, for the cluster's exec extension (spec.cluster.config).
KOPP_DECL boost::json::value yaml_to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      boost::json::object object;
      for (const auto& item : node)
        if (item.first.IsScalar()) object[item.first.Scalar()] = yaml_to_json(item.second);
      return object;
    }
    case YAML::NodeType::Sequence: {
      boost::json::array array;
      for (const auto& item : node) array.push_back(yaml_to_json(item));
      return array;
    }
    case YAML::NodeType::Scalar: {
      if (node.Tag() == "!") return boost::json::value(node.Scalar());  // quoted
      bool b = false;
      if (node.Scalar() == "true" || node.Scalar() == "false")
        if (YAML::convert<bool>::decode(node, b)) return b;
      long long i = 0;
      if (YAML::convert<long long>::decode(node, i)) return i;
      double d = 0;
      if (YAML::convert<double>::decode(node, d)) return d;
      return boost::json::value(node.Scalar());
    }
    default:
      return nullptr;
  }
}

struct ClusterEntry {
  fs::path file;
  std::string server, ca_file, ca_data, tls_server_name, proxy_url;
  bool insecure = false;
  std::optional<boost::json::value> exec_extension;
};

struct UserEntry {
  fs::path file;
  std::string cert_file, cert_data, key_file, key_data, token, token_file;
  std::optional<ExecConfig> exec;
  std::optional<std::string> auth_provider;
  bool basic_auth = false;
  bool impersonation = false;
};

struct ContextEntry {
  fs::path file;
  std::string cluster, user, namespace_;
};

struct Merged {
  std::vector<fs::path> files;  // files actually read, in order
  std::map<std::string, ClusterEntry> clusters;
  std::map<std::string, UserEntry> users;
  std::map<std::string, ContextEntry> contexts;
  std::string current_context;
  fs::path current_context_file;
};

KOPP_DECL std::string entry_name(const YAML::Node& item, const char* list, std::size_t index,
                                 const std::string& file_where) {
  const std::string where = file_where + ": " + list + "[" + std::to_string(index) + "]";
  if (!item.IsMap()) throw config_error(where + " must be a mapping, not " + node_kind(item) + at_line(item));
  std::string name = string_field(item, "name", where);
  if (name.empty()) throw config_error(where + " has no name" + at_line(item));
  return name;
}

KOPP_DECL ExecConfig parse_exec(const YAML::Node& node, const std::string& where) {
  ExecConfig exec;
  exec.api_version = string_field(node, "apiVersion", where + ": exec");
  exec.command = string_field(node, "command", where + ": exec");
  const YAML::Node args = list_field(node, "args", where + ": exec");
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (!args[i].IsScalar())
      throw config_error(where + ": exec.args[" + std::to_string(i) + "] must be a string, not " + node_kind(args[i]) +
                         at_line(args[i]));
    exec.args.push_back(args[i].Scalar());
  }
  const YAML::Node env = list_field(node, "env", where + ": exec");
  for (std::size_t i = 0; i < env.size(); ++i) {
    const std::string env_where = where + ": exec.env[" + std::to_string(i) + "]";
    if (!env[i].IsMap())
      throw config_error(env_where + " must be a mapping with name and value, not " + node_kind(env[i]) +
                         at_line(env[i]));
    ExecEnvVar var{string_field(env[i], "name", env_where), string_field(env[i], "value", env_where)};
    if (var.name.empty()) throw config_error(env_where + " has no name" + at_line(env[i]));
    exec.env.push_back(std::move(var));
  }
  exec.install_hint = string_field(node, "installHint", where + ": exec");
  exec.provide_cluster_info = bool_field(node, "provideClusterInfo", where + ": exec");
  exec.interactive_mode = string_field(node, "interactiveMode", where + ": exec");
  return exec;
}

KOPP_DECL void parse_file(const fs::path& file, const YAML::Node& root, Merged& merged) {
  const std::string file_where = "kubeconfig " + file.string();
  if (!root || root.IsNull()) return;  // an empty file is an empty Config, as for kubectl
  if (!root.IsMap())
    throw config_error(file_where + ": the document must be a mapping (a kind: Config object), not " + node_kind(root));

  const YAML::Node clusters = list_field(root, "clusters", file_where);
  for (std::size_t i = 0; i < clusters.size(); ++i) {
    const std::string name = entry_name(clusters[i], "clusters", i, file_where);
    const std::string where = file_where + ": cluster '" + name + "'";
    const YAML::Node c = map_field(clusters[i], "cluster", where);
    ClusterEntry entry;
    entry.file = file;
    entry.server = string_field(c, "server", where);
    entry.ca_file = string_field(c, "certificate-authority", where);
    entry.ca_data = string_field(c, "certificate-authority-data", where);
    entry.tls_server_name = string_field(c, "tls-server-name", where);
    entry.proxy_url = string_field(c, "proxy-url", where);
    entry.insecure = bool_field(c, "insecure-skip-tls-verify", where);
    const YAML::Node extensions = list_field(c, "extensions", where);
    for (const auto& extension : extensions) {
      if (extension.IsMap() && extension["name"] && extension["name"].IsScalar() &&
          extension["name"].Scalar() == "client.authentication.k8s.io/exec" && extension["extension"])
        entry.exec_extension = yaml_to_json(extension["extension"]);
    }
    merged.clusters.try_emplace(name, std::move(entry));  // the first file to define a name wins
  }

  const YAML::Node users = list_field(root, "users", file_where);
  for (std::size_t i = 0; i < users.size(); ++i) {
    const std::string name = entry_name(users[i], "users", i, file_where);
    const std::string where = file_where + ": user '" + name + "'";
    const YAML::Node u = map_field(users[i], "user", where);
    UserEntry entry;
    entry.file = file;
    entry.cert_file = string_field(u, "client-certificate", where);
    entry.cert_data = string_field(u, "client-certificate-data", where);
    entry.key_file = string_field(u, "client-key", where);
    entry.key_data = string_field(u, "client-key-data", where);
    entry.token = string_field(u, "token", where);
    entry.token_file = string_field(u, "tokenFile", where);
    if (has_field(u, "exec")) entry.exec = parse_exec(map_field(u, "exec", where), where);
    if (has_field(u, "auth-provider")) {
      const YAML::Node provider = map_field(u, "auth-provider", where);
      entry.auth_provider = string_field(provider, "name", where + ": auth-provider");
    }
    entry.basic_auth = has_field(u, "username") || has_field(u, "password");
    entry.impersonation =
        has_field(u, "as") || has_field(u, "as-uid") || has_field(u, "as-groups") || has_field(u, "as-user-extra");
    merged.users.try_emplace(name, std::move(entry));
  }

  const YAML::Node contexts = list_field(root, "contexts", file_where);
  for (std::size_t i = 0; i < contexts.size(); ++i) {
    const std::string name = entry_name(contexts[i], "contexts", i, file_where);
    const std::string where = file_where + ": context '" + name + "'";
    const YAML::Node c = map_field(contexts[i], "context", where);
    ContextEntry entry;
    entry.file = file;
    entry.cluster = string_field(c, "cluster", where);
    entry.user = string_field(c, "user", where);
    entry.namespace_ = string_field(c, "namespace", where);
    merged.contexts.try_emplace(name, std::move(entry));
  }

  const std::string current = string_field(root, "current-context", file_where);
  if (merged.current_context.empty() && !current.empty()) {
    merged.current_context = current;
    merged.current_context_file = file;
  }
}

KOPP_DECL YAML::Node parse_yaml(const fs::path& file, const std::string& content) {
  try {
    return YAML::Load(content);
  } catch (const YAML::Exception& e) {
    std::string message = "kubeconfig " + file.string() + ": invalid YAML";
    if (!e.mark.is_null())
      message += " at line " + std::to_string(e.mark.line + 1) + ", column " + std::to_string(e.mark.column + 1);
    throw config_error(message + ": " + e.msg);
  }
}

KOPP_DECL std::string join(const std::vector<fs::path>& files, std::string_view separator) {
  std::string text;
  for (const auto& f : files) {
    if (!text.empty()) text += separator;
    text += f.string();
  }
  return text;
}

// Reads the files to merge, applying kubectl's rules about which may be missing.
KOPP_DECL Merged read_files(const KubeconfigOptions& options, const getenv_fn& getenv) {
  std::vector<fs::path> candidates;
  enum class origin { explicit_path, env_list, home } from = origin::explicit_path;
  if (options.path) {
    candidates.push_back(*options.path);
  } else if (auto list = getenv("KUBECONFIG"); list && !list->empty()) {
    from = origin::env_list;
    std::string_view rest = *list;
    while (true) {
      const auto colon = rest.find(':');
      const std::string_view item = rest.substr(0, colon);
      if (!item.empty()) {
        fs::path p{std::string(item)};
        bool seen = false;
        for (const auto& c : candidates) seen = seen || c == p;
        if (!seen) candidates.push_back(std::move(p));
      }
      if (colon == std::string_view::npos) break;
      rest.remove_prefix(colon + 1);
    }
    if (candidates.empty()) throw config_error("$KUBECONFIG ('" + *list + "') names no files");
  } else {
    from = origin::home;
    const auto home = getenv("HOME");
    if (!home || home->empty())
      throw config_error(
          "no kubeconfig: $KUBECONFIG is not set and $HOME is not set, so "
          "~/.kube/config cannot be found");
    candidates.push_back(fs::path(*home) / ".kube" / "config");
  }

  Merged merged;
  std::vector<fs::path> missing;
  for (const auto& file : candidates) {
    std::error_code ec;
    const std::string content = detail::read_file(file, ec);
    if (ec == std::errc::no_such_file_or_directory && from == origin::env_list) {
      missing.push_back(file);  // kubectl ignores missing files in the $KUBECONFIG list
      continue;
    }
    if (ec == std::errc::no_such_file_or_directory) {
      if (from == origin::home)
        throw config_error("no kubeconfig: $KUBECONFIG is not set and " + file.string() + " does not exist");
      throw config_error("kubeconfig " + file.string() + " does not exist");
    }
    if (ec) throw config_error("cannot read kubeconfig " + file.string() + ": " + ec.message());
    try {
      parse_file(file, parse_yaml(file, content), merged);
    } catch (const YAML::Exception& e) {  // defensive: the walk only indexes checked nodes
      throw config_error("kubeconfig " + file.string() + ": " + e.what());
    }
    merged.files.push_back(file);
  }
  if (merged.files.empty())
    throw config_error("no kubeconfig: none of the files in $KUBECONFIG exist (" + join(missing, ", ") + ")");
  return merged;
}

KOPP_DECL fs::path resolve(const fs::path& defining_file, const std::string& path) {
  fs::path p(path);
  if (p.is_absolute()) return p;
  return (defining_file.parent_path() / p).lexically_normal();
}

// certificate data: "-data" (base64) wins over the file, as in client-go.
KOPP_DECL std::string load_pem(const std::string& where, const fs::path& defining_file, const std::string& data_field,
                               const std::string& data, const std::string& file_field, const std::string& file,
                               bool is_key) {
  std::string pem;
  std::string source;
  if (!data.empty()) {
    auto decoded = detail::base64_decode(data);
    if (!decoded) throw config_error(where + ": " + data_field + " is not valid base64");
    pem = std::move(*decoded);
    source = data_field;
  } else {
    const fs::path path = resolve(defining_file, file);
    std::error_code ec;
    pem = detail::read_file(path, ec);
    if (ec) throw config_error(where + ": cannot read " + file_field + " " + path.string() + ": " + ec.message());
    source = file_field + " " + path.string();
  }
  const auto problem = is_key ? detail::check_private_key_pem(pem) : detail::check_certificate_pem(pem);
  if (problem)
    throw config_error(where + ": " + source + " is not a valid PEM " +
                       (is_key                                  ? "private key"
                        : file_field == "certificate-authority" ? "certificate bundle"
                                                                : "certificate") +
                       ": " + *problem);
  return pem;
}

}  // namespace kubeconfig_detail

KOPP_DECL Config load_kubeconfig(const KubeconfigOptions& options) {
  using namespace kubeconfig_detail;
  const getenv_fn getenv = options.getenv ? options.getenv : getenv_fn(&process_getenv);
  Merged merged = read_files(options, getenv);
  const std::string files = join(merged.files, ", ");

  // Context.
  std::string context_name = options.context.value_or(merged.current_context);
  if (context_name.empty())
    throw config_error("kubeconfig " + files + ": no current-context is set and no context was given");
  const auto context_it = merged.contexts.find(context_name);
  if (context_it == merged.contexts.end()) {
    std::string message = "kubeconfig " + files + ": context '" + context_name + "' not found";
    if (!options.context) message += " (it is the current-context in " + merged.current_context_file.string() + ")";
    throw config_error(message);
  }
  const ContextEntry& context = context_it->second;
  const std::string context_where = "context '" + context_name + "' in " + context.file.string();
  if (context.cluster.empty()) throw config_error(context_where + " names no cluster");

  Config config;
  config.source = "kubeconfig " + join(merged.files, ":") + " (context " + context_name + ")";
  config.default_namespace =
      options.namespace_override.value_or(context.namespace_.empty() ? std::string("default") : context.namespace_);

  // Cluster.
  const auto cluster_it = merged.clusters.find(context.cluster);
  if (cluster_it == merged.clusters.end())
    throw config_error(context_where + " refers to cluster '" + context.cluster + "', which is not defined in " +
                       files);
  const ClusterEntry& cluster = cluster_it->second;
  const std::string cluster_where = "cluster '" + context.cluster + "' in " + cluster.file.string();
  if (cluster.server.empty()) throw config_error(cluster_where + " has no server");
  config.server = cluster.server;
  if (config.server.find("://") == std::string::npos) config.server = "https://" + config.server;
  config.tls_server_name = cluster.tls_server_name;
  config.proxy_url = cluster.proxy_url;
  config.insecure_skip_tls_verify = cluster.insecure;
  if (cluster.insecure && (!cluster.ca_data.empty() || !cluster.ca_file.empty()))
    throw config_error(cluster_where + " sets insecure-skip-tls-verify together with " +
                       (cluster.ca_data.empty() ? "certificate-authority" : "certificate-authority-data") +
                       "; like kubectl, kopp does not allow both: remove one");
  if (!cluster.ca_data.empty() || !cluster.ca_file.empty())
    config.ca_pem = load_pem(cluster_where, cluster.file, "certificate-authority-data", cluster.ca_data,
                             "certificate-authority", cluster.ca_file, false);

  // User (a context without a user is anonymous).
  if (context.user.empty()) return config;
  const auto user_it = merged.users.find(context.user);
  if (user_it == merged.users.end())
    throw config_error(context_where + " refers to user '" + context.user + "', which is not defined in " + files);
  const UserEntry& user = user_it->second;
  const std::string user_where = "user '" + context.user + "' in " + user.file.string();
  if (user.auth_provider)
    throw config_error(user_where + " uses auth-provider '" + *user.auth_provider +
                       "', which kopp does not support; use an exec plugin");
  if (user.basic_auth)
    throw config_error(user_where +
                       " uses basic authentication (username/password), which kopp "
                       "does not support; use a token, a client certificate or an exec plugin");
  if (user.impersonation) throw config_error(user_where + " uses impersonation ('as'), which kopp does not support");

  const bool has_cert = !user.cert_data.empty() || !user.cert_file.empty();
  const bool has_key = !user.key_data.empty() || !user.key_file.empty();
  if (has_cert != has_key)
    throw config_error(user_where + (has_cert ? " has a client certificate but no client-key"
                                              : " has a client key but no client-certificate"));
  if (has_cert) {
    config.client_cert_pem = load_pem(user_where, user.file, "client-certificate-data", user.cert_data,
                                      "client-certificate", user.cert_file, false);
    config.client_key_pem =
        load_pem(user_where, user.file, "client-key-data", user.key_data, "client-key", user.key_file, true);
    if (auto problem = detail::check_certificate_matches_key(config.client_cert_pem, config.client_key_pem))
      throw config_error(user_where + ": " + *problem);
  }

  if (user.exec && (!user.token.empty() || !user.token_file.empty()))
    throw config_error(user_where + " sets both exec and " + (user.token.empty() ? "tokenFile" : "token") +
                       "; use one of them");
  if (!user.token.empty()) {
    try {
      config.credentials = static_token(user.token);  // token wins over tokenFile, as in clientcmd
    } catch (const config_error& e) {
      throw config_error(user_where + ": token: " + e.what());
    }
  } else if (!user.token_file.empty()) {
    const fs::path path = resolve(user.file, user.token_file);
    config.credentials = token_file(path);
    try {
      (void)config.credentials->current();  // kubectl reads it at load time too
    } catch (const config_error& e) {
      throw config_error(user_where + ": tokenFile: " + e.what());
    }
  } else if (user.exec) {
    ExecPluginOptions exec_options;
    exec_options.kubeconfig = user.file;
    exec_options.user = context.user;
    ExecClusterInfo info;
    info.server = config.server;
    info.tls_server_name = config.tls_server_name;
    info.insecure_skip_tls_verify = config.insecure_skip_tls_verify;
    info.ca_pem = config.ca_pem;
    info.proxy_url = config.proxy_url;
    info.config = cluster.exec_extension;
    exec_options.cluster = std::move(info);
    config.credentials = exec_plugin(*user.exec, std::move(exec_options));
  }
  return config;
}

}  // namespace kopp
