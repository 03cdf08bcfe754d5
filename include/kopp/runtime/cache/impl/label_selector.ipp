#pragma once

#include <kopp/runtime/cache/label_selector.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <stdexcept>

namespace kopp {
namespace detail {

KOPP_DECL bool label_alnum(char c) noexcept { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

/// A label name or value: alphanumerics with '-', '_', '.' inside, at most 63 characters.
KOPP_DECL bool valid_label_name(std::string_view s) noexcept {
  if (s.empty() || s.size() > 63) return false;
  if (!label_alnum(s.front()) || !label_alnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return label_alnum(c) || c == '-' || c == '_' || c == '.'; });
}

/// A DNS-1123 subdomain: lower-case alphanumerics, '-' and '.', at most 253 characters.
KOPP_DECL bool valid_dns_subdomain(std::string_view s) noexcept {
  if (s.empty() || s.size() > 253) return false;
  auto lower_alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!lower_alnum(s.front()) || !lower_alnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) { return lower_alnum(c) || c == '-' || c == '.'; });
}

KOPP_DECL bool valid_label_key(std::string_view key) noexcept {
  const auto slash = key.find('/');
  if (slash == std::string_view::npos) return valid_label_name(key);
  return valid_dns_subdomain(key.substr(0, slash)) && valid_label_name(key.substr(slash + 1));
}

KOPP_DECL bool valid_label_value(std::string_view value) noexcept { return value.empty() || valid_label_name(value); }

