#pragma once
// meta/v1 ManagedFieldsEntry and FieldsV1: server-side apply's record of which manager owns
// which fields of an object.
//
// FieldsV1 keeps its trie as compact JSON text, as client-go keeps it as raw bytes. Every
// cached object that keeps managedFields holds one trie per writer, and a parsed
// boost::json tree of one costs about five times its text (a hash table per nested
// object); controllers almost never look inside it.

#include <kopp/core/detail/config.hpp>
#include <kopp/core/json.hpp>
#include <kopp/core/json_error.hpp>
#include <kopp/core/time.hpp>
#include <kopp/core/unknown_fields.hpp>

#include <boost/describe/class.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <utility>

namespace kopp {

class FieldsV1 {
 public:
  FieldsV1() = default;
  /// The trie as a JSON object, e.g. {"f:data": {"f:key": {}}}.
  explicit FieldsV1(const boost::json::value& trie) : text_(detail::json_serialize(trie)) {}

  /// Compact JSON text of the trie; empty when the entry has none.
  [[nodiscard]] const std::string& text() const noexcept { return text_; }
  [[nodiscard]] bool empty() const noexcept { return text_.empty(); }
  /// The trie parsed (null when empty).
  [[nodiscard]] boost::json::value value() const {
    return text_.empty() ? boost::json::value() : boost::json::parse(text_, {}, json_parse_options());
  }

  friend bool operator==(const FieldsV1&, const FieldsV1&) = default;

  friend boost::json::value kopp_to_json(const FieldsV1& f) { return f.value(); }
  friend void kopp_from_json(const boost::json::value& v, FieldsV1& out, json_path& path) {
    if (!v.is_object()) path.fail("expected an object (a FieldsV1 trie)");
    detail::json_check_finite(v, path);  // else the text would not parse again (`Infinity`)
    out.text_ = detail::json_serialize(v);
  }

 private:
  std::string text_;
};

struct ManagedFieldsEntry {
  /// The version of the resource the field set applies to.
  std::string apiVersion;
  /// The format of fieldsV1: "FieldsV1".
  std::string fieldsType;
  FieldsV1 fieldsV1;
  /// Who manages these fields: the field manager of the request that wrote them.
  std::string manager;
  /// "Apply" or "Update".
  std::string operation;
  /// The subresource written through ("status"), or empty for the main resource.
  std::string subresource;
  /// When the entry was last changed.
  std::optional<Time> time;
  UnknownFields unknown_fields;

  friend bool operator==(const ManagedFieldsEntry&, const ManagedFieldsEntry&) = default;
};
BOOST_DESCRIBE_STRUCT(ManagedFieldsEntry, (),
                      (apiVersion, fieldsType, fieldsV1, manager, operation, subresource, time, unknown_fields))

}  // namespace kopp

#if !KOPP_HEADER_ONLY
// Compiled mode: the JSON codecs are compiled once (core/impl/codecs.ipp).
#include <kopp/core/json.hpp>

KOPP_JSON_CODEC_EXTERN(kopp::ManagedFieldsEntry);
#endif
