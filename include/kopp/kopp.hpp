#pragma once
// Everything kopp offers. Include the narrower headers to compile faster.

#include <kopp/client.hpp>
#include <kopp/core.hpp>
#include <kopp/runtime.hpp>
#include <kopp/version.hpp>
