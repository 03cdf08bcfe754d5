# KoppControlPlane: a real local Kubernetes control plane (etcd, kube-apiserver,
# kube-controller-manager, kubectl) for integration tests, built from the Kubernetes Go
# modules (tools/controlplane in kopp's tree, share/kopp/controlplane once installed; see
# docs/controlplane.md and docs/testing.md). find_package(kopp) includes this module.
#
# Provides
#   cache     KOPP_CONTROLPLANE_BIN_DIR  where kopp-controlplane is built (default
#                                        ${CMAKE_BINARY_DIR}/controlplane-bin; point
#                                        several build trees at one directory to build it
#                                        once: the build is skipped while its sources are
#                                        unchanged)
#   target    kopp_controlplane          builds the binary (not part of ALL)
#   variables KOPP_CONTROLPLANE_EXE      the kopp-controlplane binary
#             KOPP_CONTROLPLANE_DIR      state directory of the default group's control plane
#             KOPP_TEST_KUBECONFIG       its admin kubeconfig
#   function  kopp_add_controlplane_test(NAME <name> COMMAND <cmd...>
#               [GROUP <group>] [CRDS <yaml...>] [EXCLUSIVE] [TIMEOUT <s>]
#               [LABELS <l...>] [ENVIRONMENT <k=v...>] [WORKING_DIRECTORY <dir>])
#               a test that needs a running control plane. The tests of one GROUP
#               (default: controlplane) share one control plane: CTest builds and starts
#               it before the first of them (test <group>.build+up) and stops it after the
#               last, even when tests fail (<group>.down). CRDS are applied and waited
#               for (Established, served) before the test runs (test <name>.crds). The
#               test gets KUBECONFIG (admin), KOPP_CONTROLPLANE (the binary: kubectl,
#               mint-kubeconfig) and KOPP_CONTROLPLANE_DIR in its environment, which
#               kopp::testing::ControlPlane::attach() reads. EXCLUSIVE runs it alone in
#               its group: for tests that restart or compact the control plane.
#   function  kopp_controlplane_fixture([GROUP <group>])
#               the group's start/stop tests alone (kopp_add_controlplane_test adds them).
include_guard(GLOBAL)

if(NOT DEFINED KOPP_CONTROLPLANE_SOURCE_DIR)
  get_filename_component(KOPP_CONTROLPLANE_SOURCE_DIR "${CMAKE_CURRENT_LIST_DIR}/../tools/controlplane" ABSOLUTE)
endif()
if(NOT EXISTS "${KOPP_CONTROLPLANE_SOURCE_DIR}/build.sh")
  message(FATAL_ERROR "KoppControlPlane: the control plane's sources are not in ${KOPP_CONTROLPLANE_SOURCE_DIR} "
                      "(kopp installed without share/kopp/controlplane?)")
endif()
set(KOPP_CONTROLPLANE_BIN_DIR "${CMAKE_BINARY_DIR}/controlplane-bin" CACHE PATH
  "Directory kopp-controlplane is built in (shared between build trees, it is built once)")
set(KOPP_CONTROLPLANE_EXE "${KOPP_CONTROLPLANE_BIN_DIR}/kopp-controlplane")
set(KOPP_CONTROLPLANE_SETUP_TIMEOUT 3600 CACHE STRING
  "Seconds allowed for building (cold: many minutes) and starting a test control plane")
set(KOPP_INTEGRATION_TEST_TIMEOUT 300 CACHE STRING
  "Default timeout in seconds of one control-plane test")

find_program(KOPP_BASH bash REQUIRED)

# The state directory of a group's control plane (certificates, etcd data, logs).
function(_kopp_controlplane_dir group out_var)
  if(group STREQUAL "controlplane")
    set(${out_var} "${CMAKE_BINARY_DIR}/controlplane" PARENT_SCOPE)
  else()
    set(${out_var} "${CMAKE_BINARY_DIR}/controlplane-${group}" PARENT_SCOPE)
  endif()
endfunction()

_kopp_controlplane_dir(controlplane KOPP_CONTROLPLANE_DIR)
set(KOPP_TEST_KUBECONFIG "${KOPP_CONTROLPLANE_DIR}/admin.kubeconfig")

if(NOT TARGET kopp_controlplane)
  add_custom_target(kopp_controlplane
    COMMAND ${KOPP_BASH} "${KOPP_CONTROLPLANE_SOURCE_DIR}/build.sh" "${KOPP_CONTROLPLANE_BIN_DIR}"
    COMMENT "Building kopp-controlplane (etcd + kube-apiserver + kube-controller-manager + kubectl)"
    USES_TERMINAL
    VERBATIM)
endif()

