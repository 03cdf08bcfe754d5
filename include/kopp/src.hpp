#pragma once
// Compiled mode: the definitions of kopp's non-template functions, for exactly one
// translation unit of a program built with KOPP_SEPARATE_COMPILATION defined everywhere.
// CMake's kopp::compiled target compiles this file (with Boost.Asio's and Boost.Beast's
// own separate-compilation sources); without CMake:
//
//   // kopp_compiled.cpp, built with -DKOPP_SEPARATE_COMPILATION
//   //   -DBOOST_ASIO_SEPARATE_COMPILATION -DBOOST_BEAST_SEPARATE_COMPILATION
//   #include <kopp/src.hpp>
//   #include <boost/asio/impl/src.hpp>
//   #include <boost/asio/ssl/impl/src.hpp>
//   #include <boost/beast/src.hpp>

#include <kopp/core/detail/config.hpp>

#if KOPP_HEADER_ONLY
#error "kopp/src.hpp is for the compiled mode: define KOPP_SEPARATE_COMPILATION in every translation unit"
#endif

// GCC 12 warns that coroutine frames holding a local lambda or type "have no linkage"
// (-Wsubobject-linkage) once the coroutine is defined outside the main file; the frame is
// private to its function, so there is nothing to link.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsubobject-linkage"
#endif

#include <kopp/client/impl/api_resource.ipp>
#include <kopp/client/impl/client.ipp>
#include <kopp/client/impl/credentials.ipp>
#include <kopp/client/impl/discovery.ipp>
#include <kopp/client/impl/dynamic_api.ipp>
#include <kopp/client/impl/error.ipp>
#include <kopp/client/impl/exec_credential.ipp>
#include <kopp/client/impl/in_cluster.ipp>
#include <kopp/client/impl/kubeconfig.ipp>
#include <kopp/client/impl/params.ipp>
#include <kopp/client/impl/transport.ipp>
#include <kopp/client/impl/server_connector.ipp>
#include <kopp/client/impl/http1_transport.ipp>
#include <kopp/client/impl/http2_transport.ipp>
#include <kopp/client/impl/watch_decoder.ipp>
#include <kopp/client/impl/watch_stream.ipp>
#include <kopp/core/crd/impl/definition.ipp>
#include <kopp/core/crd/impl/schema.ipp>
#include <kopp/core/crd/impl/yaml.ipp>
#include <kopp/core/impl/codecs.ipp>
#include <kopp/runtime/cache/impl/informer.ipp>
#include <kopp/runtime/cache/impl/informer_factory.ipp>
#include <kopp/runtime/cache/impl/label_selector.ipp>
#include <kopp/runtime/cache/impl/watcher.ipp>
#include <kopp/runtime/controller/impl/reconciler.ipp>
#include <kopp/runtime/detail/impl/async_latch.ipp>
#include <kopp/runtime/manager/impl/events.ipp>
#include <kopp/runtime/manager/impl/leader_election.ipp>
#include <kopp/runtime/manager/impl/leader_election_fsm.ipp>
#include <kopp/runtime/manager/impl/manager.ipp>
#include <kopp/runtime/manager/impl/operator_flags.ipp>
#include <kopp/runtime/telemetry/impl/log.ipp>
#include <kopp/runtime/telemetry/impl/metrics.ipp>
#include <kopp/runtime/telemetry/impl/probe_server.ipp>
#include <kopp/runtime/webhook/impl/admission.ipp>
#include <kopp/runtime/webhook/impl/conversion.ipp>
#include <kopp/runtime/webhook/impl/delegating_authorizer.ipp>
#include <kopp/runtime/webhook/impl/https_server.ipp>
#include <kopp/runtime/webhook/impl/serving_certificate.ipp>
#include <kopp/runtime/webhook/impl/webhook_configuration.ipp>

// The JSON codecs of the generated models (tools/gen-api).
#include <kopp/api/apiextensions/impl/v1.ipp>
#include <kopp/api/apps/impl/v1.ipp>
#include <kopp/api/autoscaling/impl/v2.ipp>
#include <kopp/api/batch/impl/v1.ipp>
#include <kopp/api/coordination/impl/v1.ipp>
#include <kopp/api/core/impl/v1.ipp>
#include <kopp/api/events/impl/v1.ipp>
#include <kopp/api/meta/impl/v1.ipp>
#include <kopp/api/networking/impl/v1.ipp>
#include <kopp/api/policy/impl/v1.ipp>
#include <kopp/api/rbac/impl/v1.ipp>

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
