# kopp_add_crd's check (and, with -DMODE=update, its update) of a committed CRD:
#   cmake -DGENERATOR=<exe> -DCOMMITTED=<yaml> -DOUTPUT=<scratch yaml> [-DUPDATE_TARGET=<t>] -P KoppCrdCheck.cmake
#   cmake -DGENERATOR=<exe> -DCOMMITTED=<yaml> -DMODE=update -P KoppCrdCheck.cmake
if(MODE STREQUAL "update")
  # Written beside it and renamed on success: a failing generator leaves the committed file.
  set(OUTPUT ${COMMITTED}.new)
  get_filename_component(directory ${COMMITTED} DIRECTORY)
  file(MAKE_DIRECTORY ${directory})
endif()
execute_process(COMMAND ${GENERATOR} OUTPUT_FILE ${OUTPUT} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  file(REMOVE ${COMMITTED}.new)
  message(FATAL_ERROR "${GENERATOR} failed (exit ${rc})")
endif()
if(MODE STREQUAL "update")
  # Unchanged text is not rewritten: a build that runs the update every time (a scaffolded
  # project's manifests target) leaves the file's time alone.
  if(EXISTS ${COMMITTED})
    execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${OUTPUT} ${COMMITTED} RESULT_VARIABLE differs)
    if(NOT differs)
      file(REMOVE ${OUTPUT})
      message(STATUS "${COMMITTED} is up to date")
      return()
    endif()
  endif()
  file(RENAME ${OUTPUT} ${COMMITTED})
  message(STATUS "wrote ${COMMITTED}")
  return()
endif()
if(NOT EXISTS ${COMMITTED})
  message(FATAL_ERROR "${COMMITTED} does not exist. Generate it: cmake --build <build> --target ${UPDATE_TARGET}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${OUTPUT} ${COMMITTED} RESULT_VARIABLE differs)
if(differs)
  execute_process(COMMAND diff -u ${COMMITTED} ${OUTPUT})
  message(FATAL_ERROR
    "${COMMITTED} is out of date with the C++ types (diff above).\n"
    "Regenerate it: cmake --build <build> --target ${UPDATE_TARGET}  (or: ${GENERATOR} > ${COMMITTED})")
endif()
message(STATUS "${COMMITTED} is up to date")
