#pragma once
// kopp's JSON mapping of C++ types, made for Kubernetes objects.
//
// Structs described with BOOST_DESCRIBE_STRUCT map to JSON objects:
//   - member name == JSON key; one trailing underscore is dropped (`namespace_`);
//   - decoding: absent keys and `null` leave the member as it is (default-initialised);
//     a value of the wrong type throws json_error naming its JSON path;
//   - encoding: an empty std::optional is omitted; any other member is omitted when it
//     encodes to "", [], {} or null (Kubernetes' omitempty); bool and numbers are always
//     written; an engaged optional is written even when it is empty (`emptyDir: {}`);
//   - a member of type kopp::UnknownFields receives the keys the struct does not declare
//     and writes them back.
// Described enums map to their enumerator names. See docs/core.md for the full rules.
//
// Customisation, checked in this order:
//   1. a specialisation of kopp::json_codec<T> with
//        static boost::json::value to_json(const T&);
//        static void from_json(const boost::json::value&, T&, kopp::json_path&);
//   2. ADL hooks (hidden friends or functions in T's namespace)
//        boost::json::value kopp_to_json(const T&);
//        void kopp_from_json(const boost::json::value&, T&, kopp::json_path&);
//   3. the built-in rules above.
// Numbers and bools are always written unless the struct opts a member into Go's
// omitempty for zero values:
//   KOPP_JSON_OMIT_ZERO(ObjectMeta, generation)   // in ObjectMeta's namespace
// Hooks are never called with a JSON null (null means "absent"). A decoding hook reports
// problems with `path.fail("expected ...")` and decodes nested values with
// kopp::from_json(value, out, path).
//
// Nesting depth: every parse in kopp (responses, list pages, watch lines, parse_json)
// accepts JSON nested up to json_max_depth (10,000) levels, the API server's own limit;
// Boost.JSON's default of 32 would refuse real custom resources (cert-manager's reach 38).
// Errors: deeper text fails to parse (json_error / errc::malformed_response).
// Caveats: the typed mapping recurses over the C++ type, not over the data: a deep value
// reaches it only as a boost::json::value, kopp::RawJson or UnknownFields member, which is
// copied by Boost.JSON. Boost.JSON's copy, comparison and destruction of a value recurse
// once per level; from the compiled library that is about 100-200 bytes of stack per
// level, under 2 MiB at 10,000 levels (measured, also when the caller is built with
// AddressSanitizer), so deep values need the default 8 MiB thread stack, not a small one.
// Boost.JSON 1.81's == and serializer are quadratic in the depth; kopp's own comparisons
// and writes avoid both (detail/json_equal.hpp, detail::json_serialize).

#include <kopp/core/json_error.hpp>
#include <kopp/core/json_options.hpp>
#include <kopp/core/unknown_fields.hpp>

#include <boost/json/parse_options.hpp>
#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace kopp {

/// The deepest nesting of arrays and objects kopp parses: the API server accepts objects
/// this deep, so a client must read them back (see "Nesting depth" above).
inline constexpr std::size_t json_max_depth = 10'000;

/// Boost.JSON parse options for server JSON: an object of json_max_depth levels, plus the
/// two levels of a List and its items array (or of a watch event) around it. Use them for
/// every parse of server JSON: Boost.JSON's default (32) refuses real objects.
[[nodiscard]] boost::json::parse_options json_parse_options() noexcept;

/// Specialise to give a type you cannot change a JSON mapping (see the header comment).
/// The primary template is empty: it means "not customised".
template <class T>
struct json_codec {};

/// Encodes `x` as a JSON value.
template <class T>
[[nodiscard]] boost::json::value to_json(const T& x);

/// Encodes `x` as a JSON value whose memory comes from `sp`.
template <class T>
[[nodiscard]] boost::json::value to_json(const T& x, const boost::json::storage_ptr& sp);

/// Encodes `x` as compact JSON text.
template <class T>
[[nodiscard]] std::string to_json_string(const T& x);

/// Decodes `v` into a new T (default-constructed, then filled from `v`).
/// Throws json_error.
template <class T>
[[nodiscard]] T from_json(const boost::json::value& v);

/// Decodes `v` into `out`, replacing its whole previous value. Throws json_error.
template <class T>
void from_json(const boost::json::value& v, T& out);

/// For decoding hooks: decodes `v` into `out` at `path`. `out` should be freshly
/// default-constructed: absent keys and nulls leave its members untouched.
template <class T>
void from_json(const boost::json::value& v, T& out, json_path& path);

/// Parses JSON text and decodes it into a T. The intermediate document lives in a
/// temporary arena, so nothing of it outlives the call. Throws json_error, also for
/// unparsable text (naming the byte offset).
template <class T>
[[nodiscard]] T parse_json(std::string_view text);

/// Parses JSON text into a value (nesting as json_parse_options()). Throws json_error naming
/// the offset on failure.
[[nodiscard]] boost::json::value parse_json_value(std::string_view text, const boost::json::storage_ptr& sp = {});

}  // namespace kopp

/// Compiled mode (KOPP_SEPARATE_COMPILATION): compiles the JSON codec of a described type
/// once. KOPP_JSON_CODEC_EXTERN(T); after T's definition, at global scope, keeps every
/// translation unit from compiling T's struct walk; KOPP_JSON_CODEC_INSTANTIATE(T); in one
/// source file compiles it. The generated models do this for every kopp::api struct; a
/// custom resource type may do the same. In header-only mode neither is needed.
#define KOPP_JSON_CODEC_EXTERN(T)                                                                             \
  extern template boost::json::value kopp::detail::json_encode<T>(const T&, const boost::json::storage_ptr&); \
  extern template void kopp::detail::json_decode<T>(const boost::json::value&, T&, kopp::json_path&)
#define KOPP_JSON_CODEC_INSTANTIATE(T)                                                                 \
  template boost::json::value kopp::detail::json_encode<T>(const T&, const boost::json::storage_ptr&); \
  template void kopp::detail::json_decode<T>(const boost::json::value&, T&, kopp::json_path&)

#include <kopp/core/impl/json.hpp>
