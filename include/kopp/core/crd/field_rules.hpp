#pragma once
// Validation and documentation of a custom resource's fields, declared in C++ next to the
// type and checked by the compiler against the type's described members.
//
//   struct MemcachedSpec {
//       std::int32_t size = 1;
//       std::optional<std::string> image;
//       std::optional<std::int32_t> port;
//   };
//   BOOST_DESCRIBE_STRUCT(MemcachedSpec, (), (size, image, port))
//   KOPP_CRD_FIELDS(MemcachedSpec,
//       kopp::crd::field("size").description("Number of pods").minimum(1).maximum(10).required(),
//       kopp::crd::field("image").description("Container image").default_value("memcached:1.6.38"),
//       kopp::crd::field("port").default_value(11211))
//   KOPP_CRD_DOC(MemcachedSpec, "MemcachedSpec defines the desired state of Memcached")
//
// Fields are named by their JSON key (`namespace_` is "namespace"). The macros go after
// BOOST_DESCRIBE_STRUCT, in the namespace of the type. A rule that names a missing field,
// or that does not fit the member's type (minimum on a string, pattern on a number, a
// default of the wrong JSON type or outside the bounds, an enum value that is not an
// enumerator), does not compile: the error shows
//   In instantiation of 'struct kopp::crd::detail::field_rule_error<
//       fixed_string<5>{"nmae"}, fixed_string<42>{"the type has no member with this JSON key"}>'
// check_field_rules<T>(rules) runs the same checks in a constant expression (for tests).
//
// Required-ness: a field is required only when its rule says `.required()`. kopp's encoder
// omits empty strings, containers and zero times, so "every plain member is required"
// would make the server reject objects that kopp itself writes.

#include <kopp/core/detail/json_traits.hpp>

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <type_traits>
#include <utility>

namespace kopp::crd {

inline constexpr std::size_t max_enum_values = 32;
inline constexpr std::size_t max_validations = 8;
inline constexpr std::size_t max_list_map_keys = 4;

/// A number known at compile time; an integer stays an integer in the schema.
struct rule_number {
  bool is_integer = true;
  std::int64_t integer = 0;
  double floating = 0;

  [[nodiscard]] constexpr double as_double() const noexcept {
    return is_integer ? static_cast<double>(integer) : floating;
  }
};

enum class literal_kind : unsigned char { boolean, integer, number, string, json };

/// A default value: a JSON scalar, or JSON text for objects and arrays.
struct rule_literal {
  literal_kind kind = literal_kind::json;
  bool boolean = false;
  rule_number number{};
  std::string_view text;  // the string, or the JSON text
};

/// An x-kubernetes-validations entry: a CEL rule and the message shown when it fails.
struct cel_validation {
  std::string_view rule;
  std::string_view message;
};

/// Everything a field_rule records.
struct field_rule_data {
  std::string_view name;  // JSON key; empty for a type rule
  std::string_view description;
  bool required = false;
  bool nullable = false;
  bool preserve_unknown_fields = false;
  std::optional<rule_number> minimum;
  std::optional<rule_number> maximum;
  bool exclusive_minimum = false;
  bool exclusive_maximum = false;
  std::optional<std::int64_t> min_length;
  std::optional<std::int64_t> max_length;
  std::optional<std::int64_t> min_items;
  std::optional<std::int64_t> max_items;
  std::optional<std::int64_t> min_properties;
  std::optional<std::int64_t> max_properties;
  std::string_view pattern;
  std::string_view format;
  std::array<std::string_view, max_enum_values> enum_values{};
  std::size_t enum_count = 0;
  std::optional<rule_literal> default_value;
  std::string_view list_type;  // "atomic", "set" or "map"
  std::array<std::string_view, max_list_map_keys> list_map_keys{};
  std::size_t list_map_key_count = 0;
  std::array<cel_validation, max_validations> validations{};
  std::size_t validation_count = 0;
};

namespace detail {
/// A number a schema bound (minimum, maximum) can be given as: any arithmetic type but bool.
template <class N>
concept schema_number = std::is_arithmetic_v<N> && !std::is_same_v<N, bool>;
}  // namespace detail

/// A constexpr builder of one field's (or one type's) schema additions. Each method
/// returns a modified copy, so rules read as one chained expression. Misuse that needs no
/// knowledge of the member (a negative length, minimum above maximum, an unknown list
/// type, too many enum values) throws; in KOPP_CRD_FIELDS that is a compile error.
class field_rule {
 public:
  constexpr explicit field_rule(std::string_view json_key) noexcept { d_.name = json_key; }

