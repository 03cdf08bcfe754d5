#pragma once
// The files `kopp init` writes: a project that builds against an installed kopp, in
// kubebuilder's layout. {{key}} is replaced (file_writer.hpp, render()): name (my-operator),
// ident (my_operator: C++ namespace and library), IDENT (MY_OPERATOR: CMake options),
// domain, kopp_version (the find_package version).
//
// Lines holding "kopp:scaffold:" are where `kopp create api` registers a kind: keep them.

#include <string_view>

namespace kopp_scaffold::templates {

inline constexpr std::string_view cmakelists =
    R"kopp(# {{name}}: a Kubernetes operator in C++ on kopp (scaffolded by `kopp init`).
#
#   cmake -S . -B build -G Ninja -DCMAKE_PREFIX_PATH=<kopp's install prefix>
#   cmake --build build                          # the operator, its tests, config/crd/bases
#   ctest --test-dir build --output-on-failure   # unit tests, then end to end on a local control plane
#
# Targets, as kubebuilder's Makefile has them:
#   manifests  regenerates config/crd/bases from the C++ types (part of every build unless
#              -D{{IDENT}}_UPDATE_MANIFESTS=OFF; the <kind>.crd_up_to_date tests check it)
#   run        runs the operator here, against the cluster of your kubeconfig
#   deploy     kubectl apply -k config/default (undeploy: kubectl delete -k config/default)
#   image      builds the Dockerfile with docker, podman or buildah (IMG names the image)
cmake_minimum_required(VERSION 3.20)
project({{ident}} VERSION 0.1.0 LANGUAGES CXX)

# kopp: an installed package (CMAKE_PREFIX_PATH=<its prefix>), or, when KOPP_GIT_REPOSITORY
# is set, fetched from git at KOPP_GIT_TAG and built with the project (the Dockerfile does).
set(KOPP_GIT_REPOSITORY "" CACHE STRING "Fetch kopp from this git repository instead of finding an installed one")
set(KOPP_GIT_TAG "" CACHE STRING "The kopp tag or commit to fetch (with KOPP_GIT_REPOSITORY)")
if(KOPP_GIT_REPOSITORY)
  if(NOT KOPP_GIT_TAG)
    message(FATAL_ERROR "KOPP_GIT_REPOSITORY is set but KOPP_GIT_TAG is not: name the kopp tag or commit to build")
  endif()
  include(FetchContent)
  FetchContent_Declare(kopp GIT_REPOSITORY ${KOPP_GIT_REPOSITORY} GIT_TAG ${KOPP_GIT_TAG})
  FetchContent_MakeAvailable(kopp)
else()
  find_package(kopp {{kopp_version}} CONFIG)
  if(NOT kopp_FOUND)
    message(FATAL_ERROR "kopp not found: install it (cmake --install) and configure with "
                        "-DCMAKE_PREFIX_PATH=<its prefix>, or set KOPP_GIT_REPOSITORY and KOPP_GIT_TAG to fetch it")
  endif()
endif()

option({{IDENT}}_BUILD_TESTS "Build the unit and end-to-end tests" ON)
option({{IDENT}}_UPDATE_MANIFESTS "Regenerate config/crd/bases from the C++ types in every build" ON)
# Off by default, so that a newer compiler's new warning does not break a build; CI turns it
# on. It applies to this project's code only, not to kopp's.
option({{IDENT}}_WARNINGS_AS_ERRORS "Treat compiler warnings in this project's code as errors" OFF)
set(OPERATOR_WARNINGS -Wall -Wextra -Wpedantic)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # GCC 12 at -O2 reports Asio's coroutine-frame allocator as a mismatched new/delete pair
  # (a false positive).
  list(APPEND OPERATOR_WARNINGS -Wno-mismatched-new-delete)
endif()
if({{IDENT}}_WARNINGS_AS_ERRORS)
  list(APPEND OPERATOR_WARNINGS -Werror)
endif()

# The operator's code as a library, so that main() and the tests run the same code.
# kopp::compiled is kopp compiled once in this build (each file here then compiles only the
# templates it uses); kopp::kopp is the header-only alternative.
add_library({{ident}}_lib STATIC src/setup.cpp)
target_include_directories({{ident}}_lib PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include)
target_link_libraries({{ident}}_lib PUBLIC kopp::compiled)
target_compile_options({{ident}}_lib PRIVATE ${OPERATOR_WARNINGS})

add_executable({{name}} src/main.cpp)
target_link_libraries({{name}} PRIVATE {{ident}}_lib)
target_compile_options({{name}} PRIVATE ${OPERATOR_WARNINGS})
install(TARGETS {{name}} RUNTIME DESTINATION bin)

if({{IDENT}}_UPDATE_MANIFESTS)
  add_custom_target(manifests ALL)
else()
  add_custom_target(manifests)
endif()
set(OPERATOR_CRDS "")
set(OPERATOR_UNIT_TESTS "")
set(OPERATOR_E2E_TESTS tests/e2e/deploy_test.cpp)

# The operator's ClusterRole, generated from the controllers' declarations (src/setup.cpp's
# rbac_manifest()) into config/rbac/role.yaml, with an up-to-date test.
kopp_add_crd(rbac-gen
  FUNCTION {{ident}}::rbac_manifest
  HEADER {{ident}}/setup.hpp
  LINK {{ident}}_lib
  OUTPUT config/rbac/role.yaml
  TEST_NAME rbac_up_to_date
  TEST_LABELS unit)
add_dependencies(manifests rbac-gen_update)
# And the Role of the leader-election Lease (src/setup.cpp's leader_election_manifest()).
kopp_add_crd(leader-election-gen
  FUNCTION {{ident}}::leader_election_manifest
  HEADER {{ident}}/setup.hpp
  LINK {{ident}}_lib
  OUTPUT config/rbac/leader_election_role.yaml
  TEST_NAME leader_election_role_up_to_date
  TEST_LABELS unit)
add_dependencies(manifests leader-election-gen_update)

# Each kind `kopp create api` added: its sources, its CRD (generated from its C++ types into
# config/crd/bases, with an up-to-date test), its tests.
# kopp:scaffold:kinds

# --- kubebuilder's Makefile targets ---------------------------------------------------
set(RUN_ARGS "" CACHE STRING "Arguments of the operator for the run target (e.g. --namespace=default)")
separate_arguments(run_args UNIX_COMMAND "${RUN_ARGS}")
add_custom_target(run COMMAND {{name}} ${run_args} DEPENDS {{name}} USES_TERMINAL
  COMMENT "Running {{name}} against the cluster of your kubeconfig (Ctrl-C stops it)")

find_program(KUBECTL kubectl)
if(KUBECTL)
  # --force-conflicts: config/default is the truth, whoever applied the objects before.
  add_custom_target(deploy COMMAND ${KUBECTL} apply --server-side --force-conflicts -k ${CMAKE_CURRENT_SOURCE_DIR}/config/default
    DEPENDS manifests USES_TERMINAL)
  add_custom_target(undeploy COMMAND ${KUBECTL} delete --ignore-not-found -k ${CMAKE_CURRENT_SOURCE_DIR}/config/default
    USES_TERMINAL)
else()
  foreach(target deploy undeploy)
    add_custom_target(${target} COMMAND ${CMAKE_COMMAND} -E echo "${target}: kubectl not found (set KUBECTL)"
      COMMAND ${CMAKE_COMMAND} -E false)
  endforeach()
endif()

set(IMG "{{name}}:latest" CACHE STRING "The operator's image, for the image target and config/manager")
set(IMAGE_KOPP_GIT_REPOSITORY "" CACHE STRING "The kopp git repository the image build fetches")
set(IMAGE_KOPP_GIT_TAG "" CACHE STRING "The kopp tag or commit the image build fetches")
find_program(IMAGE_BUILDER NAMES docker podman buildah)
if(IMAGE_BUILDER)
  add_custom_target(image
    COMMAND ${IMAGE_BUILDER} build -t ${IMG} --build-arg KOPP_GIT_REPOSITORY=${IMAGE_KOPP_GIT_REPOSITORY}
            --build-arg KOPP_GIT_TAG=${IMAGE_KOPP_GIT_TAG} ${CMAKE_CURRENT_SOURCE_DIR}
    USES_TERMINAL)
else()
  add_custom_target(image COMMAND ${CMAKE_COMMAND} -E echo
    "image: no docker, podman or buildah found; build the Dockerfile with the image builder you use"
    COMMAND ${CMAKE_COMMAND} -E false)
endif()

# --- tests ------------------------------------------------------------------------------
if({{IDENT}}_BUILD_TESTS AND OPERATOR_UNIT_TESTS)
  enable_testing()
  find_package(Catch2 2.13)
  if(Catch2_FOUND)
    # Unit tests: the controllers on kopp's in-memory cluster (kopp/testing), milliseconds each.
    add_executable({{ident}}_unit_tests tests/main.cpp ${OPERATOR_UNIT_TESTS})
    target_link_libraries({{ident}}_unit_tests PRIVATE {{ident}}_lib Catch2::Catch2)
    target_compile_options({{ident}}_unit_tests PRIVATE ${OPERATOR_WARNINGS})
    add_test(NAME unit COMMAND {{ident}}_unit_tests --warn NoAssertions)
    set_tests_properties(unit PROPERTIES LABELS unit TIMEOUT 120)
    # End to end: a real kube-apiserver (kopp's local control plane, built once from Go
    # modules: it needs Go), the CRDs installed, the controllers running as the operator's
    # ServiceAccount with config/rbac's role.
    if(COMMAND kopp_add_controlplane_test)
      add_executable({{ident}}_e2e_tests tests/main.cpp ${OPERATOR_E2E_TESTS})
      target_link_libraries({{ident}}_e2e_tests PRIVATE {{ident}}_lib Catch2::Catch2)
      target_compile_options({{ident}}_e2e_tests PRIVATE ${OPERATOR_WARNINGS})
      kopp_add_controlplane_test(NAME e2e
        COMMAND $<TARGET_FILE:{{ident}}_e2e_tests> --warn NoAssertions
        CRDS ${OPERATOR_CRDS}
        ENVIRONMENT "OPERATOR_CONFIG_DIR=${CMAKE_CURRENT_SOURCE_DIR}/config"
        LABELS e2e
        TIMEOUT 300)
    endif()
  else()
    message(STATUS "{{name}}: Catch2 2.13 not found (Debian: catch2), the tests are not built")
  endif()
endif()
)kopp";

