// The JSON mapping of a generated model, core/v1 Pod (the largest the API server commonly
// sends: containers, volumes, quantities, int-or-strings, times): see json_round_trip.hpp.
#include "../json_round_trip.hpp"

#include <kopp/api/core/v1.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  kopp_fuzz::json_round_trip<kopp::api::core::v1::Pod>(kopp_fuzz::as_text(data, size));
  return 0;
}
