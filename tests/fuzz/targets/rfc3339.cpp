// kopp::Time and kopp::MicroTime (RFC 3339): parsing never crashes, and a parsed time
// formats to text that parses back to the same time and formats identically.
#include "../fuzz_check.hpp"

#include <kopp/core/time.hpp>

namespace {

template <class T>
void round_trip(std::string_view text) {
  const auto parsed = T::try_parse(text);
  if (!parsed) return;
  const std::string formatted = parsed->to_string();
  const auto again = T::try_parse(formatted);
  KOPP_FUZZ_CHECK(again.has_value());
  KOPP_FUZZ_CHECK(*again == *parsed);
  KOPP_FUZZ_CHECK(again->to_string() == formatted);
  (void)parsed->time_point();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = kopp_fuzz::as_text(data, size);
  round_trip<kopp::Time>(text);
  round_trip<kopp::MicroTime>(text);
  return 0;
}
