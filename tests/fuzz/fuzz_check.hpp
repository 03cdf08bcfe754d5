#pragma once
// What the fuzz targets share: a property check that crashes (so libFuzzer records the
// input) with a message naming the property, and the input as text.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#define KOPP_FUZZ_CHECK(condition)                                                                        \
  do {                                                                                                    \
    if (!(condition)) {                                                                                   \
      std::fprintf(stderr, "kopp fuzz: property violated: %s (%s:%d)\n", #condition, __FILE__, __LINE__); \
      std::abort();                                                                                       \
    }                                                                                                     \
  } while (false)

namespace kopp_fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace kopp_fuzz
