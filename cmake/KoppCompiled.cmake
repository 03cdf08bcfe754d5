# kopp's compiled mode (see include/kopp/core/detail/config.hpp): kopp_add_compiled_target()
# defines kopp::compiled, a static library of kopp's non-template definitions, the JSON codecs
# of the generated models and Boost.Asio's and Boost.Beast's own separate-compilation
# sources. Linking it (instead of kopp::kopp) puts KOPP_SEPARATE_COMPILATION,
# BOOST_ASIO_SEPARATE_COMPILATION and BOOST_BEAST_SEPARATE_COMPILATION on every consumer,
# so each of the project's translation units stops compiling them again.
#
# The library is built in the consumer's build tree, with the consumer's compiler and flags
# (sanitizers included), so its ABI is always the consumer's own. It is split into one
# source per generated API group plus one for the rest, so that a parallel build compiles
# them side by side. Every translation unit of a program must use the same mode: a program
# must not link kopp::compiled into one part and use kopp::kopp alone in another.

function(kopp_add_compiled_target include_dir)
  if(TARGET kopp_compiled)
    return()
  endif()
  set(out ${CMAKE_CURRENT_BINARY_DIR}/kopp_compiled)
  file(GLOB_RECURSE ipp_files RELATIVE ${include_dir} CONFIGURE_DEPENDS ${include_dir}/kopp/*.ipp)
  list(SORT ipp_files)
  set(runtime_includes "")
  set(sources "")
  foreach(ipp IN LISTS ipp_files)
    # The test kit is always inline and never part of the library: a program links it
    # only into its tests (tools/layering/check_layering.py enforces it).
    if(ipp MATCHES "^kopp/testing/")
      continue()
    endif()
    if(ipp MATCHES "^kopp/api/([a-z0-9]+)/impl/([a-z0-9]+)\\.ipp$")
      set(source ${out}/api_${CMAKE_MATCH_1}_${CMAKE_MATCH_2}.cpp)
      file(CONFIGURE OUTPUT ${source} CONTENT "#include <${ipp}>\n" @ONLY)
      list(APPEND sources ${source})
    else()
      string(APPEND runtime_includes "#include <${ipp}>\n")
    endif()
  endforeach()
  file(CONFIGURE OUTPUT ${out}/runtime.cpp CONTENT "${runtime_includes}
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
" @ONLY)
  list(APPEND sources ${out}/runtime.cpp)
  # Not built unless something links it.
  add_library(kopp_compiled STATIC EXCLUDE_FROM_ALL ${sources})
  add_library(kopp::compiled ALIAS kopp_compiled)
  target_link_libraries(kopp_compiled PUBLIC kopp::kopp)
  target_compile_definitions(kopp_compiled PUBLIC KOPP_SEPARATE_COMPILATION BOOST_ASIO_SEPARATE_COMPILATION
                                                  BOOST_BEAST_SEPARATE_COMPILATION)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC 12 calls coroutine frames that hold a local lambda "without linkage" once the
    # coroutine is defined outside the main file (kopp/src.hpp says more).
    target_compile_options(kopp_compiled PRIVATE -Wno-subobject-linkage)
  endif()
endfunction()
