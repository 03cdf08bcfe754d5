#pragma once
// Definitions for kopp/core/json.hpp.

#include <kopp/core/detail/json_traits.hpp>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/serializer.hpp>
#include <boost/mp11/algorithm.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <utility>
#include <vector>

namespace kopp::detail {

inline const char* json_kind_name(const boost::json::value& v) noexcept {
  switch (v.kind()) {
    case boost::json::kind::null:
      return "null";
    case boost::json::kind::bool_:
      return "bool";
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
      return "integer";
    case boost::json::kind::double_:
      return "number";
    case boost::json::kind::string:
      return "string";
    case boost::json::kind::array:
      return "array";
    case boost::json::kind::object:
      return "object";
  }
  return "unknown";
}

[[noreturn]] inline void json_fail_expected(json_path& path, std::string_view what, const boost::json::value& got) {
  std::string problem = "expected ";
  problem += what;
  problem += ", got ";
  problem += json_kind_name(got);
  path.fail(problem);
}

inline std::string json_format_double(double d) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.15g", d);
  if (std::strtod(buf, nullptr) != d) std::snprintf(buf, sizeof buf, "%.17g", d);
  return buf;
}

template <class I>
std::string json_integer_type_name() {
  return (std::is_signed_v<I> ? "int" : "uint") + std::to_string(sizeof(I) * 8);
}

template <class I>
[[noreturn]] void json_fail_range(json_path& path, std::string_view number) {
  std::string problem = "integer ";
  problem += number;
  problem += " out of range for ";
  problem += json_integer_type_name<I>();
  problem += " [";
  problem += std::to_string(std::numeric_limits<I>::min());
  problem += ", ";
  problem += std::to_string(std::numeric_limits<I>::max());
  problem += ']';
  path.fail(problem);
}

template <class I>
void json_decode_integer(const boost::json::value& v, I& out, json_path& path) {
  using limits = std::numeric_limits<I>;
  switch (v.kind()) {
    case boost::json::kind::int64: {
      const std::int64_t i = v.get_int64();
      if (!std::in_range<I>(i)) json_fail_range<I>(path, std::to_string(i));
      out = static_cast<I>(i);
      return;
    }
    case boost::json::kind::uint64: {
      const std::uint64_t u = v.get_uint64();
      if (!std::in_range<I>(u)) json_fail_range<I>(path, std::to_string(u));
      out = static_cast<I>(u);
      return;
    }
    case boost::json::kind::double_: {
      // JSON has one number type; an integral double such as 3e2 is accepted.
      const double d = v.get_double();
      if (!std::isfinite(d) || std::trunc(d) != d)
        path.fail("expected an integer, got number " + json_format_double(d));
      // 2^(digits) is exactly representable; comparing against it avoids the
      // rounding of limits::max() to double.
      const double upper = std::ldexp(1.0, limits::digits);
      const double lower = std::is_signed_v<I> ? -upper : 0.0;
      if (d < lower || d >= upper) json_fail_range<I>(path, json_format_double(d));
      out = static_cast<I>(d);
      return;
    }
    default:
      json_fail_expected(path, "an integer", v);
  }
}

// Boost.JSON 1.81 parses a number beyond double's range (9e999) as Infinity, and writes
// Infinity as `Infinity`, which is not JSON: a value kept verbatim (an unknown field, a
// boost::json::value member) would turn a read-modify-write into invalid JSON (found by
// tests/fuzz). Go's decoder refuses such numbers, so the API server never sends one.
inline constexpr std::string_view json_infinite_problem =
    "a number beyond the range of a double (JSON has no infinity)";

/// Fails at `path` when `v` holds a non-finite double anywhere. Iterative: `v` may be
/// json_max_depth levels deep.
inline void json_check_finite(const boost::json::value& v, json_path& path) {
  std::vector<const boost::json::value*> pending{&v};
  while (!pending.empty()) {
    const boost::json::value* next = pending.back();
    pending.pop_back();
    switch (next->kind()) {
      case boost::json::kind::double_:
        if (!std::isfinite(next->get_double())) path.fail(json_infinite_problem);
        break;
      case boost::json::kind::array:
        for (const auto& item : next->get_array()) pending.push_back(&item);
        break;
      case boost::json::kind::object:
        for (const auto& kv : next->get_object()) pending.push_back(&kv.value());
        break;
      default:
        break;
    }
  }
}

