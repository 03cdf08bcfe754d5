// The JSON mapping of ObjectMeta (every object's metadata): see json_round_trip.hpp.
#include "../json_round_trip.hpp"

#include <kopp/core/object_meta.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  kopp_fuzz::json_round_trip<kopp::ObjectMeta>(kopp_fuzz::as_text(data, size));
  return 0;
}
