# The one place that lists kopp's dependencies; cmake/koppConfig.cmake.in repeats it for
# consumers of an installed kopp.
#
# KOPP_STATIC_DEPENDENCIES links Boost, OpenSSL, nghttp2, yaml-cpp and the C++ runtime statically
# (glibc stays shared) and drops unused code (--gc-sections): a self-contained operator
# binary for a minimal container image, which also starts faster and maps fewer pages of
# shared libraries (bench/README.md, idle footprint).
option(KOPP_STATIC_DEPENDENCIES "Link kopp's dependencies and the C++ runtime statically" OFF)
if(KOPP_STATIC_DEPENDENCIES)
  set(Boost_USE_STATIC_LIBS ON)
  set(OPENSSL_USE_STATIC_LIBS TRUE)
  set(Libnghttp2_USE_STATIC_LIBS ON)
endif()

find_package(Boost 1.81 REQUIRED COMPONENTS json url)
find_package(OpenSSL 3 REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(Libnghttp2 1.43 REQUIRED)
find_package(Threads REQUIRED)

if(KOPP_STATIC_DEPENDENCIES)
  # yaml-cpp's CMake package only describes its shared library.
  find_library(KOPP_YAML_CPP_STATIC NAMES libyaml-cpp.a REQUIRED)
  set(KOPP_YAML_CPP_LIBRARY ${KOPP_YAML_CPP_STATIC})
else()
  set(KOPP_YAML_CPP_LIBRARY yaml-cpp)
endif()