/// boost::json::serialize(v), without its cost on deep values. When Boost.JSON 1.81's
/// serializer fills its output buffer inside a value, it saves its place level by level in
/// a stack that grows by one entry per push, copying the whole stack each time: quadratic
/// in the depth (30 ms for one 10,000-level object; under AddressSanitizer two minutes and
/// 8 GB, found by tests/fuzz). Given a buffer the whole text fits in, it never saves its
/// place, so a deep value gets one of its worst-case size (every string character written
/// as a six-character escape). Iterative: `v` may be json_max_depth levels deep.
inline std::string json_serialize(const boost::json::value& v) {
  constexpr std::size_t shallow = 64;       // below this, the saved places cost nothing
  constexpr std::size_t number_chars = 32;  // Boost.JSON writes at most 26 for any number
  std::size_t bound = 0, depth = 0;
  std::vector<std::pair<const boost::json::value*, std::size_t>> pending{{&v, 1}};
  while (!pending.empty()) {
    const auto [next, level] = pending.back();
    pending.pop_back();
    depth = std::max(depth, level);
    switch (next->kind()) {
      case boost::json::kind::null:
      case boost::json::kind::bool_:
        bound += 5;
        break;
      case boost::json::kind::int64:
      case boost::json::kind::uint64:
      case boost::json::kind::double_:
        bound += number_chars;
        break;
      case boost::json::kind::string:
        bound += 2 + 6 * next->get_string().size();
        break;
      case boost::json::kind::array:
        bound += 2 + next->get_array().size();  // brackets and commas
        for (const auto& item : next->get_array()) pending.emplace_back(&item, level + 1);
        break;
      case boost::json::kind::object:
        bound += 2;
        for (const auto& kv : next->get_object()) {
          bound += 2 + 6 * kv.key().size() + 2;  // quotes, the key, colon and comma
          pending.emplace_back(&kv.value(), level + 1);
        }
        break;
    }
  }
  if (depth < shallow) return boost::json::serialize(v);
  std::string out(bound, '\0');
  boost::json::serializer serializer;
  serializer.reset(&v);
  std::size_t written = serializer.read(out.data(), out.size()).size();
  while (!serializer.done()) {  // only if the bound above were wrong: still correct, slower
    out.resize(out.size() * 2);
    written += serializer.read(out.data() + written, out.size() - written).size();
  }
  out.resize(written);
  return out;
}

template <class F>
void json_decode_floating(const boost::json::value& v, F& out, json_path& path) {
  switch (v.kind()) {
    case boost::json::kind::int64:
      out = static_cast<F>(v.get_int64());
      return;
    case boost::json::kind::uint64:
      out = static_cast<F>(v.get_uint64());
      return;
    case boost::json::kind::double_:
      if (!std::isfinite(v.get_double())) path.fail(json_infinite_problem);
      out = static_cast<F>(v.get_double());
      return;
    default:
      json_fail_expected(path, "a number", v);
  }
}

template <class E>
std::string json_enum_choices() {
  std::string out;
  boost::mp11::mp_for_each<boost::describe::describe_enumerators<E>>([&](auto D) {
    if (!out.empty()) out += ", ";
    out += '"';
    out += json_key(D.name);
    out += '"';
  });
  return out;
}

template <class E>
std::string_view json_enum_name(E e) {
  std::string_view name;
  bool found = false;
  boost::mp11::mp_for_each<boost::describe::describe_enumerators<E>>([&](auto D) {
    if (!found && D.value == e) {
      name = json_key(D.name);
      found = true;
    }
  });
  if (!found)
    throw json_error("$", "cannot encode enum value " + std::to_string(static_cast<std::underlying_type_t<E>>(e)) +
                              ": it is none of " + json_enum_choices<E>());
  return name;
}

