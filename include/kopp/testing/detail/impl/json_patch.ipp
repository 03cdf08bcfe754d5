#pragma once

#include <kopp/testing/detail/json_patch.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace kopp::testing::detail {

namespace json_patch_detail {

/// A JSON pointer (RFC 6901) split into unescaped tokens; throws `fail` for a malformed one.
template <class Fail>
std::vector<std::string> tokens_of(std::string_view pointer, Fail fail) {
  std::vector<std::string> tokens;
  if (pointer.empty()) return tokens;
  if (pointer.front() != '/') fail("path \"" + std::string(pointer) + "\" does not start with '/'");
  pointer.remove_prefix(1);
  for (;;) {
    const auto slash = pointer.find('/');
    const std::string_view raw = pointer.substr(0, slash);
    std::string token;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '~') {
        token += raw[i];
        continue;
      }
      if (i + 1 < raw.size() && raw[i + 1] == '0')
        token += '~';
      else if (i + 1 < raw.size() && raw[i + 1] == '1')
        token += '/';
      else
        fail("path has an invalid escape (only ~0 and ~1 are allowed)");
      ++i;
    }
    tokens.push_back(std::move(token));
    if (slash == std::string_view::npos) break;
    pointer.remove_prefix(slash + 1);
  }
  return tokens;
}

/// An array index token: digits without a leading zero; "-" is the end for add.
inline bool parse_index(const std::string& token, std::size_t& index) {
  if (token.empty() || token.size() > 18 || (token.size() > 1 && token[0] == '0')) return false;
  index = 0;
  for (char c : token) {
    if (c < '0' || c > '9') return false;
    index = index * 10 + static_cast<std::size_t>(c - '0');
  }
  return true;
}

}  // namespace json_patch_detail

inline boost::json::value apply_json_patch(const boost::json::value& document, const boost::json::value& patch) {
  using namespace json_patch_detail;
  if (!patch.is_array()) throw PatchError(400, "BadRequest", "json patch: the patch is not a JSON array of operations");
  boost::json::value result = document;
  std::size_t index = 0;
  for (const auto& operation : patch.get_array()) {
    std::string op_name = "?", path_text;
    // 422 as the API server: a patch it parsed but could not apply.
    auto fail = [&](const std::string& why) -> void {
      throw PatchError(
          422, "Invalid",
          "json patch operation " + std::to_string(index) + " (" + op_name + " " + path_text + "): " + why);
    };
    if (!operation.is_object()) fail("the operation is not a JSON object");
    const auto& fields = operation.get_object();
    const auto* op = fields.if_contains("op");
    const auto* path = fields.if_contains("path");
    if (!op || !op->is_string()) fail("missing \"op\"");
    op_name = std::string(op->get_string());
    if (!path || !path->is_string()) fail("missing \"path\"");
    path_text = std::string(path->get_string());
    const auto tokens = tokens_of(path_text, fail);
    auto value_of = [&](const char* name) -> const boost::json::value& {
      const auto* v = fields.if_contains(name);
      if (!v) fail(std::string("missing \"") + name + "\"");
      return *v;
    };
    // The container of the path's last token, and that token.
    auto parent_of = [&](const std::vector<std::string>& at) -> boost::json::value& {
      boost::json::value* node = &result;
      for (std::size_t i = 0; i + 1 < at.size(); ++i) {
        if (auto* object = node->if_object()) {
          node = object->if_contains(at[i]);
        } else if (auto* array = node->if_array()) {
          std::size_t n = 0;
          node = parse_index(at[i], n) && n < array->size() ? &(*array)[n] : nullptr;
        } else {
          node = nullptr;
        }
        if (!node) fail("path does not exist");
      }
      return *node;
    };
    auto get = [&](const std::vector<std::string>& at) -> boost::json::value {
      if (at.empty()) return result;
      auto& parent = parent_of(at);
      if (auto* object = parent.if_object()) {
        if (auto* v = object->if_contains(at.back())) return *v;
      } else if (auto* array = parent.if_array()) {
        std::size_t n = 0;
        if (parse_index(at.back(), n) && n < array->size()) return (*array)[n];
      }
      fail("path does not exist");
      return nullptr;
    };
    auto remove = [&](const std::vector<std::string>& at) -> boost::json::value {
      if (at.empty()) fail("cannot remove the whole document");
      auto& parent = parent_of(at);
      if (auto* object = parent.if_object()) {
        auto found = object->find(at.back());
        if (found == object->end()) fail("path does not exist");
        boost::json::value removed = found->value();
        object->erase(found);
        return removed;
      }
      if (auto* array = parent.if_array()) {
        std::size_t n = 0;
        if (!parse_index(at.back(), n) || n >= array->size()) fail("array index out of range");
        boost::json::value removed = (*array)[n];
        array->erase(array->begin() + static_cast<std::ptrdiff_t>(n));
        return removed;
      }
      fail("path does not exist");
      return nullptr;
    };
    auto add = [&](const std::vector<std::string>& at, boost::json::value v) {
      if (at.empty()) {
        result = std::move(v);
        return;
      }
      auto& parent = parent_of(at);
      if (auto* object = parent.if_object()) {
        (*object)[at.back()] = std::move(v);
      } else if (auto* array = parent.if_array()) {
        std::size_t n = 0;
        if (at.back() == "-")
          n = array->size();
        else if (!parse_index(at.back(), n) || n > array->size())
          fail("array index out of range");
        array->insert(array->begin() + static_cast<std::ptrdiff_t>(n), std::move(v));
      } else {
        fail("path does not exist");
      }
    };
    if (op_name == "add") {
      add(tokens, value_of("value"));
    } else if (op_name == "remove") {
      remove(tokens);
    } else if (op_name == "replace") {
      const boost::json::value v = value_of("value");
      remove(tokens);
      add(tokens, v);
    } else if (op_name == "move" || op_name == "copy") {
      const auto& from = value_of("from");
      if (!from.is_string()) fail("\"from\" is not a string");
      const auto from_tokens = tokens_of(from.get_string(), fail);
      if (op_name == "move" && from_tokens.size() < tokens.size() &&
          std::equal(from_tokens.begin(), from_tokens.end(), tokens.begin()))
        fail("cannot move a value into itself");
      boost::json::value v = op_name == "move" ? remove(from_tokens) : get(from_tokens);
      add(tokens, std::move(v));
    } else if (op_name == "test") {
      if (get(tokens) != value_of("value"))
        fail("testing value " + boost::json::serialize(value_of("value")) + " failed");
    } else {
      fail("unknown op");
    }
    ++index;
  }
  return result;
}

}  // namespace kopp::testing::detail
