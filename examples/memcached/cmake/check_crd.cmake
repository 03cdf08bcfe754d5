# Fails when the committed CRD differs from what the C++ types generate now.
#   cmake -DGENERATOR=<memcached-crd-gen> -DCOMMITTED=<yaml> -DOUTPUT=<scratch yaml> -P check_crd.cmake
execute_process(COMMAND ${GENERATOR} OUTPUT_FILE ${OUTPUT} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${GENERATOR} failed (exit ${rc})")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${OUTPUT} ${COMMITTED} RESULT_VARIABLE differs)
if(differs)
  execute_process(COMMAND diff -u ${COMMITTED} ${OUTPUT})
  message(FATAL_ERROR
    "${COMMITTED} is out of date with the C++ types (diff above).\n"
    "Regenerate it: ${GENERATOR} > ${COMMITTED}")
endif()
message(STATUS "${COMMITTED} is up to date")