template <class E>
void json_decode_enum(const boost::json::value& v, E& out, json_path& path) {
  if (!v.is_string()) json_fail_expected(path, "a string (one of " + json_enum_choices<E>() + ")", v);
  const boost::json::string& s = v.get_string();
  const std::string_view text(s.data(), s.size());
  bool found = false;
  boost::mp11::mp_for_each<boost::describe::describe_enumerators<E>>([&](auto D) {
    if (!found && json_key(D.name) == text) {
      out = D.value;
      found = true;
    }
  });
  if (!found) path.fail("expected one of " + json_enum_choices<E>() + ", got \"" + std::string(text) + "\"");
}

/// Kubernetes' omitempty, decided on the encoded value.
inline bool json_encodes_to_nothing(const boost::json::value& v) noexcept {
  switch (v.kind()) {
    case boost::json::kind::null:
      return true;
    case boost::json::kind::string:
      return v.get_string().empty();
    case boost::json::kind::array:
      return v.get_array().empty();
    case boost::json::kind::object:
      return v.get_object().empty();
    default:
      return false;
  }
}

template <class T>
boost::json::value json_encode(const T& x, const boost::json::storage_ptr& sp);

template <class T>
void json_decode(const boost::json::value& v, T& out, json_path& path);

template <class T>
boost::json::value json_encode_struct(const T& x, const boost::json::storage_ptr& sp) {
  using info = json_struct_info<T>;
  using members = typename info::members;
  boost::json::object obj(sp);
  std::size_t unknown_size = 0;
  if constexpr (info::unknown_index != info::size) {
    using D = boost::mp11::mp_at_c<members, info::unknown_index>;
    unknown_size = (x.*D::pointer).fields.size();
  }
  obj.reserve(info::size + unknown_size);
  boost::mp11::mp_for_each<boost::mp11::mp_iota_c<info::size>>([&](auto I) {
    using D = boost::mp11::mp_at_c<members, I>;
    using M = json_member_t<T, D>;
    constexpr std::string_view key = info::keys[I];
    const M& member = x.*D::pointer;
    if constexpr (std::is_same_v<M, UnknownFields>) {
      return;
    } else if constexpr (json_is_optional<M>::value) {
      if (!member.has_value()) return;
      boost::json::value encoded = json_encode(*member, sp);
      if (encoded.is_null()) return;
      obj.emplace(key, std::move(encoded));
    } else {
      if constexpr (json_adl::omit_zero<T>(std::string_view(D::name))) {
        if (member == M{}) return;
      }
      boost::json::value encoded = json_encode(member, sp);
      if constexpr (!json_adl::keep_empty<T>(std::string_view(D::name))) {
        if (json_encodes_to_nothing(encoded)) return;
      }
      obj.emplace(key, std::move(encoded));
    }
  });
  if constexpr (info::unknown_index != info::size) {
    using D = boost::mp11::mp_at_c<members, info::unknown_index>;
    // emplace never replaces: a known member wins over an unknown one with its key.
    for (const boost::json::key_value_pair& kv : (x.*D::pointer).fields) obj.emplace(kv.key(), kv.value());
  }
  return boost::json::value(std::move(obj));
}

template <class T>
void json_decode_struct(const boost::json::value& v, T& out, json_path& path) {
  using info = json_struct_info<T>;
  using members = typename info::members;
  if (!v.is_object()) json_fail_expected(path, "an object", v);
  for (const boost::json::key_value_pair& kv : v.get_object()) {
    const std::string_view key(kv.key().data(), kv.key().size());
    const std::size_t index = info::find(key);
    if (index == info::size) {
      if constexpr (info::unknown_index != info::size) {
        using D = boost::mp11::mp_at_c<members, info::unknown_index>;
        json_path::guard segment(path, key);
        json_check_finite(kv.value(), path);
        // Copies into the sink's own storage, never sharing the input's arena.
        (out.*D::pointer).fields.emplace(kv.key(), kv.value());
      }
      continue;
    }
    if (kv.value().is_null()) continue;
    if constexpr (info::size > 0) {
      json_path::guard segment(path, key);
      boost::mp11::mp_with_index<info::size>(index, [&](auto I) {
        using D = boost::mp11::mp_at_c<members, I>;
        json_decode(kv.value(), out.*D::pointer, path);
      });
    }
  }
}