function(kopp_controlplane_fixture)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "GROUP" "")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "kopp_controlplane_fixture: unknown arguments ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT arg_GROUP)
    set(arg_GROUP controlplane)
  endif()
  if(NOT arg_GROUP MATCHES "^[A-Za-z0-9_.-]+$")
    message(FATAL_ERROR "kopp_controlplane_fixture: GROUP '${arg_GROUP}' may hold only letters, digits, '_', '.' and '-'")
  endif()
  # Once per group in the whole project (if(TEST) sees only the current directory's tests).
  get_property(added GLOBAL PROPERTY KOPP_CONTROLPLANE_FIXTURE_${arg_GROUP})
  if(added)
    return()
  endif()
  set_property(GLOBAL PROPERTY KOPP_CONTROLPLANE_FIXTURE_${arg_GROUP} TRUE)
  _kopp_controlplane_dir(${arg_GROUP} dir)
  _kopp_fixture_step(${arg_GROUP}.build+up up "${dir}" "" FIXTURES_SETUP ${arg_GROUP}
    TIMEOUT ${KOPP_CONTROLPLANE_SETUP_TIMEOUT})
  _kopp_fixture_step(${arg_GROUP}.down down "${dir}" "" FIXTURES_CLEANUP ${arg_GROUP} TIMEOUT 120)
endfunction()

# A test that runs `fixture.sh <action> BINDIR <dir> <files...>`, with the given properties.
function(_kopp_fixture_step name action dir files)
  add_test(NAME ${name}
    COMMAND ${KOPP_BASH} "${KOPP_CONTROLPLANE_SOURCE_DIR}/fixture.sh" ${action} "${KOPP_CONTROLPLANE_BIN_DIR}" "${dir}"
            ${files})
  set_tests_properties(${name} PROPERTIES ${ARGN} LABELS "integration;controlplane")
endfunction()

function(kopp_add_controlplane_test)
  cmake_parse_arguments(PARSE_ARGV 0 arg "EXCLUSIVE" "NAME;GROUP;TIMEOUT;WORKING_DIRECTORY"
    "COMMAND;CRDS;LABELS;ENVIRONMENT")
  if(NOT arg_NAME OR NOT arg_COMMAND)
    message(FATAL_ERROR "kopp_add_controlplane_test: NAME and COMMAND are required")
  endif()
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "kopp_add_controlplane_test(${arg_NAME}): unknown arguments ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT arg_GROUP)
    set(arg_GROUP controlplane)
  endif()
  if(NOT arg_TIMEOUT)
    set(arg_TIMEOUT ${KOPP_INTEGRATION_TEST_TIMEOUT})
  endif()
  kopp_controlplane_fixture(GROUP ${arg_GROUP})
  _kopp_controlplane_dir(${arg_GROUP} dir)
  set(fixtures ${arg_GROUP})

  if(arg_CRDS)
    set(crds)
    foreach(crd IN LISTS arg_CRDS)
      get_filename_component(crd "${crd}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
      # A file kopp_add_crd writes may not exist before the first build.
      get_property(generated GLOBAL PROPERTY KOPP_CRD_OUTPUTS)
      if(NOT EXISTS "${crd}" AND NOT crd IN_LIST generated)
        message(FATAL_ERROR "kopp_add_controlplane_test(${arg_NAME}): CRD file ${crd} does not exist "
                            "(and no kopp_add_crd writes it)")
      endif()
      list(APPEND crds "${crd}")
    endforeach()
    _kopp_fixture_step(${arg_NAME}.crds crds "${dir}" "${crds}" FIXTURES_SETUP ${arg_NAME}.crds
      FIXTURES_REQUIRED ${arg_GROUP} TIMEOUT 120)
    list(APPEND fixtures ${arg_NAME}.crds)
  endif()

  set(wd)
  if(arg_WORKING_DIRECTORY)
    set(wd WORKING_DIRECTORY "${arg_WORKING_DIRECTORY}")
  endif()
  add_test(NAME ${arg_NAME} COMMAND ${arg_COMMAND} ${wd})
  set(env
    "KUBECONFIG=${dir}/admin.kubeconfig"
    "KOPP_CONTROLPLANE=${KOPP_CONTROLPLANE_EXE}"
    "KOPP_CONTROLPLANE_DIR=${dir}"
    ${arg_ENVIRONMENT})
  set(labels integration ${arg_LABELS})
  set_tests_properties(${arg_NAME} PROPERTIES
    FIXTURES_REQUIRED "${fixtures}"
    ENVIRONMENT "${env}"
    LABELS "${labels}"
    TIMEOUT ${arg_TIMEOUT})
  if(arg_EXCLUSIVE)
    set_tests_properties(${arg_NAME} PROPERTIES RUN_SERIAL TRUE RESOURCE_LOCK ${arg_GROUP})
  endif()
endfunction()
