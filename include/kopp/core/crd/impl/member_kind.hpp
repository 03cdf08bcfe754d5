#pragma once
// Private: what kind of schema node a C++ type becomes, shared by the compile-time checks
// of field rules and by the schema generator, plus the schema customisation points.

#include <kopp/core/condition.hpp>
#include <kopp/core/int_or_string.hpp>
#include <kopp/core/object_meta.hpp>
#include <kopp/core/quantity.hpp>
#include <kopp/core/raw_json.hpp>
#include <kopp/core/time.hpp>
#include <kopp/core/detail/json_traits.hpp>

#include <boost/describe/enumerators.hpp>
#include <boost/json/object.hpp>

#include <array>
#include <concepts>
#include <string_view>
#include <type_traits>

namespace kopp::crd {

/// Specialise for types you cannot change:
///   template <> struct kopp::crd::schema_of<Money> {
///       static boost::json::object schema() { return {{"type", "string"}}; }
///   };
/// The primary template is empty: it means "not customised".
template <class T>
struct schema_of {};

}  // namespace kopp::crd

namespace kopp::crd::detail {

template <class T>
concept has_schema_specialisation = requires {
  { ::kopp::crd::schema_of<T>::schema() } -> std::convertible_to<boost::json::object>;
};

namespace schema_adl {
void kopp_crd_schema() = delete;
template <class T>
concept has_hook = requires(T* t) {
  { kopp_crd_schema(t) } -> std::convertible_to<boost::json::object>;
};
template <class T>
boost::json::object call(T* t) {
  return kopp_crd_schema(t);
}

void kopp_crd_fields() = delete;
template <class T>
concept has_fields = requires(const T* t) {
  kopp_crd_fields(t);
};

void kopp_crd_type() = delete;
template <class T>
concept has_type_rule = requires(const T* t) {
  kopp_crd_type(t);
};
}  // namespace schema_adl

template <class T>
concept has_custom_schema = has_schema_specialisation<T> || schema_adl::has_hook<T>;

template <class T>
concept has_custom_json = kopp::detail::json_has_codec_to<T> || kopp::detail::json_adl::has_to<T>;

enum class member_kind {
  boolean,
  integer,
  number,
  string,
  enumeration,  // a described enum: string with enum values
  array,
  map,            // object with additionalProperties
  object,         // object with properties (or opaque object)
  int_or_string,  // x-kubernetes-int-or-string
  time,           // string, date-time
  any,            // x-kubernetes-preserve-unknown-fields, no type
  custom,         // the user's schema: rules are not checked
  unsupported,
};

template <class T>
struct unwrap_optional {
  using type = T;
};
template <class T>
struct unwrap_optional<std::optional<T>> {
  using type = T;
};

template <class T>
constexpr member_kind kind_of() noexcept {
  using kopp::detail::json_described_enum;
  using kopp::detail::json_described_struct;
  using kopp::detail::json_integer;
  using kopp::detail::json_is_optional;
  using kopp::detail::json_is_string_map;
  using kopp::detail::json_is_vector;
  if constexpr (has_custom_schema<T>)
    return member_kind::custom;
  else if constexpr (std::is_same_v<T, Time> || std::is_same_v<T, MicroTime>)
    return member_kind::time;
  else if constexpr (std::is_same_v<T, IntOrString> || std::is_same_v<T, Quantity>)
    return member_kind::int_or_string;
  else if constexpr (std::is_same_v<T, RawJson>)
    return member_kind::any;
  else if constexpr (std::is_same_v<T, ObjectMeta> || std::is_same_v<T, Condition>)
    return member_kind::object;
  else if constexpr (has_custom_json<T>)
    return member_kind::unsupported;
  else if constexpr (std::is_same_v<T, boost::json::value>)
    return member_kind::any;
  else if constexpr (std::is_same_v<T, boost::json::object>)
    return member_kind::object;
  else if constexpr (std::is_same_v<T, boost::json::array>)
    return member_kind::array;
  else if constexpr (std::is_same_v<T, boost::json::string> || std::is_same_v<T, std::string>)
    return member_kind::string;
  else if constexpr (std::is_same_v<T, bool>)
    return member_kind::boolean;
  else if constexpr (json_integer<T>)
    return member_kind::integer;
  else if constexpr (std::is_floating_point_v<T>)
    return member_kind::number;
  else if constexpr (json_is_optional<T>::value)
    return kind_of<typename T::value_type>();
  else if constexpr (json_is_vector<T>::value)
    return member_kind::array;
  else if constexpr (json_is_string_map<T>::value)
    return member_kind::map;
  else if constexpr (json_described_enum<T>)
    return member_kind::enumeration;
  else if constexpr (json_described_struct<T>)
    return member_kind::object;
  else
    return member_kind::unsupported;
}

/// JSON names of a described enum's enumerators.
template <class E>
struct enum_keys {
  template <template <class...> class L, class... D>
  static constexpr std::array<std::string_view, sizeof...(D)> make(L<D...>*) {
    return {kopp::detail::json_key(D::name)...};
  }
  static constexpr auto values = make(static_cast<boost::describe::describe_enumerators<E>*>(nullptr));
};

}  // namespace kopp::crd::detail
