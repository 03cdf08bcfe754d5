#pragma once
// Definitions for kopp/core/crd/field_rules.hpp: the compile-time checks.

#include <kopp/core/crd/impl/member_kind.hpp>

#include <boost/mp11/algorithm.hpp>

namespace kopp::crd::detail {

constexpr bool is_number_kind(member_kind k) noexcept { return k == member_kind::integer || k == member_kind::number; }

constexpr bool is_object_kind(member_kind k) noexcept {
  return k == member_kind::object || k == member_kind::map || k == member_kind::any;
}

constexpr bool contains(const std::string_view* first, std::size_t count, std::string_view v) noexcept {
  for (std::size_t i = 0; i < count; ++i)
    if (first[i] == v) return true;
  return false;
}

/// Whether JSON text can be a value of kind k (its first character decides).
constexpr bool json_text_fits(member_kind k, std::string_view text) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\n' || text.front() == '\t')) text.remove_prefix(1);
  if (text.empty()) return false;
  const char c = text.front();
  switch (k) {
    case member_kind::object:
    case member_kind::map:
      return c == '{';
    case member_kind::array:
      return c == '[';
    case member_kind::any:
    case member_kind::custom:
      return true;
    case member_kind::string:
    case member_kind::time:
    case member_kind::enumeration:
      return c == '"';
    case member_kind::int_or_string:
      return c == '"' || c == '-' || (c >= '0' && c <= '9');
    case member_kind::integer:
    case member_kind::number:
      return c == '-' || (c >= '0' && c <= '9');
    case member_kind::boolean:
      return c == 't' || c == 'f';
    case member_kind::unsupported:
      return false;
  }
  return false;
}

/// The problem of one rule applied to a member of C++ type M, or "".
template <class M>
constexpr std::string_view rule_problem_for(const field_rule_data& r) {
  using U = typename unwrap_optional<M>::type;
  constexpr member_kind k = kind_of<U>();
  if constexpr (k == member_kind::unsupported) {
    return "the member's type has a custom JSON mapping but no CRD schema: specialise "
           "kopp::crd::schema_of<T> or declare kopp_crd_schema(T*)";
  } else {
    if (k == member_kind::custom) return {};
    if ((r.minimum || r.maximum) && !is_number_kind(k)) return "minimum/maximum need a number member";
    if ((r.min_length || r.max_length) && k != member_kind::string) return "min_length/max_length need a string member";
    if (!r.pattern.empty() && k != member_kind::string) return "pattern needs a string member";
    if ((r.min_items || r.max_items) && k != member_kind::array)
      return "min_items/max_items need an array (std::vector) member";
    if (!r.list_type.empty() && k != member_kind::array)
      return "list_type/list_map_keys need an array (std::vector) member";
    if ((r.min_properties || r.max_properties) && !is_object_kind(k))
      return "min_properties/max_properties need a map or struct member";
    if (r.preserve_unknown_fields && !is_object_kind(k))
      return "preserve_unknown_fields needs a map, struct or JSON member";
    if (!r.format.empty() && k != member_kind::string && !is_number_kind(k))
      return "format needs a string or number member";
    if (r.enum_count > 0) {
      if (k != member_kind::string && k != member_kind::enumeration) return "enum_values need a string or enum member";
      if constexpr (k == member_kind::enumeration) {
        constexpr auto& names = enum_keys<U>::values;
        for (std::size_t i = 0; i < r.enum_count; ++i)
          if (!contains(names.data(), names.size(), r.enum_values[i]))
            return "an enum_values entry is not an enumerator of the member's enum";
      }
    }
    if (r.default_value) {
      const rule_literal& d = *r.default_value;
      switch (d.kind) {
        case literal_kind::boolean:
          if (k != member_kind::boolean) return "a bool default needs a bool member";
          break;
        case literal_kind::integer:
          if (!is_number_kind(k) && k != member_kind::int_or_string)
            return "a number default needs a number or IntOrString member";
          if constexpr (kopp::detail::json_integer<U>) {
            if (!std::in_range<U>(d.number.integer)) return "the default is out of the member's integer range";
          }
          break;
        case literal_kind::number:
          if (k != member_kind::number) return "a fractional default needs a floating-point member";
          break;
        case literal_kind::string:
          if (k != member_kind::string && k != member_kind::enumeration && k != member_kind::time &&
              k != member_kind::int_or_string)
            return "a string default needs a string, enum, time or IntOrString member";
          if constexpr (k == member_kind::enumeration) {
            constexpr auto& names = enum_keys<U>::values;
            if (!contains(names.data(), names.size(), d.text))
              return "the default is not an enumerator of the member's enum";
          }
          if (r.min_length && static_cast<std::int64_t>(d.text.size()) < *r.min_length)
            return "the default is shorter than min_length";
          if (r.max_length && static_cast<std::int64_t>(d.text.size()) > *r.max_length)
            return "the default is longer than max_length";
          if (r.enum_count > 0 && !contains(r.enum_values.data(), r.enum_count, d.text))
            return "the default is not one of enum_values";
          break;
        case literal_kind::json:
          if (!json_text_fits(k, d.text)) return "default_json's text is not a JSON value of the member's type";
          break;
      }
      if (d.kind == literal_kind::integer || d.kind == literal_kind::number) {
        const double v = d.number.as_double();
        if (r.minimum && (r.exclusive_minimum ? v <= r.minimum->as_double() : v < r.minimum->as_double()))
          return "the default is below the minimum";
        if (r.maximum && (r.exclusive_maximum ? v >= r.maximum->as_double() : v > r.maximum->as_double()))
          return "the default is above the maximum";
      }
    }
    return {};
  }
}

}  // namespace kopp::crd::detail

