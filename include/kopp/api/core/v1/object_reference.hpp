#pragma once
// Kept for existing includes: ObjectReference is generated in kopp/api/core/v1.hpp.
#include <kopp/api/core/v1.hpp>
