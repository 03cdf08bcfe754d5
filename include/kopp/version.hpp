#pragma once

// kopp's version; CMake's project(VERSION) and this header move together.
#define KOPP_VERSION_MAJOR 0
#define KOPP_VERSION_MINOR 1
#define KOPP_VERSION_PATCH 0
#define KOPP_VERSION_STRING "0.1.0"

namespace kopp {
inline constexpr const char* version_string = KOPP_VERSION_STRING;
}  // namespace kopp
