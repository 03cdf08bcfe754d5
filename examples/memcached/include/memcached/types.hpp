#pragma once
// The Memcached custom resource (cache.example.com/v1alpha1), declared once in C++: the
// same described structs give the JSON mapping the operator reads and writes and the
// OpenAPI schema of the CRD (src/crd.cpp, config/crd/).
//
//   apiVersion: cache.example.com/v1alpha1
//   kind: Memcached
//   metadata: {name: sessions, namespace: web}
//   spec: {size: 3}                     # image and port take the CRD's defaults

#include <kopp/core.hpp>
#include <kopp/core/crd/field_rules.hpp>

#include <boost/describe/class.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace memcached::v1alpha1 {

/// The image the CRD defaults spec.image to. One constant for the schema default and the
/// reconciler's fallback, so the two cannot disagree.
inline constexpr std::string_view default_image = "memcached:1.6.38-alpine";
inline constexpr std::int32_t default_port = 11211;
inline constexpr std::int32_t min_size = 1;
inline constexpr std::int32_t max_size = 10;

struct MemcachedSpec {
  /// Number of memcached pods (1..10).
  std::int32_t size = 1;
  /// Container image; the API server fills in default_image when it is left out.
  std::string image;
  /// TCP port memcached listens on and the Service exposes.
  std::int32_t port = default_port;

  friend bool operator==(const MemcachedSpec&, const MemcachedSpec&) = default;
};
BOOST_DESCRIBE_STRUCT(MemcachedSpec, (), (size, image, port))
// The API server enforces these (and fills in the defaults) before the operator sees an
// object, so the reconciler never handles a size of 0 or 50.
// [doc:spec-rules] (README.md shows this)
KOPP_CRD_FIELDS(
    MemcachedSpec,
    kopp::crd::field("size").description("Number of memcached pods.").minimum(min_size).maximum(max_size).required(),
    kopp::crd::field("image").description("Container image of memcached.").min_length(1).default_value(default_image),
    kopp::crd::field("port")
        .description("TCP port memcached listens on.")
        .minimum(1)
        .maximum(65535)
        .default_value(default_port))
// [/doc]
KOPP_CRD_DOC(MemcachedSpec, "The desired state of a Memcached.")

struct MemcachedStatus {
  /// Available, Progressing and Degraded, each with the generation it describes.
  std::vector<kopp::Condition> conditions;
  /// Names of the pods that run this instance, sorted.
  std::vector<std::string> nodes;
  /// Pods of the Deployment that are ready (the "Ready" printer column).
  std::int32_t readyReplicas = 0;

  friend bool operator==(const MemcachedStatus&, const MemcachedStatus&) = default;
};
BOOST_DESCRIBE_STRUCT(MemcachedStatus, (), (conditions, nodes, readyReplicas))
KOPP_CRD_FIELDS(MemcachedStatus,
                kopp::crd::field("conditions")
                    .description("Available, Progressing and Degraded.")
                    .list_type("map")
                    .list_map_keys({"type"}),
                kopp::crd::field("nodes").description("Names of the pods that run this instance."),
                kopp::crd::field("readyReplicas").description("Pods of the Deployment that are ready.").minimum(0))
KOPP_CRD_DOC(MemcachedStatus, "The observed state of a Memcached.")

struct Memcached {
  std::string apiVersion;
  std::string kind;
  kopp::ObjectMeta metadata;
  MemcachedSpec spec;
  std::optional<MemcachedStatus> status;
  /// Fields of a newer CRD version survive read-modify-write.
  kopp::UnknownFields unknown_fields;
};
BOOST_DESCRIBE_STRUCT(Memcached, (), (apiVersion, kind, metadata, spec, status, unknown_fields))
KOPP_RESOURCE(Memcached, "cache.example.com", "v1alpha1", "Memcached", "memcacheds", namespaced)
KOPP_CRD_FIELDS(Memcached, kopp::crd::field("spec").required())
KOPP_CRD_DOC(Memcached, "A memcached cache run by the memcached-operator.")

// Condition types and reasons, CamelCase as Kubernetes conventions ask.
inline constexpr std::string_view condition_available = "Available";
inline constexpr std::string_view condition_progressing = "Progressing";
inline constexpr std::string_view condition_degraded = "Degraded";

}  // namespace memcached::v1alpha1
