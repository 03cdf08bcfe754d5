#pragma once
// metadata.name rules, with the messages apimachinery's validators give (IsDNS1123Subdomain,
// IsDNS1123Label, IsDNS1035Label), and generateName's random suffix.

#include <kopp/testing/detail/fake_resource_registry.hpp>

#include <cctype>
#include <optional>
#include <random>
#include <string>
#include <string_view>

namespace kopp::testing::detail {

inline bool is_dns_label_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }
inline bool is_alnum_lower(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

inline bool is_dns1123_label(std::string_view s) {
  if (s.empty() || s.size() > 63 || !is_alnum_lower(s.front()) || !is_alnum_lower(s.back())) return false;
  for (char c : s)
    if (!is_dns_label_char(c)) return false;
  return true;
}

inline bool is_dns1123_subdomain(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = s.find('.', start);
    const std::string_view part = s.substr(start, dot == std::string_view::npos ? s.size() - start : dot - start);
    if (part.empty() || !is_alnum_lower(part.front()) || !is_alnum_lower(part.back())) return false;
    for (char c : part)
      if (!is_dns_label_char(c)) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

/// Why `name` breaks `rule` (the text after `Invalid value: "<name>": `), or nullopt.
inline std::optional<std::string> name_problem(std::string_view name, NameRule rule) {
  switch (rule) {
    case NameRule::dns1123_subdomain:
      if (name.size() > 253) return "must be no more than 253 characters";
      if (is_dns1123_subdomain(name)) return std::nullopt;
      return "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and "
             "must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
             "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
    case NameRule::dns1123_label:
      if (name.size() > 63) return "must be no more than 63 characters";
      if (is_dns1123_label(name)) return std::nullopt;
      return "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start "
             "and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
             "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
    case NameRule::dns1035_label:
      if (name.size() > 63) return "must be no more than 63 characters";
      if (is_dns1123_label(name) && std::isalpha(static_cast<unsigned char>(name.front()))) return std::nullopt;
      return "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
             "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for "
             "validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
  }
  return std::nullopt;
}

/// generateName's name: the prefix (cut to 58 characters) and 5 random characters from the
/// alphabet apimachinery's names.SimpleNameGenerator uses (no vowels, no confusable digits).
inline std::string generate_name(std::string_view prefix, std::mt19937_64& random) {
  static constexpr std::string_view alphabet = "bcdfghjklmnpqrstvwxz2456789";
  std::string name(prefix.substr(0, 58));
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  for (int i = 0; i < 5; ++i) name += alphabet[pick(random)];
  return name;
}

/// A random (version 4) UUID, as the API server gives metadata.uid.
inline std::string random_uuid(std::mt19937_64& random) {
  static constexpr char hex[] = "0123456789abcdef";
  std::uniform_int_distribution<int> nibble(0, 15);
  std::string out;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) out += '-';
    int value = nibble(random);
    if (i == 12) value = 4;
    if (i == 16) value = 8 | (value & 3);
    out += hex[value];
  }
  return out;
}

}  // namespace kopp::testing::detail
