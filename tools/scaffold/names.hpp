#pragma once
// The names a scaffolded project derives from what `kopp init` and `kopp create api` are
// given, and the checks that refuse a name Kubernetes or C++ would refuse later (with the
// rule it breaks, instead of a failed build or a rejected CRD half an hour on).

#include <cctype>
#include <stdexcept>
#include <string>
#include <string_view>

namespace kopp_scaffold {

/// A name the user gave that cannot be used: says which flag, the value and the rule.
class usage_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {

inline bool is_lower_alnum(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

inline bool is_dns_label(std::string_view s) noexcept {
  if (s.empty() || s.size() > 63 || !is_lower_alnum(s.front()) || !is_lower_alnum(s.back())) return false;
  for (char c : s)
    if (!is_lower_alnum(c) && c != '-') return false;
  return true;
}

[[noreturn]] inline void refuse(std::string_view flag, std::string_view value, std::string_view rule) {
  throw usage_error(std::string(flag) + " \"" + std::string(value) + "\": " + std::string(rule));
}

}  // namespace detail

/// --domain: a DNS subdomain (example.com); the API group of every kind ends with it.
inline void check_domain(std::string_view domain) {
  if (domain.empty() || domain.size() > 253) detail::refuse("--domain", domain, "must be 1-253 characters");
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = domain.find('.', start);
    const std::string_view label = domain.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (!detail::is_dns_label(label))
      detail::refuse("--domain", domain,
                     "must be a DNS subdomain: dot-separated labels of lowercase letters, digits and '-' "
                     "(example.com)");
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
}

/// --name: the operator's name (binary, Deployment, ServiceAccount): a DNS label that starts
/// with a letter, so that it also gives a C++ namespace.
inline void check_project_name(std::string_view name) {
  if (!detail::is_dns_label(name) || !(name.front() >= 'a' && name.front() <= 'z'))
    detail::refuse("--name", name,
                   "must be a DNS label that starts with a letter: lowercase letters, digits and '-', "
                   "at most 63 (my-operator)");
}

/// --group: the first label of the API group (cache in cache.example.com).
inline void check_group(std::string_view group) {
  if (!detail::is_dns_label(group) || !(group.front() >= 'a' && group.front() <= 'z'))
    detail::refuse("--group", group, "must be a DNS label that starts with a letter (cache, batch, webapp)");
}

/// --version: a Kubernetes API version: v1, v2beta1, v1alpha3.
inline void check_version(std::string_view version, std::string_view flag = "--version") {
  const auto digits = [](std::string_view s) {
    if (s.empty() || s.front() == '0') return false;
    for (char c : s)
      if (c < '0' || c > '9') return false;
    return true;
  };
  bool ok = version.size() >= 2 && version.front() == 'v';
  if (ok) {
    std::string_view rest = version.substr(1);
    const std::size_t letter = rest.find_first_not_of("0123456789");
    if (letter == std::string_view::npos) {
      ok = digits(rest);
    } else {
      const std::string_view major = rest.substr(0, letter);
      std::string_view stage = rest.substr(letter);
      if (stage.starts_with("alpha"))
        stage.remove_prefix(5);
      else if (stage.starts_with("beta"))
        stage.remove_prefix(4);
      else
        ok = false;
      ok = ok && digits(major) && digits(stage);
    }
  }
  if (!ok) detail::refuse(flag, version, "must be a Kubernetes API version: v1, v1alpha1, v2beta3");
}

/// --kind: UpperCamelCase, letters and digits (Memcached, CronTab).
inline void check_kind(std::string_view kind) {
  bool ok = !kind.empty() && kind.size() <= 63 && kind.front() >= 'A' && kind.front() <= 'Z';
  for (char c : kind) ok = ok && std::isalnum(static_cast<unsigned char>(c));
  if (!ok) detail::refuse("--kind", kind, "must be UpperCamelCase letters and digits (Memcached, CronTab)");
}

/// The C++ identifier of a project or kind name: '-' becomes '_' (my-operator ->
/// my_operator), letters are lowered (CronTab -> crontab).
inline std::string identifier(std::string_view name) {
  std::string out;
  for (char c : name) out += c == '-' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// The same in capitals, for CMake variables (MY_OPERATOR).
inline std::string upper_identifier(std::string_view name) {
  std::string out = identifier(name);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

/// The resource (plural) of a kind as kubebuilder derives it: lowercase, English plural
/// (Memcached -> memcacheds, Policy -> policies, Box -> boxes). --plural overrides it.
inline std::string default_plural(std::string_view kind) {
  std::string lower = identifier(kind);
  const auto ends_with = [&](std::string_view suffix) { return lower.ends_with(suffix); };
  if (ends_with("s") || ends_with("x") || ends_with("z") || ends_with("ch") || ends_with("sh")) return lower + "es";
  if (lower.size() >= 2 && ends_with("y") &&
      std::string_view("aeiou").find(lower[lower.size() - 2]) == std::string_view::npos)
    return lower.substr(0, lower.size() - 1) + "ies";
  return lower + "s";
}

/// --plural: lowercase letters and digits, a DNS label.
inline void check_plural(std::string_view plural) {
  if (!detail::is_dns_label(plural) || plural.find('-') != std::string_view::npos)
    detail::refuse("--plural", plural, "must be lowercase letters and digits (memcacheds)");
}

}  // namespace kopp_scaffold
