#pragma once
// Kept for existing includes: Lease and LeaseSpec are generated in kopp/api/coordination/v1.hpp.
#include <kopp/api/coordination/v1.hpp>
