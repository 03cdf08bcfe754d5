// kopp::LabelSelector: parsing never crashes or throws anything but std::invalid_argument;
// the canonical text of a parsed selector parses to the same selector and the same text,
// and both answer matches() alike.
#include "../fuzz_check.hpp"

#include <kopp/runtime/cache/label_selector.hpp>

#include <stdexcept>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = kopp_fuzz::as_text(data, size);
  kopp::LabelSelector selector;
  try {
    selector = kopp::LabelSelector::parse(text);
  } catch (const std::invalid_argument&) {
    return 0;
  }
  const std::string canonical = selector.to_string();
  kopp::LabelSelector again;
  try {
    again = kopp::LabelSelector::parse(canonical);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "canonical text %s does not parse: %s\n", canonical.c_str(), e.what());
    std::abort();
  }
  KOPP_FUZZ_CHECK(again == selector);
  KOPP_FUZZ_CHECK(again.to_string() == canonical);
  // Labels made of the selector's own keys and values, so that matching is exercised.
  std::map<std::string, std::string> labels;
  for (const auto& requirement : selector.requirements())
    labels[requirement.key] = requirement.values.empty() ? std::string("1") : requirement.values.front();
  KOPP_FUZZ_CHECK(selector.matches(labels) == again.matches(labels));
  KOPP_FUZZ_CHECK(selector.matches({}) == again.matches({}));
  return 0;
}
