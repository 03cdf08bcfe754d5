#pragma once
// The kinds the side-by-side benchmarks use, written the way a kopp user writes them: the
// fields the programs read, everything else kept in unknown_fields.

#include <kopp/core.hpp>

#include <boost/describe/class.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace kopp_bench {

struct ConfigMap {
  std::string apiVersion;
  std::string kind;
  kopp::ObjectMeta metadata;
  std::map<std::string, std::string> data;
  std::optional<bool> immutable;
  kopp::UnknownFields unknown_fields;
};
BOOST_DESCRIBE_STRUCT(ConfigMap, (), (apiVersion, kind, metadata, data, immutable, unknown_fields))
KOPP_RESOURCE(ConfigMap, "", "v1", "ConfigMap", "configmaps", namespaced)

struct Namespace {
  std::string apiVersion;
  std::string kind;
  kopp::ObjectMeta metadata;
  kopp::UnknownFields unknown_fields;
};
BOOST_DESCRIBE_STRUCT(Namespace, (), (apiVersion, kind, metadata, unknown_fields))
KOPP_RESOURCE(Namespace, "", "v1", "Namespace", "namespaces", cluster)

/// The benchmark's custom resource (bench/crd.yaml): the reconcile-throughput workload
/// writes status.handledBy once per object and run.
struct WidgetSpec {
  std::int64_t value = 0;
  std::string payload;
};
BOOST_DESCRIBE_STRUCT(WidgetSpec, (), (value, payload))

struct WidgetStatus {
  std::optional<std::string> handledBy;
};
BOOST_DESCRIBE_STRUCT(WidgetStatus, (), (handledBy))

struct Widget {
  std::string apiVersion;
  std::string kind;
  kopp::ObjectMeta metadata;
  WidgetSpec spec;
  std::optional<WidgetStatus> status;
  kopp::UnknownFields unknown_fields;
};
BOOST_DESCRIBE_STRUCT(Widget, (), (apiVersion, kind, metadata, spec, status, unknown_fields))
KOPP_RESOURCE(Widget, "bench.kopp.dev", "v1", "Widget", "widgets", namespaced)

}  // namespace kopp_bench
