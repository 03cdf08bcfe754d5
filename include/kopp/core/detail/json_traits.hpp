#pragma once
// Private: type classification and per-struct member tables for kopp's JSON mapping.

#include <kopp/core/json_error.hpp>
#include <kopp/core/json_options.hpp>
#include <kopp/core/unknown_fields.hpp>

#include <boost/describe/enum.hpp>
#include <boost/describe/enumerators.hpp>
#include <boost/describe/members.hpp>
#include <boost/describe/modifiers.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>
#include <boost/mp11/algorithm.hpp>

#include <array>
#include <concepts>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

namespace kopp {
template <class T>
struct json_codec;
}  // namespace kopp

namespace kopp::detail {

template <class T>
inline constexpr bool json_always_false = false;

template <class T>
struct json_is_optional : std::false_type {};
template <class T>
struct json_is_optional<std::optional<T>> : std::true_type {};

template <class T>
struct json_is_vector : std::false_type {};
template <class T, class A>
struct json_is_vector<std::vector<T, A>> : std::true_type {};

template <class T>
struct json_is_string_map : std::false_type {};
template <class V, class C, class A>
struct json_is_string_map<std::map<std::string, V, C, A>> : std::true_type {};
template <class V, class H, class E, class A>
struct json_is_string_map<std::unordered_map<std::string, V, H, E, A>> : std::true_type {};

template <class T>
concept json_passthrough = std::same_as<T, boost::json::value> || std::same_as<T, boost::json::object> ||
    std::same_as<T, boost::json::array> || std::same_as<T, boost::json::string>;

template <class T>
concept json_integer =
    std::integral<T> && !std::same_as<T, bool> && !std::same_as<T, char> && !std::same_as<T, wchar_t> &&
    !std::same_as<T, char8_t> && !std::same_as<T, char16_t> && !std::same_as<T, char32_t>;

template <class T>
concept json_described_enum = std::is_enum_v<T> && boost::describe::has_describe_enumerators<T>::value;

template <class T>
concept json_described_struct = std::is_class_v<T> && boost::describe::has_describe_members<T>::value;

// A json_codec<T> specialisation is used before anything else.
template <class T>
concept json_has_codec_to = requires(const T& t) {
  { ::kopp::json_codec<T>::to_json(t) } -> std::convertible_to<boost::json::value>;
};
template <class T>
concept json_has_codec_from = requires(const boost::json::value& v, T& t, json_path& p) {
  ::kopp::json_codec<T>::from_json(v, t, p);
};

// ADL hooks. The deleted declarations stop ordinary lookup from reaching hooks declared
// in enclosing namespaces, so only hooks associated with T (found by ADL, typically
// hidden friends) count: an `int` never picks up IntOrString's hook through a conversion.
namespace json_adl {
void kopp_to_json() = delete;
void kopp_from_json() = delete;

template <class T>
concept has_to = requires(const T& t) {
  { kopp_to_json(t) } -> std::convertible_to<boost::json::value>;
};
template <class T>
concept has_from = requires(const boost::json::value& v, T& t, json_path& p) {
  kopp_from_json(v, t, p);
};

// Opt-in omitempty for members whose zero value is meaningful to omit (see
// KOPP_JSON_OMIT_ZERO).
void kopp_json_omit_zero() = delete;
template <class T>
concept has_omit_zero = requires(const T* t, std::string_view member) {
  { kopp_json_omit_zero(t, member) } -> std::same_as<bool>;
};
template <class T>
constexpr bool omit_zero(std::string_view member) noexcept {
  if constexpr (has_omit_zero<T>)
    return kopp_json_omit_zero(static_cast<const T*>(nullptr), member);
  else
    return false;
}

// Opt-out of omitempty for members Go serialises without it (see KOPP_JSON_KEEP_EMPTY).
void kopp_json_keep_empty() = delete;
template <class T>
concept has_keep_empty = requires(const T* t, std::string_view member) {
  { kopp_json_keep_empty(t, member) } -> std::same_as<bool>;
};
template <class T>
constexpr bool keep_empty(std::string_view member) noexcept {
  if constexpr (has_keep_empty<T>)
    return kopp_json_keep_empty(static_cast<const T*>(nullptr), member);
  else
    return false;
}

template <class T>
boost::json::value call_to(const T& t) {
  return kopp_to_json(t);
}
template <class T>
void call_from(const boost::json::value& v, T& t, json_path& p) {
  kopp_from_json(v, t, p);
}
}  // namespace json_adl

/// JSON key of a C++ member or enumerator name: a trailing underscore is dropped so that
/// keywords can be spelt (`namespace_` -> "namespace").
constexpr std::string_view json_key(const char* name) noexcept {
  std::string_view key(name);
  if (key.size() > 1 && key.back() == '_') key.remove_suffix(1);
  return key;
}

template <class T, class D>
using json_member_t = std::remove_cvref_t<decltype(std::declval<T&>().*D::pointer)>;

/// Compile-time table of a described struct's members: their JSON keys and which one, if
/// any, is the UnknownFields sink.
template <class T>
struct json_struct_info {
  using members = boost::describe::describe_members<T, boost::describe::mod_public | boost::describe::mod_inherited>;
  static constexpr std::size_t size = boost::mp11::mp_size<members>::value;

  template <template <class...> class L, class... D>
  static constexpr std::array<std::string_view, sizeof...(D)> make_keys(L<D...>*) {
    return {json_key(D::name)...};
  }
  template <template <class...> class L, class... D>
  static constexpr std::array<bool, sizeof...(D)> make_unknown_flags(L<D...>*) {
    return {std::is_same_v<json_member_t<T, D>, UnknownFields>...};
  }

  static constexpr std::array<std::string_view, size> keys = make_keys(static_cast<members*>(nullptr));
  static constexpr std::array<bool, size> is_unknown_sink = make_unknown_flags(static_cast<members*>(nullptr));

  static constexpr std::size_t unknown_index = [] {
    for (std::size_t i = 0; i < size; ++i)
      if (is_unknown_sink[i]) return i;
    return size;
  }();
  static constexpr std::size_t unknown_count = [] {
    std::size_t n = 0;
    for (std::size_t i = 0; i < size; ++i) n += is_unknown_sink[i] ? 1 : 0;
    return n;
  }();
  static_assert(unknown_count <= 1, "kopp: a described struct may have at most one kopp::UnknownFields member");

  /// Index of the member whose JSON key is `key`, or `size` when there is none.
  static std::size_t find(std::string_view key) noexcept {
    for (std::size_t i = 0; i < size; ++i)
      if (!is_unknown_sink[i] && keys[i] == key) return i;
    return size;
  }
};

}  // namespace kopp::detail