inline constexpr std::string_view main_cpp =
    R"kopp(// {{name}}: reads the flags, builds the Manager, registers the controllers (src/setup.cpp)
// and runs them until SIGTERM or SIGINT.
//
//   {{name}} [--kubeconfig FILE] [--namespace NS] [--leader-elect] ...   (--help lists every flag)
//
// Outside a cluster it uses --kubeconfig, $KUBECONFIG or ~/.kube/config; in a pod, its
// ServiceAccount.

#include <{{ident}}/setup.hpp>

#include <kopp/runtime/manager/operator_flags.hpp>

#include <exception>
#include <iostream>

int main(int argc, char** argv) {
  kopp::OperatorFlags flags("{{name}}", "A Kubernetes operator.");
  // Your own flags go here, before parse(): flags.add_string("name", variable, "help").
  flags.parse(argc, argv);  // --help: usage, exit 0; a bad flag: usage on stderr, exit 2

  try {
    kopp::Manager manager(flags.load_config(), flags.manager_options());
    {{ident}}::add_controllers(manager);
    // The admission webhooks (`kopp create webhook`), unless --webhook-bind-address=0. Without
    // any, the webhook server opens no port.
    if (flags.webhook_bind_address != "0") {{ident}}::add_webhooks(manager);
    return manager.run();
  } catch (const std::exception& e) {
    std::cerr << "{{name}}: " << e.what() << "\n";
    return 1;
  }
}
)kopp";

