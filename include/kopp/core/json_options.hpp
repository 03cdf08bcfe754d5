#pragma once
// Per-struct options of kopp's JSON mapping that a type's header declares next to the
// type, without needing all of kopp/core/json.hpp.

#include <cstddef>
#include <string_view>

namespace kopp::detail {
/// Whether `name` is one of the comma-separated identifiers in `list` (the stringised
/// argument list of KOPP_JSON_OMIT_ZERO).
constexpr bool json_name_in_list(std::string_view name, std::string_view list) noexcept {
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item == name) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace kopp::detail

/// Omits the listed members of described struct `Type` when they equal their
/// default-constructed value (Go's omitempty on numbers and bools, which kopp otherwise
/// always writes). Use at namespace scope in the namespace that contains `Type`; name the
/// C++ members:
///   KOPP_JSON_OMIT_ZERO(ObjectMeta, generation)
#define KOPP_JSON_OMIT_ZERO(Type, ...)                                                                 \
  [[maybe_unused]] constexpr bool kopp_json_omit_zero(const Type*, std::string_view member) noexcept { \
    return ::kopp::detail::json_name_in_list(member, #__VA_ARGS__);                                    \
  }

/// Writes the listed members of described struct `Type` even when they are empty ("",
/// [], {}): for fields that Go serialises without omitempty and that the API server's
/// schema requires to be present (metav1.Condition's `message`). Use like
/// KOPP_JSON_OMIT_ZERO:
///   KOPP_JSON_KEEP_EMPTY(Condition, reason, message)
#define KOPP_JSON_KEEP_EMPTY(Type, ...)                                                                 \
  [[maybe_unused]] constexpr bool kopp_json_keep_empty(const Type*, std::string_view member) noexcept { \
    return ::kopp::detail::json_name_in_list(member, #__VA_ARGS__);                                     \
  }
