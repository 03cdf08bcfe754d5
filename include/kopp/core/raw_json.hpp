#pragma once
// kopp::RawJson: a JSON value kept as it is, for the parts of Kubernetes objects whose
// shape is not fixed: runtime.RawExtension (ControllerRevision.data), apiextensions' JSON
// and JSONSchemaProps (a CRD's schema, which is recursive), FieldsV1 (managed fields) and
// any object marked x-kubernetes-preserve-unknown-fields.
//
// It encodes to exactly the value it decoded, so a read-modify-write round trip keeps it
// semantically unchanged. A default RawJson holds null, which kopp's mapping treats as
// "absent": a member of this type is omitted until it holds something. Decoding copies the
// value into the default allocator, so a RawJson never refers to a parser's arena.

#include <kopp/core/json.hpp>
#include <kopp/core/json_error.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <ostream>
#include <string>
#include <utility>

namespace kopp {

class RawJson {
 public:
  RawJson() noexcept = default;
  RawJson(boost::json::value value) : value_(std::move(value), boost::json::storage_ptr()) {}

  /// The value; null when nothing was set.
  [[nodiscard]] const boost::json::value& value() const noexcept { return value_; }
  [[nodiscard]] boost::json::value& value() noexcept { return value_; }
  [[nodiscard]] bool is_null() const noexcept { return value_.is_null(); }

  /// Compact JSON text of the value.
  [[nodiscard]] std::string to_string() const { return detail::json_serialize(value_); }

  friend bool operator==(const RawJson& a, const RawJson& b) { return detail::json_equal(a.value_, b.value_); }

  friend std::ostream& operator<<(std::ostream& os, const RawJson& v) { return os << v.value_; }

  friend boost::json::value kopp_to_json(const RawJson& v) { return v.value_; }
  friend void kopp_from_json(const boost::json::value& v, RawJson& out, json_path& path) {
    detail::json_check_finite(v, path);  // Boost.JSON would write Infinity back as `Infinity`
    out.value_ = boost::json::value(v, boost::json::storage_ptr());
  }

 private:
  boost::json::value value_;
};

}  // namespace kopp