  [[nodiscard]] constexpr field_rule description(std::string_view text) const {
    field_rule r = *this;
    r.d_.description = text;
    return r;
  }
  /// The field must be present (listed in the parent's `required`).
  [[nodiscard]] constexpr field_rule required() const {
    field_rule r = *this;
    r.d_.required = true;
    return r;
  }
  [[nodiscard]] constexpr field_rule nullable() const {
    field_rule r = *this;
    r.d_.nullable = true;
    return r;
  }
  /// x-kubernetes-preserve-unknown-fields: the server keeps keys the schema lacks.
  [[nodiscard]] constexpr field_rule preserve_unknown_fields() const {
    field_rule r = *this;
    r.d_.preserve_unknown_fields = true;
    return r;
  }

  template <detail::schema_number N>
  [[nodiscard]] constexpr field_rule minimum(N value) const {
    field_rule r = *this;
    r.d_.minimum = number(value);
    r.check_bounds();
    return r;
  }
  template <detail::schema_number N>
  [[nodiscard]] constexpr field_rule maximum(N value) const {
    field_rule r = *this;
    r.d_.maximum = number(value);
    r.check_bounds();
    return r;
  }
  template <detail::schema_number N>
  [[nodiscard]] constexpr field_rule exclusive_minimum(N value) const {
    field_rule r = minimum(value);
    r.d_.exclusive_minimum = true;
    return r;
  }
  template <detail::schema_number N>
  [[nodiscard]] constexpr field_rule exclusive_maximum(N value) const {
    field_rule r = maximum(value);
    r.d_.exclusive_maximum = true;
    return r;
  }

  [[nodiscard]] constexpr field_rule min_length(std::int64_t n) const {
    return with_count(&field_rule_data::min_length, &field_rule_data::max_length, n, true);
  }
  [[nodiscard]] constexpr field_rule max_length(std::int64_t n) const {
    return with_count(&field_rule_data::max_length, &field_rule_data::min_length, n, false);
  }
  [[nodiscard]] constexpr field_rule min_items(std::int64_t n) const {
    return with_count(&field_rule_data::min_items, &field_rule_data::max_items, n, true);
  }
  [[nodiscard]] constexpr field_rule max_items(std::int64_t n) const {
    return with_count(&field_rule_data::max_items, &field_rule_data::min_items, n, false);
  }
  [[nodiscard]] constexpr field_rule min_properties(std::int64_t n) const {
    return with_count(&field_rule_data::min_properties, &field_rule_data::max_properties, n, true);
  }
  [[nodiscard]] constexpr field_rule max_properties(std::int64_t n) const {
    return with_count(&field_rule_data::max_properties, &field_rule_data::min_properties, n, false);
  }

  /// An ECMA-262 regular expression the whole string must match (anchor it yourself).
  [[nodiscard]] constexpr field_rule pattern(std::string_view regex) const {
    field_rule r = *this;
    r.d_.pattern = regex;
    return r;
  }
  /// OpenAPI format, e.g. "date-time", "email", "uri", "int32".
  [[nodiscard]] constexpr field_rule format(std::string_view name) const {
    field_rule r = *this;
    r.d_.format = name;
    return r;
  }
  /// The allowed strings (described enums get their enumerator names without this).
  [[nodiscard]] constexpr field_rule enum_values(std::initializer_list<std::string_view> values) const {
    if (values.size() == 0) throw std::invalid_argument("kopp: enum_values needs at least one value");
    if (values.size() > max_enum_values)
      throw std::length_error("kopp: enum_values takes at most kopp::crd::max_enum_values values");
    field_rule r = *this;
    r.d_.enum_count = 0;
    for (std::string_view v : values) r.d_.enum_values[r.d_.enum_count++] = v;
    return r;
  }