inline constexpr std::string_view setup_hpp = R"kopp(#pragma once
// What the operator runs, in one place for main() and the tests: its controllers, its
// admission webhooks, and the manifests generated from them (the CustomResourceDefinitions
// of its kinds, the webhook configurations). `kopp create api` and `kopp create webhook`
// register each kind in src/setup.cpp.

#include <kopp/runtime/manager/manager.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <vector>

namespace {{ident}} {

/// Registers every controller of the operator on `manager`, which runs them.
void add_controllers(kopp::Manager& manager);

/// Registers every admission webhook of the operator on `manager`'s webhook server. main()
/// calls it unless --webhook-bind-address=0.
void add_webhooks(kopp::Manager& manager);

/// config/webhook/manifests.yaml: the webhook configurations for the webhooks that
/// add_webhooks() registers, sent to config/webhook's Service with cert-manager's CA. Empty
/// while there are none.
[[nodiscard]] std::vector<boost::json::value> webhook_manifests();

/// config/rbac/role.yaml: the ClusterRole "manager-role" that add_controllers()'s
/// declarations imply (each kind's informer, status and finalizers, what a controller
/// owns<>() or watches<>(), what it permits<>(), its Events).
[[nodiscard]] boost::json::object rbac_manifest();

/// config/rbac/leader_election_role.yaml: the Role "leader-election-role" for the Lease of
/// --leader-elect in the operator's namespace (what kopp's elector does with it).
[[nodiscard]] boost::json::object leader_election_manifest();

/// The CustomResourceDefinitions of the operator's kinds, for tests that install them.
[[nodiscard]] std::vector<boost::json::object> crd_definitions();

}  // namespace {{ident}}
)kopp";

