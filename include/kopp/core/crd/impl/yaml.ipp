#pragma once

#include <kopp/core/crd/yaml.hpp>
// Definitions for kopp/core/crd/yaml.hpp.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <yaml-cpp/emitter.h>
#include <yaml-cpp/emittermanip.h>

#include <array>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace kopp::crd::detail {

/// Whether a plain (unquoted) scalar would not read back as this string in YAML 1.1 or
/// 1.2: empty, booleans and nulls of either version, and anything that starts like a number.
KOPP_DECL bool yaml_needs_quotes(std::string_view s) {
  if (s.empty()) return true;
  const char c = s.front();
  if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.') return true;
  static constexpr std::array<std::string_view, 14> words = {"y",   "yes",  "n", "no",  "true", "false", "on",
                                                             "off", "null", "~", "nan", "inf",  ".inf",  ".nan"};
  if (s.size() > 5) return false;
  std::string low(s);
  for (char& ch : low) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  for (std::string_view w : words)
    if (low == w) return true;
  return false;
}

KOPP_DECL void emit_string(YAML::Emitter& out, std::string_view s) {
  // Multi-line text is double-quoted too: a literal block would add a trailing newline.
  if (yaml_needs_quotes(s) || s.find('\n') != std::string_view::npos)
    out << YAML::DoubleQuoted << std::string(s);
  else
    out << std::string(s);
}

KOPP_DECL std::string yaml_double(double d) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", d);
  std::string text = buf;
  // "2" would read back as an integer.
  if (text.find_first_of(".eEn") == std::string::npos) text += ".0";
  return text;
}

KOPP_DECL void emit_value(YAML::Emitter& out, const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null:
      out << YAML::Null;
      break;
    case boost::json::kind::bool_:
      out << (v.get_bool() ? "true" : "false");
      break;
    case boost::json::kind::int64:
      out << std::to_string(v.get_int64());
      break;
    case boost::json::kind::uint64:
      out << std::to_string(v.get_uint64());
      break;
    case boost::json::kind::double_:
      out << yaml_double(v.get_double());
      break;
    case boost::json::kind::string:
      emit_string(out, v.get_string());
      break;
    case boost::json::kind::array:
      if (v.get_array().empty()) {
        out << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
        break;
      }
      out << YAML::BeginSeq;
      for (const boost::json::value& item : v.get_array()) emit_value(out, item);
      out << YAML::EndSeq;
      break;
    case boost::json::kind::object:
      if (v.get_object().empty()) {
        out << YAML::Flow << YAML::BeginMap << YAML::EndMap;
        break;
      }
      out << YAML::BeginMap;
      for (const auto& kv : v.get_object()) {
        out << YAML::Key;
        emit_string(out, kv.key());
        out << YAML::Value;
        emit_value(out, kv.value());
      }
      out << YAML::EndMap;
      break;
  }
}

}  // namespace kopp::crd::detail

namespace kopp::crd {

KOPP_DECL std::string to_yaml(const std::vector<boost::json::value>& documents) {
  YAML::Emitter out;
  out.SetIndent(2);
  for (const boost::json::value& document : documents) {
    out << YAML::BeginDoc;
    detail::emit_value(out, document);
  }
  std::string text = out.c_str();
  if (text.empty() || text.back() != '\n') text += '\n';
  return text;
}

KOPP_DECL std::string to_yaml(const boost::json::value& document) {
  return to_yaml(std::vector<boost::json::value>{document});
}

KOPP_DECL void print_yaml(std::ostream& out, const boost::json::value& document) { out << to_yaml(document); }

KOPP_DECL void print_yaml(std::ostream& out, const std::vector<boost::json::value>& documents) {
  out << to_yaml(documents);
}

}  // namespace kopp::crd
