# FindLibnghttp2: nghttp2, the HTTP/2 library kopp's default transport is built on
# (Debian: libnghttp2-dev). It ships a pkg-config file but no CMake package, so this module
# finds the header and the library itself and checks the version from nghttp2ver.h.
#
#   find_package(Libnghttp2 1.43 REQUIRED)  ->  Libnghttp2::Libnghttp2
#
# Libnghttp2_USE_STATIC_LIBS=ON looks for libnghttp2.a only.
find_path(Libnghttp2_INCLUDE_DIR NAMES nghttp2/nghttp2.h)
if(Libnghttp2_USE_STATIC_LIBS)
  find_library(Libnghttp2_LIBRARY NAMES libnghttp2.a)
else()
  find_library(Libnghttp2_LIBRARY NAMES nghttp2)
endif()

if(Libnghttp2_INCLUDE_DIR AND EXISTS "${Libnghttp2_INCLUDE_DIR}/nghttp2/nghttp2ver.h")
  file(STRINGS "${Libnghttp2_INCLUDE_DIR}/nghttp2/nghttp2ver.h" _kopp_nghttp2_version_line
       REGEX "^#define NGHTTP2_VERSION \"[0-9.]+\"")
  string(REGEX REPLACE ".*\"([0-9.]+)\".*" "\\1" Libnghttp2_VERSION "${_kopp_nghttp2_version_line}")
  unset(_kopp_nghttp2_version_line)
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Libnghttp2
  REQUIRED_VARS Libnghttp2_LIBRARY Libnghttp2_INCLUDE_DIR
  VERSION_VAR Libnghttp2_VERSION
  REASON_FAILURE_MESSAGE "kopp's HTTP/2 transport needs nghttp2's headers and library (Debian: apt-get install libnghttp2-dev)")

if(Libnghttp2_FOUND AND NOT TARGET Libnghttp2::Libnghttp2)
  add_library(Libnghttp2::Libnghttp2 UNKNOWN IMPORTED)
  set_target_properties(Libnghttp2::Libnghttp2 PROPERTIES
    IMPORTED_LOCATION "${Libnghttp2_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${Libnghttp2_INCLUDE_DIR}")
endif()
mark_as_advanced(Libnghttp2_INCLUDE_DIR Libnghttp2_LIBRARY)