inline constexpr std::string_view setup_cpp = R"kopp(#include <{{ident}}/setup.hpp>
// kopp:scaffold:includes

#include <kopp/runtime/controller/permissions.hpp>
#include <kopp/runtime/manager/leader_election.hpp>
#include <kopp/runtime/webhook/admission_webhook.hpp>
#include <kopp/runtime/webhook/webhook_configuration.hpp>

namespace {{ident}} {

void add_controllers([[maybe_unused]] kopp::Manager& manager) {
  // kopp:scaffold:controllers
}

void add_webhooks([[maybe_unused]] kopp::Manager& manager) {
  // kopp:scaffold:webhooks
}

std::vector<boost::json::value> webhook_manifests() {
  kopp::WebhookDeclarations declarations;
  // kopp:scaffold:webhook-declarations
  if (declarations.admission_webhooks().empty()) return {};
  // The names in config/webhook and config/certmanager: kustomize gives them config/default's
  // prefix and namespace, and config/default's replacements fill in the annotation's
  // Certificate, whose CA cert-manager injects as the caBundle.
  kopp::WebhookClientConfig service;
  service.service_namespace = "system";
  service.service_name = "webhook-service";
  boost::json::object annotations;
  annotations["cert-manager.io/inject-ca-from"] = "CERTIFICATE_NAMESPACE/CERTIFICATE_NAME";
  return kopp::webhook_configurations("webhook-configuration", declarations.admission_webhooks(), service,
                                      annotations);
}

boost::json::object rbac_manifest() {
  // A Manager that never runs (nothing is contacted): it only collects the declarations.
  kopp::Config nowhere;
  nowhere.server = "https://127.0.0.1:1";
  kopp::Manager manager(nowhere, kopp::ManagerOptions());
  add_controllers(manager);
  return kopp::cluster_role("manager-role", manager.permissions());
}

boost::json::object leader_election_manifest() {
  return kopp::role("leader-election-role", "system", kopp::leader_election_permissions());
}

std::vector<boost::json::object> crd_definitions() {
  std::vector<boost::json::object> crds;
  // kopp:scaffold:crds
  return crds;
}

}  // namespace {{ident}}
)kopp";

inline constexpr std::string_view tests_main_cpp = R"kopp(#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
)kopp";

inline constexpr std::string_view deploy_test_cpp =
    R"kopp(// config/default, as `kubectl apply -k config/default` (cmake --build build --target deploy)
// would install it: kustomize renders it and the API server accepts every object (a
// server-side dry run, so nothing is created but the namespace it goes in).
#include <kopp/testing/control_plane.hpp>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

TEST_CASE("config/default renders with kustomize and the API server accepts it", "[e2e][deploy]") {
  const char* config_dir = std::getenv("OPERATOR_CONFIG_DIR");
  REQUIRE(config_dir != nullptr);  // set by ctest
  const kopp::testing::ControlPlane plane = kopp::testing::ControlPlane::attach();
  const std::string rendered = plane.kubectl({"kustomize", std::string(config_dir) + "/default"});
  CHECK(rendered.find("kind: Deployment") != std::string::npos);
  CHECK(rendered.find("namespace: {{name}}-system") != std::string::npos);

  // A dry run creates nothing, so the objects in the operator's namespace need it to exist.
  const std::filesystem::path directory = std::filesystem::temp_directory_path();
  const std::filesystem::path namespace_file = directory / "{{name}}-namespace.yaml";
  std::ofstream(namespace_file) << "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {{name}}-system\n";
  plane.kubectl({"apply", "--server-side", "-f", namespace_file.string()});

  // cert-manager's objects (config/certmanager, once `kopp create webhook` added it) need
  // cert-manager installed; on a cluster without it they are left out of the dry run
  // (tests/e2e/webhook_config_test.cpp checks how they are wired).
  const bool cert_manager = !plane.kubectl({"api-resources", "--api-group=cert-manager.io", "-o", "name"}).empty();
  std::vector<std::string> documents(1);
  std::istringstream lines(rendered);
  for (std::string line; std::getline(lines, line);) {
    if (line == "---")
      documents.emplace_back();
    else
      documents.back() += line + "\n";
  }
  std::string applied_documents;
  int left_out = 0;
  for (const std::string& document : documents) {
    if (!cert_manager && document.find("apiVersion: cert-manager.io/") != std::string::npos) {
      ++left_out;
      continue;
    }
    applied_documents += "---\n" + document;
  }
  if (left_out > 0) WARN(left_out << " cert-manager object(s) not dry-run: cert-manager is not installed");

  const std::filesystem::path file = directory / "{{name}}-config-default.yaml";
  std::ofstream(file) << applied_documents;
  // --force-conflicts, as the deploy target: the tests installed the CRDs before, with
  // other values (the conversion's Service, say) under another field manager.
  const std::string applied =
      plane.kubectl({"apply", "--server-side", "--force-conflicts", "--dry-run=server", "-f", file.string()});
  CHECK(applied.find("deployment.apps/{{name}}-controller-manager serverside-applied (server dry run)") !=
        std::string::npos);
  plane.kubectl({"delete", "namespace", "{{name}}-system", "--wait=false"});
  std::filesystem::remove(file);
  std::filesystem::remove(namespace_file);
}
)kopp";

