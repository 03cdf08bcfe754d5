# KoppControlPlane: a real local Kubernetes control plane (etcd, kube-apiserver,
# kube-controller-manager, kubectl) for kopp's integration tests, built from the
# Kubernetes Go modules in tools/controlplane (see docs/controlplane.md).
#
# Provides
#   target    kopp_controlplane          builds the binary (not part of ALL)
#   variables KOPP_CONTROLPLANE_EXE      the kopp-controlplane binary
#             KOPP_CONTROLPLANE_DIR      state directory of the test control plane
#             KOPP_TEST_KUBECONFIG       its admin kubeconfig
#   function  kopp_controlplane_fixture()
#               adds the CTest fixture "controlplane": test controlplane.build+up
#               (FIXTURES_SETUP) and controlplane.down (FIXTURES_CLEANUP; CTest runs
#               it even when tests fail)
#   function  kopp_add_integration_test(NAME <name> COMMAND <cmd...>
#               [EXCLUSIVE] [TIMEOUT <s>] [LABELS <l...>] [ENVIRONMENT <k=v...>]
#               [WORKING_DIRECTORY <dir>])
#               a test that needs the running control plane; it gets KUBECONFIG,
#               KOPP_CONTROLPLANE (the binary) and KOPP_CONTROLPLANE_DIR in its
#               environment. EXCLUSIVE runs it alone (RUN_SERIAL): use it for tests
#               that restart or otherwise disturb the control plane.
include_guard(GLOBAL)

set(KOPP_CONTROLPLANE_SOURCE_DIR "${CMAKE_CURRENT_LIST_DIR}/../tools/controlplane")
get_filename_component(KOPP_CONTROLPLANE_SOURCE_DIR "${KOPP_CONTROLPLANE_SOURCE_DIR}" ABSOLUTE)
set(KOPP_CONTROLPLANE_BIN_DIR "${CMAKE_BINARY_DIR}/controlplane-bin")
set(KOPP_CONTROLPLANE_EXE "${KOPP_CONTROLPLANE_BIN_DIR}/kopp-controlplane")
set(KOPP_CONTROLPLANE_DIR "${CMAKE_BINARY_DIR}/controlplane")
set(KOPP_TEST_KUBECONFIG "${KOPP_CONTROLPLANE_DIR}/admin.kubeconfig")
set(KOPP_CONTROLPLANE_SETUP_TIMEOUT 3600 CACHE STRING
  "Seconds allowed for building (cold: many minutes) and starting the test control plane")
set(KOPP_INTEGRATION_TEST_TIMEOUT 300 CACHE STRING
  "Default timeout in seconds of one integration test")

find_program(KOPP_BASH bash REQUIRED)

if(NOT TARGET kopp_controlplane)
  add_custom_target(kopp_controlplane
    COMMAND ${KOPP_BASH} "${KOPP_CONTROLPLANE_SOURCE_DIR}/build.sh" "${KOPP_CONTROLPLANE_BIN_DIR}"
    COMMENT "Building kopp-controlplane (etcd + kube-apiserver + kube-controller-manager + kubectl)"
    USES_TERMINAL
    VERBATIM)
endif()

function(kopp_controlplane_fixture)
  if(TEST controlplane.build+up)
    return()
  endif()
  add_test(NAME controlplane.build+up
    COMMAND ${KOPP_BASH} "${KOPP_CONTROLPLANE_SOURCE_DIR}/fixture.sh" up
            "${KOPP_CONTROLPLANE_BIN_DIR}" "${KOPP_CONTROLPLANE_DIR}")
  set_tests_properties(controlplane.build+up PROPERTIES
    FIXTURES_SETUP controlplane
    TIMEOUT ${KOPP_CONTROLPLANE_SETUP_TIMEOUT}
    LABELS "integration;controlplane")
  add_test(NAME controlplane.down
    COMMAND ${KOPP_BASH} "${KOPP_CONTROLPLANE_SOURCE_DIR}/fixture.sh" down
            "${KOPP_CONTROLPLANE_BIN_DIR}" "${KOPP_CONTROLPLANE_DIR}")
  set_tests_properties(controlplane.down PROPERTIES
    FIXTURES_CLEANUP controlplane
    TIMEOUT 120
    LABELS "integration;controlplane")
endfunction()

function(kopp_add_integration_test)
  cmake_parse_arguments(PARSE_ARGV 0 arg "EXCLUSIVE" "NAME;TIMEOUT;WORKING_DIRECTORY"
    "COMMAND;LABELS;ENVIRONMENT")
  if(NOT arg_NAME OR NOT arg_COMMAND)
    message(FATAL_ERROR "kopp_add_integration_test: NAME and COMMAND are required")
  endif()
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "kopp_add_integration_test(${arg_NAME}): unknown arguments ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT arg_TIMEOUT)
    set(arg_TIMEOUT ${KOPP_INTEGRATION_TEST_TIMEOUT})
  endif()
  set(wd)
  if(arg_WORKING_DIRECTORY)
    set(wd WORKING_DIRECTORY "${arg_WORKING_DIRECTORY}")
  endif()
  add_test(NAME ${arg_NAME} COMMAND ${arg_COMMAND} ${wd})
  set(env
    "KUBECONFIG=${KOPP_TEST_KUBECONFIG}"
    "KOPP_CONTROLPLANE=${KOPP_CONTROLPLANE_EXE}"
    "KOPP_CONTROLPLANE_DIR=${KOPP_CONTROLPLANE_DIR}"
    ${arg_ENVIRONMENT})
  set(labels integration ${arg_LABELS})
  set_tests_properties(${arg_NAME} PROPERTIES
    FIXTURES_REQUIRED controlplane
    ENVIRONMENT "${env}"
    LABELS "${labels}"
    TIMEOUT ${arg_TIMEOUT})
  if(arg_EXCLUSIVE)
    set_tests_properties(${arg_NAME} PROPERTIES RUN_SERIAL TRUE RESOURCE_LOCK controlplane)
  endif()
endfunction()
