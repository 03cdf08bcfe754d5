include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS kopp EXPORT koppTargets)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/kopp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

set(KOPP_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/kopp)
install(EXPORT koppTargets NAMESPACE kopp:: DESTINATION ${KOPP_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/koppConfig.cmake.in
  ${PROJECT_BINARY_DIR}/koppConfig.cmake INSTALL_DESTINATION ${KOPP_CMAKE_DIR})
# The ABI of a header-only library is the consumer's; any compiler may use it.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/koppConfigVersion.cmake
  COMPATIBILITY SameMinorVersion ARCH_INDEPENDENT)
install(FILES ${PROJECT_BINARY_DIR}/koppConfig.cmake ${PROJECT_BINARY_DIR}/koppConfigVersion.cmake
  ${PROJECT_SOURCE_DIR}/cmake/KoppCompiled.cmake ${PROJECT_SOURCE_DIR}/cmake/KoppCrd.cmake
  ${PROJECT_SOURCE_DIR}/cmake/FindLibnghttp2.cmake
  ${PROJECT_SOURCE_DIR}/cmake/KoppCrdCheck.cmake ${PROJECT_SOURCE_DIR}/cmake/KoppControlPlane.cmake
  DESTINATION ${KOPP_CMAKE_DIR})
# The local control plane for users' integration tests: its Go sources and scripts, built
# in the user's tree by KoppControlPlane.cmake (a user with Go builds it once).
install(DIRECTORY ${PROJECT_SOURCE_DIR}/tools/controlplane/ DESTINATION ${CMAKE_INSTALL_DATADIR}/kopp/controlplane
  USE_SOURCE_PERMISSIONS FILES_MATCHING PATTERN "*.go" PATTERN "go.mod" PATTERN "go.sum" PATTERN "*.sh")