template <class T>
boost::json::value json_encode(const T& x, const boost::json::storage_ptr& sp) {
  if constexpr (json_has_codec_to<T>) {
    return boost::json::value(::kopp::json_codec<T>::to_json(x), sp);
  } else if constexpr (json_adl::has_to<T>) {
    return boost::json::value(json_adl::call_to(x), sp);
  } else if constexpr (json_passthrough<T>) {
    return boost::json::value(x, sp);
  } else if constexpr (std::is_same_v<T, UnknownFields>) {
    return boost::json::value(x.fields, sp);
  } else if constexpr (std::is_same_v<T, bool>) {
    return boost::json::value(x, sp);
  } else if constexpr (json_integer<T>) {
    if constexpr (std::is_signed_v<T>)
      return boost::json::value(static_cast<std::int64_t>(x), sp);
    else
      return boost::json::value(static_cast<std::uint64_t>(x), sp);
  } else if constexpr (std::is_floating_point_v<T>) {
    // As Go's encoder: JSON has no Infinity or NaN (Boost.JSON would write `Infinity`).
    if (!std::isfinite(x)) throw json_error("$", "a floating-point member is Infinity or NaN, which JSON cannot hold");
    return boost::json::value(static_cast<double>(x), sp);
  } else if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, std::string_view>) {
    return boost::json::value(boost::json::string_view(x.data(), x.size()), sp);
  } else if constexpr (json_is_optional<T>::value) {
    if (!x.has_value()) return boost::json::value(nullptr, sp);
    return json_encode(*x, sp);
  } else if constexpr (json_is_vector<T>::value) {
    boost::json::array arr(sp);
    arr.reserve(x.size());
    for (const auto& element : x) arr.push_back(json_encode<typename T::value_type>(element, sp));
    return boost::json::value(std::move(arr));
  } else if constexpr (json_is_string_map<T>::value) {
    boost::json::object obj(sp);
    obj.reserve(x.size());
    for (const auto& [key, element] : x) obj.emplace(key, json_encode(element, sp));
    return boost::json::value(std::move(obj));
  } else if constexpr (json_described_enum<T>) {
    return boost::json::value(json_enum_name(x), sp);
  } else if constexpr (json_described_struct<T>) {
    return json_encode_struct(x, sp);
  } else {
    static_assert(json_always_false<T>,
                  "kopp: this type has no JSON mapping. Describe it with "
                  "BOOST_DESCRIBE_STRUCT / BOOST_DESCRIBE_ENUM, or give it kopp_to_json / "
                  "kopp_from_json hooks or a kopp::json_codec specialisation.");
  }
}

