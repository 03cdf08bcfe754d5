#pragma once
// Private: how kopp's non-template definitions are compiled.
//
// Header-only (the default): every header includes the impl/*.ipp files that define its
// non-template functions, marked `inline`, so each translation unit compiles them again.
// Compiled mode: define KOPP_SEPARATE_COMPILATION for every translation unit (CMake's
// kopp::compiled target does) and compile <kopp/src.hpp> in exactly one of them; the
// definitions are then compiled once, the way Boost.Asio and Boost.Beast offer.

#if defined(KOPP_SEPARATE_COMPILATION)
#define KOPP_HEADER_ONLY 0
#define KOPP_DECL
#else
#define KOPP_HEADER_ONLY 1
#define KOPP_DECL inline
#endif
