# The one place that lists kopp's dependencies; cmake/koppConfig.cmake.in repeats it for
# consumers of an installed kopp.
find_package(Boost 1.81 REQUIRED COMPONENTS json url)
find_package(OpenSSL 3 REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(Threads REQUIRED)
