#pragma once
// kopp::UnknownFields: the JSON members a described struct does not declare.
//
// Put one member of this type (any name) in a described struct. Decoding stores every
// key the struct does not know in it; encoding writes them back after the known members
// (a known member wins when both hold the same key). A read-modify-write update therefore
// never drops fields that a newer server or another controller wrote.

#include <kopp/core/detail/json_equal.hpp>

#include <boost/json/object.hpp>

namespace kopp {

struct UnknownFields {
  boost::json::object fields;

  [[nodiscard]] bool empty() const noexcept { return fields.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return fields.size(); }
  [[nodiscard]] bool contains(boost::json::string_view key) const { return fields.contains(key); }
  /// The unknown value stored under `key`, or nullptr.
  [[nodiscard]] const boost::json::value* find(boost::json::string_view key) const { return fields.if_contains(key); }

  friend bool operator==(const UnknownFields& a, const UnknownFields& b) {
    return detail::json_equal(a.fields, b.fields);
  }
};

}  // namespace kopp