inline constexpr std::string_view gitignore = R"kopp(/build*/
/.cache/
compile_commands.json
)kopp";

inline constexpr std::string_view dockerignore = R"kopp(build*
.git
.cache
)kopp";

inline constexpr std::string_view dockerfile = R"kopp(# {{name}}'s image, built from this project's own root:
#
#   docker build -t {{name}}:latest \
#     --build-arg KOPP_GIT_REPOSITORY=<kopp's git repository> --build-arg KOPP_GIT_TAG=<tag> .
#
# (or: cmake --build build --target image, with IMAGE_KOPP_GIT_REPOSITORY and
# IMAGE_KOPP_GIT_TAG set). Stage 1 fetches kopp at that tag and builds the operator with it;
# stage 2 holds only the shared libraries the binary loads and runs as a non-root user.

FROM debian:bookworm AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential ca-certificates cmake git ninja-build pkg-config \
      libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev \
      libssl-dev libnghttp2-dev libyaml-cpp-dev \
 && rm -rf /var/lib/apt/lists/*

ARG KOPP_GIT_REPOSITORY
ARG KOPP_GIT_TAG
WORKDIR /workspace
COPY . .
RUN test -n "$KOPP_GIT_REPOSITORY" && test -n "$KOPP_GIT_TAG" \
      || { echo "set --build-arg KOPP_GIT_REPOSITORY=... and --build-arg KOPP_GIT_TAG=..." >&2; exit 1; } \
 && cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -D{{IDENT}}_BUILD_TESTS=OFF \
      -D{{IDENT}}_UPDATE_MANIFESTS=OFF \
      -DKOPP_GIT_REPOSITORY="$KOPP_GIT_REPOSITORY" -DKOPP_GIT_TAG="$KOPP_GIT_TAG" \
 && cmake --build build --target {{name}} \
 && strip build/{{name}}

FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libboost-json1.81.0 libboost-url1.81.0 libssl3 libnghttp2-14 libyaml-cpp0.7 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /workspace/build/{{name}} /usr/local/bin/{{name}}
# Numeric, so that the kubelet can check runAsNonRoot.
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/{{name}}"]
)kopp";

inline constexpr std::string_view readme = R"kopp(# {{name}}

A Kubernetes operator in C++ on kopp (scaffolded by `kopp init`).

## Two commands

Run it on this machine against the cluster of your kubeconfig (the CRDs installed first):

    cmake -S . -B build -G Ninja -DCMAKE_PREFIX_PATH=<kopp's install prefix> && cmake --build build --target run

Test it (unit tests on kopp's in-memory cluster, then end to end on a local control plane
that kopp builds once from Go modules, so the first run needs Go and takes a few minutes):

    cmake -S . -B build -G Ninja -DCMAKE_PREFIX_PATH=<kopp's install prefix> && cmake --build build && ctest --test-dir build --output-on-failure

## Layout

- `PROJECT`: what `kopp init` and `kopp create` know about the project (keep it).
- `include/{{ident}}/api/<version>/`: each kind's C++ types; its CRD is generated from them
  into `config/crd/bases/` by every build (`cmake --build build --target manifests`).
- `include/{{ident}}/*_controller.hpp`, `src/*_controller.cpp`: each kind's reconciler.
- `src/setup.cpp`: the controllers and CRDs of the operator; `src/main.cpp`: flags and Manager.
- `tests/`: unit tests on the fake cluster; `tests/e2e/`: end-to-end tests.
- `config/`: kustomize manifests in kubebuilder's layout: `kubectl apply -k config/default`
  (`cmake --build build --target deploy`) installs the CRDs, RBAC and the Deployment.

## Next steps

- `kopp create api --group <group> --version <version> --kind <Kind>` adds a kind.
- Build the image (`cmake --build build --target image -DIMG=<registry>/{{name}}:<tag>`),
  push it, set it in `config/manager/kustomization.yaml`, and deploy.
)kopp";

// --- config/ (kubebuilder's kustomize layout) -------------------------------------------

inline constexpr std::string_view config_default_kustomization =
    R"kopp(# Everything the operator needs in a cluster: kubectl apply -k config/default
# (`kopp create webhook` adds the webhooks and cert-manager's certificate: install
# cert-manager in the cluster first, then).
namespace: {{name}}-system
namePrefix: {{name}}-
resources:
- ../crd
- ../rbac
- ../manager
# kopp:scaffold:default-resources
# kopp:scaffold:default-webhook
)kopp";

inline constexpr std::string_view config_manager_kustomization = R"kopp(resources:
- manager.yaml
images:
- name: controller
  newName: {{name}}
  newTag: latest
)kopp";

inline constexpr std::string_view config_manager_yaml = R"kopp(apiVersion: v1
kind: Namespace
metadata:
  name: system
  labels:
    app.kubernetes.io/name: {{name}}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: controller-manager
  namespace: system
  labels:
    app.kubernetes.io/name: {{name}}
spec:
  replicas: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: {{name}}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: {{name}}
    spec:
      serviceAccountName: controller-manager
      # The manager lets reconciles in flight finish for up to 30 s after SIGTERM.
      terminationGracePeriodSeconds: 40
      securityContext:
        runAsNonRoot: true
        seccompProfile:
          type: RuntimeDefault
      containers:
      - name: manager
        image: controller:latest
        args:
        - --leader-elect
        - --health-probe-bind-address=:8081
        - --metrics-bind-address=:8080
        - --log-format=json
        ports:
        - name: metrics
          containerPort: 8080
        - name: health
          containerPort: 8081
        livenessProbe:
          httpGet:
            path: /healthz
            port: health
          initialDelaySeconds: 15
          periodSeconds: 20
        readinessProbe:
          httpGet:
            path: /readyz
            port: health
          initialDelaySeconds: 5
          periodSeconds: 10
        resources:
          requests:
            cpu: 10m
            memory: 32Mi
          limits:
            cpu: 500m
            memory: 128Mi
        securityContext:
          readOnlyRootFilesystem: true
          allowPrivilegeEscalation: false
          capabilities:
            drop: ["ALL"]
)kopp";

inline constexpr std::string_view config_rbac_kustomization = R"kopp(resources:
- service_account.yaml
- role.yaml
- role_binding.yaml
- leader_election_role.yaml
- leader_election_role_binding.yaml
)kopp";

inline constexpr std::string_view config_rbac_service_account = R"kopp(apiVersion: v1
kind: ServiceAccount
metadata:
  name: controller-manager
  namespace: system
)kopp";

inline constexpr std::string_view config_rbac_role_binding = R"kopp(apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: manager-rolebinding
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: manager-role
subjects:
- kind: ServiceAccount
  name: controller-manager
  namespace: system
)kopp";

inline constexpr std::string_view config_rbac_leader_election_role_binding =
    R"kopp(apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: leader-election-rolebinding
  namespace: system
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: leader-election-role
subjects:
- kind: ServiceAccount
  name: controller-manager
  namespace: system
)kopp";

inline constexpr std::string_view config_crd_kustomization =
    R"kopp(# The CRDs, generated from the C++ types by every build (cmake --build build --target manifests).
resources:
# kopp:scaffold:crdkustomizeresource
)kopp";

inline constexpr std::string_view config_samples_kustomization =
    R"kopp(# One sample object per kind: kubectl apply -k config/samples
resources:
# kopp:scaffold:manifestskustomizesamples
)kopp";

}  // namespace kopp_scaffold::templates
