#pragma once
// Kept for existing includes: Event and EventSeries are generated in kopp/api/events/v1.hpp.
#include <kopp/api/events/v1.hpp>