  /// The value the server fills in when the field is absent: a bool, a number or a
  /// string. It must fit the member's type (checked at compile time).
  template <class V>
  [[nodiscard]] constexpr field_rule default_value(V value) const {
    field_rule r = *this;
    rule_literal literal;
    if constexpr (std::is_same_v<V, bool>) {
      literal.kind = literal_kind::boolean;
      literal.boolean = value;
    } else if constexpr (std::is_arithmetic_v<V>) {
      literal.number = number(value);
      literal.kind = literal.number.is_integer ? literal_kind::integer : literal_kind::number;
    } else if constexpr (std::is_convertible_v<V, std::string_view>) {
      literal.kind = literal_kind::string;
      literal.text = std::string_view(value);
    } else {
      static_assert(kopp::detail::json_always_false<V>,
                    "kopp: default_value takes a bool, a number or a string; use "
                    "default_json for objects and arrays");
    }
    r.d_.default_value = literal;
    return r;
  }
  /// A default given as JSON text, for objects and arrays: default_json(R"({"a": 1})").
  /// It must be an object for struct and map fields and an array for vector fields.
  [[nodiscard]] constexpr field_rule default_json(std::string_view json_text) const {
    field_rule r = *this;
    rule_literal literal;
    literal.kind = literal_kind::json;
    literal.text = json_text;
    r.d_.default_value = literal;
    return r;
  }

  /// x-kubernetes-list-type: "atomic", "set" or "map".
  [[nodiscard]] constexpr field_rule list_type(std::string_view type) const {
    if (type != "atomic" && type != "set" && type != "map")
      throw std::invalid_argument("kopp: list_type must be \"atomic\", \"set\" or \"map\"");
    field_rule r = *this;
    r.d_.list_type = type;
    return r;
  }
  /// x-kubernetes-list-type: map with these x-kubernetes-list-map-keys.
  [[nodiscard]] constexpr field_rule list_map_keys(std::initializer_list<std::string_view> keys) const {
    if (keys.size() == 0 || keys.size() > max_list_map_keys)
      throw std::length_error("kopp: list_map_keys takes 1 to kopp::crd::max_list_map_keys keys");
    field_rule r = list_type("map");
    r.d_.list_map_key_count = 0;
    for (std::string_view k : keys) r.d_.list_map_keys[r.d_.list_map_key_count++] = k;
    return r;
  }

  /// An x-kubernetes-validations CEL rule (`self` is this field's value).
  [[nodiscard]] constexpr field_rule validation(std::string_view rule, std::string_view message) const {
    if (d_.validation_count == max_validations)
      throw std::length_error("kopp: at most kopp::crd::max_validations validations per field");
    if (rule.empty()) throw std::invalid_argument("kopp: a validation needs a CEL rule");
    field_rule r = *this;
    r.d_.validations[r.d_.validation_count++] = cel_validation{rule, message};
    return r;
  }

  [[nodiscard]] constexpr const field_rule_data& data() const noexcept { return d_; }

 private:
  template <class N>
  static constexpr rule_number number(N value) {
    rule_number n;
    if constexpr (std::is_integral_v<N>) {
      if (!std::in_range<std::int64_t>(value)) throw std::out_of_range("kopp: number out of the int64 range");
      n.is_integer = true;
      n.integer = static_cast<std::int64_t>(value);
    } else {
      n.is_integer = false;
      n.floating = static_cast<double>(value);
    }
    return n;
  }

  constexpr void check_bounds() const {
    if (d_.minimum && d_.maximum && d_.minimum->as_double() > d_.maximum->as_double())
      throw std::invalid_argument("kopp: minimum is greater than maximum");
  }

  constexpr field_rule with_count(std::optional<std::int64_t> field_rule_data::*set,
                                  std::optional<std::int64_t> field_rule_data::*other, std::int64_t n,
                                  bool is_lower) const {
    if (n < 0) throw std::invalid_argument("kopp: a length or count cannot be negative");
    field_rule r = *this;
    r.d_.*set = n;
    const std::optional<std::int64_t>& o = r.d_.*other;
    if (o && (is_lower ? n > *o : n < *o))
      throw std::invalid_argument("kopp: the lower limit is greater than the upper limit");
    return r;
  }

