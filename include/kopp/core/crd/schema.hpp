#pragma once
// The OpenAPI v3 structural schema of a C++ type, as a CustomResourceDefinition carries it
// (spec.versions[].schema.openAPIV3Schema). Derived from Boost.Describe and kopp's JSON
// mapping (kopp/core/json.hpp), so the schema accepts exactly what kopp writes:
//
//   described struct      type: object, properties (member name == key, one trailing
//                         underscore dropped), required = fields whose rule says required()
//   kopp::UnknownFields   not a property; no x-kubernetes-preserve-unknown-fields unless a
//                         rule asks for it (the server would otherwise keep every typo)
//   std::string, bool     string, boolean
//   integers, floating    integer (format int32 up to 32 bits, else int64), number
//                         (format double; float for float)
//   std::optional<T>      the schema of T (not required)
//   std::vector<T>        array with items
//   std::map / unordered_map<std::string, T>   object with additionalProperties
//   described enum        string with enum: the enumerator names
//   kopp::IntOrString     x-kubernetes-int-or-string: true
//   kopp::Quantity        int-or-string with apimachinery's quantity pattern
//   kopp::Time/MicroTime  string, format date-time
//   kopp::ObjectMeta      type: object (the server has its own rules for metadata)
//   kopp::Condition       meta/v1 Condition, with the upstream required fields and limits
//   boost::json::value, kopp::RawJson   x-kubernetes-preserve-unknown-fields: true (any JSON)
//   boost::json::object   object with x-kubernetes-preserve-unknown-fields: true
//
// Field rules (kopp/core/crd/field_rules.hpp) add descriptions and validations.
// Customisation, checked first: a specialisation of kopp::crd::schema_of<T> with
// `static boost::json::object schema()`, or an ADL hook `boost::json::object
// kopp_crd_schema(T*)` (a hidden friend, or a function in T's namespace). A type with a
// custom JSON mapping (json_codec or kopp_to_json) and no schema customisation does not
// compile; the error names the type.

#include <kopp/core/detail/config.hpp>
#include <kopp/core/crd/field_rules.hpp>
#include <kopp/core/crd/impl/member_kind.hpp>

#include <boost/json/object.hpp>

#include <string>
#include <vector>

namespace kopp::crd {

/// The structural schema of T. Throws std::invalid_argument for a recursive type (a
/// CRD schema cannot refer to itself) or a default_json that is not valid JSON.
template <class T>
[[nodiscard]] boost::json::object schema();

/// x-kubernetes-int-or-string: true, with the anyOf that kubectl explain shows.
[[nodiscard]] boost::json::object int_or_string_schema();

/// A resource.Quantity ("500m", "1Gi", 2): int-or-string with apimachinery's quantity
/// pattern (the schema of kopp::Quantity).
[[nodiscard]] boost::json::object quantity_schema();

/// meta/v1 Condition: type, status, lastTransitionTime, reason and message required,
/// with the upstream patterns and lengths.
[[nodiscard]] boost::json::object condition_schema();

/// Any JSON value: x-kubernetes-preserve-unknown-fields: true and no type.
[[nodiscard]] boost::json::object any_json_schema();

/// Why `schema` is not structural (the apiserver rejects such CRDs), one line per
/// problem with its path, e.g. "spec.items: no type". Empty when it is structural.
[[nodiscard]] std::vector<std::string> structural_problems(const boost::json::object& schema);

}  // namespace kopp::crd

#include <kopp/core/crd/impl/schema.hpp>
#if KOPP_HEADER_ONLY
#include <kopp/core/crd/impl/schema.ipp>
#endif
