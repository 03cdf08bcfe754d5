#pragma once
// RFC 6902 applied to a copy of the document. The status codes follow the kube-apiserver's
// patch handler (staging/src/k8s.io/apiserver/pkg/endpoints/handlers/patch.go): a body that
// does not decode as a list of operations is 400 BadRequest; more than 10000 operations is
// 413; any operation that fails to apply (unknown op, missing member, bad pointer, failed
// test) is 422 Invalid with the message "the server rejected our request due to an error in
// our request". The real server stops there; the fake appends which operation failed and why.

#include <boost/json/array.hpp>
#include <boost/json/kind.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kopp::testing::detail {
namespace json_patch_detail {

inline constexpr std::size_t max_operations = 10000;  // the apiserver's maxJSONPatchOperations
inline constexpr std::string_view rejected_message = "the server rejected our request due to an error in our request";

/// Why one operation could not be applied; apply_json_patch adds the operation's index, op and path.
struct OperationFailure {
  std::string reason;
};

/// How Go's encoding/json names a JSON kind in its "cannot unmarshal" errors.
inline std::string_view go_kind_name(const boost::json::value& value) {
  switch (value.kind()) {
    case boost::json::kind::array:
      return "array";
    case boost::json::kind::object:
      return "object";
    case boost::json::kind::string:
      return "string";
    case boost::json::kind::bool_:
      return "bool";
    case boost::json::kind::null:
      return "null";
    default:
      return "number";
  }
}

/// RFC 6902 section 4.6: numbers are equal when their values are, objects regardless of
/// member order, arrays element by element.
inline bool json_equal(const boost::json::value& left, const boost::json::value& right) {
  if (left.is_number() && right.is_number()) {
    if (left.is_double() || right.is_double()) return left.to_number<double>() == right.to_number<double>();
    if (left.is_int64() && right.is_int64()) return left.get_int64() == right.get_int64();
    if (left.is_uint64() && right.is_uint64()) return left.get_uint64() == right.get_uint64();
    const auto& signed_one = left.is_int64() ? left : right;
    const auto& unsigned_one = left.is_int64() ? right : left;
    return signed_one.get_int64() >= 0 &&
           static_cast<std::uint64_t>(signed_one.get_int64()) == unsigned_one.get_uint64();
  }
  if (left.kind() != right.kind()) return false;
  if (left.is_object()) {
    const auto& l = left.get_object();
    const auto& r = right.get_object();
    if (l.size() != r.size()) return false;
    for (const auto& member : l) {
      const auto* other = r.if_contains(member.key());
      if (other == nullptr || !json_equal(member.value(), *other)) return false;
    }
    return true;
  }
  if (left.is_array()) {
    const auto& l = left.get_array();
    const auto& r = right.get_array();
    if (l.size() != r.size()) return false;
    for (std::size_t i = 0; i < l.size(); ++i) {
      if (!json_equal(l[i], r[i])) return false;
    }
    return true;
  }
  return left == right;
}

/// RFC 6901 reference tokens of `pointer`; "" is the whole document.
inline std::vector<std::string> parse_pointer(std::string_view pointer) {
  std::vector<std::string> tokens;
  if (pointer.empty()) return tokens;
  if (pointer.front() != '/') throw OperationFailure{"a JSON pointer must be empty or start with \"/\""};
  std::string token;
  for (std::size_t i = 1; i <= pointer.size(); ++i) {
    if (i == pointer.size() || pointer[i] == '/') {
      tokens.push_back(std::move(token));
      token.clear();
    } else if (pointer[i] == '~') {
      const char next = i + 1 < pointer.size() ? pointer[i + 1] : '\0';
      if (next != '0' && next != '1') throw OperationFailure{"\"~\" must be escaped as \"~0\" in a JSON pointer"};
      token += next == '0' ? '~' : '/';
      ++i;
    } else {
      token += pointer[i];
    }
  }
  return tokens;
}

/// The array index a token names: digits without leading zeros (RFC 6901 section 4), below
/// `limit` (the size for an existing element, size + 1 where add may append).
inline std::size_t array_index(const std::string& token, std::size_t limit) {
  const bool digits_only = !token.empty() && token.find_first_not_of("0123456789") == std::string::npos;
  if (!digits_only || (token.size() > 1 && token.front() == '0')) {
    throw OperationFailure{"\"" + token + "\" is not an array index"};
  }
  // Longer than any index could be: out of range whatever the size (and no overflow below).
  if (token.size() > 18) throw OperationFailure{"array index " + token + " is out of range"};
  const std::size_t index = std::stoull(token);
  if (index >= limit) throw OperationFailure{"array index " + token + " is out of range"};
  return index;
}

/// The value the first `count` tokens designate; each must exist.
inline boost::json::value& resolve(boost::json::value& document, const std::vector<std::string>& tokens,
                                   std::size_t count) {
  boost::json::value* current = &document;
  for (std::size_t i = 0; i < count; ++i) {
    const std::string& token = tokens[i];
    if (auto* object = current->if_object()) {
      auto found = object->find(token);
      if (found == object->end()) throw OperationFailure{"member \"" + token + "\" does not exist"};
      current = &found->value();
    } else if (auto* array = current->if_array()) {
      current = &(*array)[array_index(token, array->size())];
    } else {
      throw OperationFailure{"\"" + token + "\" is inside a " + std::string(go_kind_name(*current)) +
                             ", not an object or array"};
    }
  }
  return *current;
}

inline boost::json::value& parent_of(boost::json::value& document, const std::vector<std::string>& tokens) {
  boost::json::value& parent = resolve(document, tokens, tokens.size() - 1);
  if (!parent.is_object() && !parent.is_array()) {
    throw OperationFailure{"the parent of \"" + tokens.back() + "\" is a " + std::string(go_kind_name(parent)) +
                           ", not an object or array"};
  }
  return parent;
}

inline void add_at(boost::json::value& document, const std::vector<std::string>& tokens, boost::json::value value) {
  if (tokens.empty()) {
    document = std::move(value);
    return;
  }
  boost::json::value& parent = parent_of(document, tokens);
  if (auto* object = parent.if_object()) {
    (*object)[tokens.back()] = std::move(value);
    return;
  }
  auto& array = parent.get_array();
  if (tokens.back() == "-") {
    array.push_back(std::move(value));
    return;
  }
  const std::size_t index = array_index(tokens.back(), array.size() + 1);
  array.insert(array.begin() + static_cast<std::ptrdiff_t>(index), std::move(value));
}

inline boost::json::value remove_at(boost::json::value& document, const std::vector<std::string>& tokens) {
  if (tokens.empty()) throw OperationFailure{"the whole document cannot be removed"};
  boost::json::value& parent = parent_of(document, tokens);
  if (auto* object = parent.if_object()) {
    auto found = object->find(tokens.back());
    if (found == object->end()) throw OperationFailure{"member \"" + tokens.back() + "\" does not exist"};
    boost::json::value removed = std::move(found->value());
    object->erase(found);
    return removed;
  }
  auto& array = parent.get_array();
  const std::size_t index = array_index(tokens.back(), array.size());
  boost::json::value removed = std::move(array[index]);
  array.erase(array.begin() + static_cast<std::ptrdiff_t>(index));
  return removed;
}

/// A member of the operation that must be a string when present (the apiserver decodes
/// op, path and from into Go strings: another kind is a 400).
inline const boost::json::string* string_member(const boost::json::object& operation, std::string_view name,
                                                std::size_t index) {
  const auto* member = operation.if_contains(name);
  if (member == nullptr || member->is_null()) return nullptr;
  if (!member->is_string()) {
    throw PatchError(400, "BadRequest",
                     "error decoding patch: json: cannot unmarshal " + std::string(go_kind_name(*member)) +
                         " into Go struct field jsonPatchOp." + std::string(name) + " of type string (operation " +
                         std::to_string(index) + ")");
  }
  return &member->get_string();
}

inline const boost::json::value& required_value(const boost::json::object& operation) {
  const auto* value = operation.if_contains("value");
  if (value == nullptr) throw OperationFailure{"the operation has no \"value\""};
  return *value;
}

inline std::vector<std::string> required_pointer(const boost::json::string* pointer, std::string_view name) {
  if (pointer == nullptr) throw OperationFailure{"the operation has no \"" + std::string(name) + "\""};
  return parse_pointer(*pointer);
}

inline void apply_operation(boost::json::value& document, const boost::json::object& operation, std::string_view op,
                            const boost::json::string* path, const boost::json::string* from) {
  if (op == "add") {
    add_at(document, required_pointer(path, "path"), required_value(operation));
  } else if (op == "remove") {
    remove_at(document, required_pointer(path, "path"));
  } else if (op == "replace") {
    const auto tokens = required_pointer(path, "path");
    resolve(document, tokens, tokens.size()) = required_value(operation);
  } else if (op == "move") {
    const auto source = required_pointer(from, "from");
    const auto target = required_pointer(path, "path");
    const bool into_itself = source.size() < target.size() && std::equal(source.begin(), source.end(), target.begin());
    if (into_itself) throw OperationFailure{"a value cannot be moved into one of its own children"};
    if (source == target) {
      resolve(document, source, source.size());  // still must exist
      return;
    }
    add_at(document, target, remove_at(document, source));
  } else if (op == "copy") {
    const auto source = required_pointer(from, "from");
    const auto target = required_pointer(path, "path");
    boost::json::value copied = resolve(document, source, source.size());
    add_at(document, target, std::move(copied));
  } else if (op == "test") {
    const auto tokens = required_pointer(path, "path");
    const boost::json::value& expected = required_value(operation);
    const boost::json::value& actual = resolve(document, tokens, tokens.size());
    if (!json_equal(actual, expected)) {
      throw OperationFailure{"test failed: the value is " + boost::json::serialize(actual) + ", not " +
                             boost::json::serialize(expected)};
    }
  } else {
    throw OperationFailure{"unknown op \"" + std::string(op) + "\""};
  }
}

}  // namespace json_patch_detail