  field_rule_data d_{};
};

/// The rule for the field whose JSON key is `json_key`.
[[nodiscard]] constexpr field_rule field(std::string_view json_key) noexcept { return field_rule(json_key); }

/// Rules of a type itself (for KOPP_CRD_TYPE): description, validations (CEL on the whole
/// object, e.g. comparing two fields), preserve_unknown_fields, min/max_properties.
[[nodiscard]] constexpr field_rule type_rule() noexcept { return field_rule(std::string_view()); }

/// The first problem found in a set of field rules for T, or an empty problem.
struct rule_problem {
  std::string_view field;
  std::string_view problem;

  [[nodiscard]] constexpr explicit operator bool() const noexcept { return !problem.empty(); }
};

/// Checks field rules against described struct T (what KOPP_CRD_FIELDS static-asserts).
template <class T, std::size_t N>
[[nodiscard]] constexpr rule_problem check_field_rules(const std::array<field_rule, N>& rules);

/// Checks a type rule against T (what KOPP_CRD_TYPE static-asserts).
template <class T>
[[nodiscard]] constexpr rule_problem check_type_rule(const field_rule& rule);

namespace detail {
/// A string as a template argument, so that the compiler prints it in an error.
template <std::size_t N>
struct fixed_string {
  char text[N]{};
  constexpr explicit fixed_string(std::string_view s) noexcept {
    for (std::size_t i = 0; i + 1 < N && i < s.size(); ++i) text[i] = s[i];
  }
};

/// Instantiated with the field and the problem that KOPP_CRD_FIELDS / KOPP_CRD_TYPE found:
/// the failing assertion makes the compiler show both in "In instantiation of ...".
template <fixed_string Field, fixed_string Problem>
struct field_rule_error {
  static_assert(sizeof(Problem.text) == 1,
                "kopp: a CRD field rule does not fit its type; the field and the problem "
                "are the template arguments of field_rule_error above");
  static constexpr bool ok = true;
};

template <class... R>
constexpr std::array<field_rule, sizeof...(R)> make_field_rules(const R&... rules) {
  static_assert((std::is_same_v<R, field_rule> && ...),
                "kopp: KOPP_CRD_FIELDS takes kopp::crd::field(\"name\")... rules");
  return {rules...};
}
}  // namespace detail

}  // namespace kopp::crd

#define KOPP_CRD_DETAIL_ASSERT_FITS(...)                                                              \
  constexpr ::kopp::crd::rule_problem kopp_problem = __VA_ARGS__;                                     \
  static_assert(::kopp::crd::detail::field_rule_error<                                                \
                ::kopp::crd::detail::fixed_string<kopp_problem.field.size() + 1>(kopp_problem.field), \
                ::kopp::crd::detail::fixed_string<kopp_problem.problem.size() + 1>(kopp_problem.problem)>::ok)

/// Declares the field rules of described struct `Type` (see the header comment). Use at
/// namespace scope in the namespace that contains `Type`, after BOOST_DESCRIBE_STRUCT.
/// A trailing semicolon is optional.
#define KOPP_CRD_FIELDS(Type, ...)                                                  \
  [[maybe_unused]] constexpr auto kopp_crd_fields(const Type*) {                    \
    constexpr auto kopp_rules = ::kopp::crd::detail::make_field_rules(__VA_ARGS__); \
    KOPP_CRD_DETAIL_ASSERT_FITS(::kopp::crd::check_field_rules<Type>(kopp_rules));  \
    return kopp_rules;                                                              \
  }

/// Declares rules of `Type` itself: KOPP_CRD_TYPE(Spec, kopp::crd::type_rule()
///     .description("...").validation("self.min <= self.max", "min must not exceed max")).
/// At most one KOPP_CRD_TYPE or KOPP_CRD_DOC per type.
#define KOPP_CRD_TYPE(Type, Rule)                                                 \
  [[maybe_unused]] constexpr ::kopp::crd::field_rule kopp_crd_type(const Type*) { \
    constexpr ::kopp::crd::field_rule kopp_rule = Rule;                           \
    KOPP_CRD_DETAIL_ASSERT_FITS(::kopp::crd::check_type_rule<Type>(kopp_rule));   \
    return kopp_rule;                                                             \
  }

/// The description of `Type` in the schema (shorthand for KOPP_CRD_TYPE with a description).
#define KOPP_CRD_DOC(Type, Text) KOPP_CRD_TYPE(Type, ::kopp::crd::type_rule().description(Text))

#include <kopp/core/crd/impl/field_rules.hpp>
