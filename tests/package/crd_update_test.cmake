# kopp_add_crd's <name>_update, from the installed KoppCrdCheck.cmake: a generator that fails
# leaves the committed file as it was (and no scratch file); one that succeeds replaces it.
#   cmake -DCHECK=<KoppCrdCheck.cmake> -DGENERATOR=<crd printer> -DSTALE=<yaml> -DEXPECTED=<yaml>
#         -DWORK=<dir> -P crd_update_test.cmake
find_program(false_program false REQUIRED)
set(committed ${WORK}/crd_update/committed.yaml)
configure_file(${STALE} ${committed} COPYONLY)
file(READ ${STALE} stale_text)

execute_process(COMMAND ${CMAKE_COMMAND} -DGENERATOR=${false_program} -DCOMMITTED=${committed} -DMODE=update
                        -P ${CHECK} RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
file(READ ${committed} after_failure)
if(rc EQUAL 0 OR NOT after_failure STREQUAL stale_text OR EXISTS ${committed}.new)
  message(FATAL_ERROR "a failing generator must leave ${committed} unchanged (exit ${rc})")
endif()

execute_process(COMMAND ${CMAKE_COMMAND} -DGENERATOR=${GENERATOR} -DCOMMITTED=${committed} -DMODE=update
                        -P ${CHECK} RESULT_VARIABLE rc)
file(READ ${committed} updated)
file(READ ${EXPECTED} expected)
if(NOT rc EQUAL 0 OR NOT updated STREQUAL expected)
  message(FATAL_ERROR "the update did not write what the generator prints (exit ${rc})")
endif()
# Again with nothing changed: the file is left alone (a build that updates every time, as a
# scaffolded project's manifests target does, keeps its time).
execute_process(COMMAND ${CMAKE_COMMAND} -DGENERATOR=${GENERATOR} -DCOMMITTED=${committed} -DMODE=update
                        -P ${CHECK} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0 OR NOT out MATCHES "is up to date" OR EXISTS ${committed}.new)
  message(FATAL_ERROR "an update with nothing changed rewrote ${committed} (exit ${rc}): ${out}")
endif()
# Into a directory that does not exist yet (config/crd/bases before the first build).
set(fresh ${WORK}/crd_update/new/bases/fresh.yaml)
file(REMOVE_RECURSE ${WORK}/crd_update/new)
execute_process(COMMAND ${CMAKE_COMMAND} -DGENERATOR=${GENERATOR} -DCOMMITTED=${fresh} -DMODE=update
                        -P ${CHECK} RESULT_VARIABLE rc)
file(READ ${fresh} written)
if(NOT rc EQUAL 0 OR NOT written STREQUAL expected)
  message(FATAL_ERROR "the update did not create ${fresh} (exit ${rc})")
endif()
message(STATUS "crd update: kept on failure, replaced on success, left alone when unchanged, directory created")