namespace kopp::crd {

template <class T, std::size_t N>
constexpr rule_problem check_field_rules(const std::array<field_rule, N>& rules) {
  static_assert(kopp::detail::json_described_struct<T>,
                "kopp: field rules need a type described with BOOST_DESCRIBE_STRUCT");
  using info = kopp::detail::json_struct_info<T>;
  for (std::size_t i = 0; i < N; ++i) {
    const std::string_view name = rules[i].data().name;
    if (name.empty()) return {name, "a field rule needs the field's JSON key"};
    for (std::size_t j = 0; j < i; ++j)
      if (rules[j].data().name == name) return {name, "two rules name the same field"};
    bool found = false;
    for (std::size_t m = 0; m < info::size; ++m)
      if (!info::is_unknown_sink[m] && info::keys[m] == name) found = true;
    if (!found) return {name, "the type has no member with this JSON key"};
  }
  rule_problem problem{};
  boost::mp11::mp_for_each<boost::mp11::mp_iota_c<info::size>>([&](auto I) {
    using D = boost::mp11::mp_at_c<typename info::members, I>;
    using M = kopp::detail::json_member_t<T, D>;
    if (problem || info::is_unknown_sink[I]) return;
    for (std::size_t i = 0; i < N && !problem; ++i) {
      if (rules[i].data().name != info::keys[I]) continue;
      const std::string_view p = detail::rule_problem_for<M>(rules[i].data());
      if (!p.empty()) problem = rule_problem{info::keys[I], p};
    }
  });
  return problem;
}

template <class T>
constexpr rule_problem check_type_rule(const field_rule& rule) {
  const field_rule_data& r = rule.data();
  constexpr detail::member_kind k = detail::kind_of<T>();
  if (!r.name.empty()) return {r.name, "a type rule is made with kopp::crd::type_rule()"};
  if (r.required || r.nullable || r.minimum || r.maximum || r.min_length || r.max_length || r.min_items ||
      r.max_items || !r.pattern.empty() || !r.format.empty() || r.enum_count > 0 || r.default_value ||
      !r.list_type.empty())
    return {{},
            "a type rule takes only description, validation, preserve_unknown_fields "
            "and min/max_properties; put the others on the field"};
  if ((r.preserve_unknown_fields || r.min_properties || r.max_properties) && k != detail::member_kind::object)
    return {{}, "preserve_unknown_fields and min/max_properties need a struct type"};
  return {};
}

}  // namespace kopp::crd