KOPP_DECL bool parse_label_integer(std::string_view s, long long& out) noexcept {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

/// Recursive-descent parser of selector text (see label_selector.hpp for the grammar).
class LabelSelectorParser {
 public:
  explicit LabelSelectorParser(std::string_view text) : text_(text) {}

  LabelSelector parse() {
    LabelSelector selector;
    skip_space();
    if (at_end()) return selector;
    for (;;) {
      selector.add(requirement());
      skip_space();
      if (at_end()) break;
      expect(',');
    }
    return selector;
  }

 private:
  static bool special(char c) noexcept {
    return c == '!' || c == '=' || c == '(' || c == ')' || c == ',' || c == '<' || c == '>' ||
           std::isspace(static_cast<unsigned char>(c));
  }
  bool at_end() const noexcept { return pos_ >= text_.size(); }
  char peek() const noexcept { return at_end() ? '\0' : text_[pos_]; }
  void skip_space() {
    while (!at_end() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  [[noreturn]] void fail(std::string_view what) const {
    throw std::invalid_argument("label selector \"" + std::string(text_) + "\" at position " + std::to_string(pos_) +
                                ": " + std::string(what));
  }
  void expect(char c) {
    skip_space();
    if (peek() != c) fail(std::string("expected '") + c + "'");
    ++pos_;
  }
  std::string_view identifier() {
    skip_space();
    const std::size_t start = pos_;
    while (!at_end() && !special(text_[pos_])) ++pos_;
    return text_.substr(start, pos_ - start);
  }
  std::string key() {
    const auto k = identifier();
    if (k.empty()) fail("expected a label key");
    if (!valid_label_key(k)) fail("invalid label key \"" + std::string(k) + "\"");
    return std::string(k);
  }
  std::string value() {
    const auto v = identifier();
    if (!valid_label_value(v)) fail("invalid label value \"" + std::string(v) + "\"");
    return std::string(v);
  }

  LabelSelector::Requirement requirement() {
    using op = LabelSelector::op;
    LabelSelector::Requirement r;
    skip_space();
    if (peek() == '!') {
      ++pos_;
      r.key = key();
      r.operation = op::does_not_exist;
      return r;
    }
    r.key = key();
    skip_space();
    if (at_end() || peek() == ',') {
      r.operation = op::exists;
      return r;
    }
    const char c = peek();
    if (c == '=') {
      ++pos_;
      if (peek() == '=') ++pos_;
      r.operation = op::equals;
      r.values.push_back(value());
      return r;
    }
    if (c == '!') {
      ++pos_;
      if (peek() != '=') fail("expected '=' after '!'");
      ++pos_;
      r.operation = op::not_equals;
      r.values.push_back(value());
      return r;
    }
    if (c == '<' || c == '>') {
      ++pos_;
      r.operation = c == '<' ? op::less_than : op::greater_than;
      const auto v = identifier();
      long long ignored = 0;
      if (!parse_label_integer(v, ignored)) fail("expected an integer after '" + std::string(1, c) + "'");
      r.values.emplace_back(v);
      return r;
    }
    const auto word = identifier();
    if (word == "in")
      r.operation = op::in;
    else if (word == "notin")
      r.operation = op::not_in;
    else
      fail("expected one of '=', '==', '!=', 'in', 'notin', '<', '>' after key \"" + r.key + "\"");
    expect('(');
    for (;;) {
      r.values.push_back(value());
      skip_space();
      if (peek() == ')') {
        ++pos_;
        break;
      }
      expect(',');
    }
    // `key in ()` is the set of the empty value, as on the server (apimachinery's parser).
    return r;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace detail

KOPP_DECL bool LabelSelector::Requirement::matches(const std::map<std::string, std::string>& labels) const {
  const auto it = labels.find(key);
  const bool present = it != labels.end();
  auto contains = [&](const std::string& v) { return std::binary_search(values.begin(), values.end(), v); };
  switch (operation) {
    case op::equals:
    case op::in:
      return present && contains(it->second);
    case op::not_equals:
    case op::not_in:
      return !present || !contains(it->second);
    case op::exists:
      return present;
    case op::does_not_exist:
      return !present;
    case op::greater_than:
    case op::less_than: {
      long long have = 0, bound = 0;
      if (!present || values.size() != 1) return false;
      if (!detail::parse_label_integer(it->second, have) || !detail::parse_label_integer(values.front(), bound))
        return false;
      return operation == op::greater_than ? have > bound : have < bound;
    }
  }
  return false;
}

KOPP_DECL LabelSelector LabelSelector::parse(std::string_view text) {
  return detail::LabelSelectorParser(text).parse();
}

KOPP_DECL LabelSelector LabelSelector::from_labels(const std::map<std::string, std::string>& labels) {
  LabelSelector selector;
  for (const auto& [k, v] : labels) {
    if (!detail::valid_label_key(k)) throw std::invalid_argument("invalid label key \"" + k + "\"");
    if (!detail::valid_label_value(v)) throw std::invalid_argument("invalid label value \"" + v + "\"");
    selector.add(Requirement{k, op::equals, {v}});
  }
  return selector;
}

KOPP_DECL LabelSelector& LabelSelector::add(Requirement requirement) {
  std::sort(requirement.values.begin(), requirement.values.end());
  requirement.values.erase(std::unique(requirement.values.begin(), requirement.values.end()), requirement.values.end());
  requirements_.push_back(std::move(requirement));
  // Sorted by key (stable for equal keys) so that equal selectors compare and print equal.
  std::stable_sort(requirements_.begin(), requirements_.end(),
                   [](const Requirement& a, const Requirement& b) { return a.key < b.key; });
  return *this;
}

KOPP_DECL bool LabelSelector::matches(const std::map<std::string, std::string>& labels) const {
  return std::all_of(requirements_.begin(), requirements_.end(),
                     [&](const Requirement& r) { return r.matches(labels); });
}

KOPP_DECL std::string LabelSelector::to_string() const {
  std::string out;
  for (const Requirement& r : requirements_) {
    if (!out.empty()) out += ',';
    auto joined = [&] {
      std::string list;
      // The empty value is a value too: {"", "a"} is "(,a)" (found by tests/fuzz).
      for (std::size_t i = 0; i < r.values.size(); ++i) {
        if (i > 0) list += ',';
        list += r.values[i];
      }
      return list;
    };
    switch (r.operation) {
      case op::equals:
        out += r.key + "=" + r.values.front();
        break;
      case op::not_equals:
        out += r.key + "!=" + r.values.front();
        break;
      case op::in:
        out += r.key + " in (" + joined() + ")";
        break;
      case op::not_in:
        out += r.key + " notin (" + joined() + ")";
        break;
      case op::exists:
        out += r.key;
        break;
      case op::does_not_exist:
        out += "!" + r.key;
        break;
      case op::greater_than:
        out += r.key + ">" + r.values.front();
        break;
      case op::less_than:
        out += r.key + "<" + r.values.front();
        break;
    }
  }
  return out;
}

}  // namespace kopp
