// kopp::Quantity: parsing never crashes; a parsed quantity keeps its text, equals itself
// reparsed, and comparison is antisymmetric. The input is "a" or "a\nb" (two quantities).
#include "../fuzz_check.hpp"

#include <kopp/core/quantity.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = kopp_fuzz::as_text(data, size);
  const std::size_t newline = input.find('\n');
  const std::string_view first = input.substr(0, newline);
  const auto a = kopp::Quantity::try_parse(first);
  if (!a) return 0;
  KOPP_FUZZ_CHECK(a->to_string() == first);
  const auto again = kopp::Quantity::try_parse(a->to_string());
  KOPP_FUZZ_CHECK(again && *again == *a);
  (void)a->as_double();
  KOPP_FUZZ_CHECK((a->sign() == 0) == a->is_zero());
  if (newline == std::string_view::npos) return 0;
  const auto b = kopp::Quantity::try_parse(input.substr(newline + 1));
  if (!b) return 0;
  const auto ab = *a <=> *b;
  const auto ba = *b <=> *a;
  KOPP_FUZZ_CHECK((ab < 0) == (ba > 0) && (ab == 0) == (ba == 0));
  return 0;
}
