// Boost.JSON and Boost.URL compiled from source into the fuzz targets, instrumented, so that
// coverage inside their parsers guides libFuzzer as much as coverage inside kopp.
#include <boost/json/src.hpp>
#include <boost/url/src.hpp>