inline boost::json::value apply_json_patch(const boost::json::value& document, const boost::json::value& patch) {
  namespace jp = json_patch_detail;
  const auto* operations = patch.if_array();
  if (operations == nullptr) {
    throw PatchError(400, "BadRequest",
                     "error decoding patch: json: cannot unmarshal " + std::string(jp::go_kind_name(patch)) +
                         " into Go value of type []handlers.jsonPatchOp (a JSON patch is an array of operations)");
  }
  if (operations->size() > jp::max_operations) {
    throw PatchError(413, "RequestEntityTooLarge",
                     "The allowed maximum operations in a JSON patch is " + std::to_string(jp::max_operations) +
                         ", got " + std::to_string(operations->size()));
  }
  // Decode every operation before applying any, as the apiserver decodes the whole body first.
  static const boost::json::object no_members;
  for (std::size_t index = 0; index < operations->size(); ++index) {
    const auto& operation = (*operations)[index];
    if (!operation.is_object() && !operation.is_null()) {
      throw PatchError(400, "BadRequest",
                       "error decoding patch: json: cannot unmarshal " + std::string(jp::go_kind_name(operation)) +
                           " into Go value of type handlers.jsonPatchOp (operation " + std::to_string(index) + ")");
    }
    const auto& members = operation.is_object() ? operation.get_object() : no_members;
    jp::string_member(members, "op", index);
    jp::string_member(members, "path", index);
    jp::string_member(members, "from", index);
  }

  boost::json::value result = document;
  for (std::size_t index = 0; index < operations->size(); ++index) {
    const auto& operation = (*operations)[index];
    const auto& members = operation.is_object() ? operation.get_object() : no_members;
    const auto* op = jp::string_member(members, "op", index);
    const auto* path = jp::string_member(members, "path", index);
    const auto* from = jp::string_member(members, "from", index);
    try {
      jp::apply_operation(result, members, op != nullptr ? std::string_view(*op) : std::string_view(), path, from);
    } catch (const jp::OperationFailure& failure) {
      std::string where = "operation " + std::to_string(index) + " (op \"" +
                          (op != nullptr ? std::string(*op) : std::string()) + "\", path \"" +
                          (path != nullptr ? std::string(*path) : std::string()) + "\"";
      if (from != nullptr) where += ", from \"" + std::string(*from) + "\"";
      throw PatchError(422, "Invalid", std::string(jp::rejected_message) + ": " + where + "): " + failure.reason);
    }
  }
  return result;
}

}  // namespace kopp::testing::detail