template <class T>
void json_decode(const boost::json::value& v, T& out, json_path& path) {
  if constexpr (std::is_same_v<T, boost::json::value>) {
    json_check_finite(v, path);
    out = v;  // keeps out's storage: copies out of a parse arena
  } else if constexpr (json_is_optional<T>::value) {
    if (v.is_null()) {
      out.reset();
      return;
    }
    out.emplace();
    json_decode(v, *out, path);
  } else {
    if (v.is_null()) return;  // null == absent
    if constexpr (json_has_codec_from<T>) {
      ::kopp::json_codec<T>::from_json(v, out, path);
    } else if constexpr (json_adl::has_from<T>) {
      json_adl::call_from(v, out, path);
    } else if constexpr (std::is_same_v<T, boost::json::object>) {
      if (!v.is_object()) json_fail_expected(path, "an object", v);
      json_check_finite(v, path);
      out = v.get_object();
    } else if constexpr (std::is_same_v<T, boost::json::array>) {
      if (!v.is_array()) json_fail_expected(path, "an array", v);
      json_check_finite(v, path);
      out = v.get_array();
    } else if constexpr (std::is_same_v<T, boost::json::string>) {
      if (!v.is_string()) json_fail_expected(path, "a string", v);
      out = v.get_string();
    } else if constexpr (std::is_same_v<T, UnknownFields>) {
      if (!v.is_object()) json_fail_expected(path, "an object", v);
      json_check_finite(v, path);
      out.fields = v.get_object();
    } else if constexpr (std::is_same_v<T, bool>) {
      if (!v.is_bool()) json_fail_expected(path, "a bool", v);
      out = v.get_bool();
    } else if constexpr (json_integer<T>) {
      json_decode_integer(v, out, path);
    } else if constexpr (std::is_floating_point_v<T>) {
      json_decode_floating(v, out, path);
    } else if constexpr (std::is_same_v<T, std::string>) {
      if (!v.is_string()) json_fail_expected(path, "a string", v);
      const boost::json::string& s = v.get_string();
      out.assign(s.data(), s.size());
    } else if constexpr (json_is_vector<T>::value) {
      if (!v.is_array()) json_fail_expected(path, "an array", v);
      const boost::json::array& arr = v.get_array();
      out.clear();
      out.reserve(arr.size());
      for (std::size_t i = 0; i < arr.size(); ++i) {
        json_path::guard segment(path, i);
        typename T::value_type element{};
        json_decode(arr[i], element, path);
        out.push_back(std::move(element));
      }
    } else if constexpr (json_is_string_map<T>::value) {
      if (!v.is_object()) json_fail_expected(path, "an object", v);
      out.clear();
      for (const boost::json::key_value_pair& kv : v.get_object()) {
        const std::string_view key(kv.key().data(), kv.key().size());
        json_path::guard segment(path, key);
        json_decode(kv.value(), out.try_emplace(std::string(key)).first->second, path);
      }
    } else if constexpr (json_described_enum<T>) {
      json_decode_enum(v, out, path);
    } else if constexpr (json_described_struct<T>) {
      json_decode_struct(v, out, path);
    } else {
      static_assert(json_always_false<T>,
                    "kopp: this type has no JSON mapping. Describe it with "
                    "BOOST_DESCRIBE_STRUCT / BOOST_DESCRIBE_ENUM, or give it "
                    "kopp_to_json / kopp_from_json hooks or a kopp::json_codec "
                    "specialisation.");
    }
  }
}

}  // namespace kopp::detail

namespace kopp {

template <class T>
boost::json::value to_json(const T& x) {
  return detail::json_encode(x, boost::json::storage_ptr());
}

template <class T>
boost::json::value to_json(const T& x, const boost::json::storage_ptr& sp) {
  return detail::json_encode(x, sp);
}

template <class T>
std::string to_json_string(const T& x) {
  // The intermediate document is thrown away after serialising: an arena is cheapest.
  unsigned char buffer[4096];
  boost::json::monotonic_resource arena(buffer, sizeof buffer);
  return detail::json_serialize(detail::json_encode(x, boost::json::storage_ptr(&arena)));
}

template <class T>
T from_json(const boost::json::value& v) {
  T out{};
  json_path path;
  detail::json_decode(v, out, path);
  return out;
}

template <class T>
void from_json(const boost::json::value& v, T& out) {
  out = T{};
  json_path path;
  detail::json_decode(v, out, path);
}

template <class T>
void from_json(const boost::json::value& v, T& out, json_path& path) {
  detail::json_decode(v, out, path);
}

inline boost::json::parse_options json_parse_options() noexcept {
  boost::json::parse_options options;
  // Two more levels: an object of the server's maximum depth arrives wrapped in a List
  // and its items array, or in a watch event.
  options.max_depth = json_max_depth + 2;
  return options;
}

inline boost::json::value parse_json_value(std::string_view text, const boost::json::storage_ptr& sp) {
  // The parser keeps its nesting stack on the heap (in `scratch` first), so a deep
  // document costs memory, not call stack.
  unsigned char scratch[2048];
  boost::json::parser parser(boost::json::storage_ptr(), json_parse_options(), scratch);
  parser.reset(sp);
  boost::json::error_code ec;
  const std::size_t consumed = parser.write(text.data(), text.size(), ec);
  if (ec) throw json_error::parse_failure(consumed, ec.message());
  return parser.release();
}

template <class T>
T parse_json(std::string_view text) {
  boost::json::monotonic_resource arena;
  const boost::json::value document = parse_json_value(text, boost::json::storage_ptr(&arena));
  return from_json<T>(document);
}

}  // namespace kopp
