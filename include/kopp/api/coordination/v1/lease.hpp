#pragma once
// coordination.k8s.io/v1 Lease: the lock object of leader election (and node heartbeats).
//
// Hand-written until the model generator covers coordination/v1; the generated header
// will keep this path and the type names. Every Go pointer field is a std::optional, so
// "absent" and "zero" stay distinct; fields of newer servers (strategy, preferredHolder
// and anything later) survive read-modify-write through unknown_fields.

#include <kopp/core/object_meta.hpp>
#include <kopp/core/resource.hpp>
#include <kopp/core/time.hpp>
#include <kopp/core/unknown_fields.hpp>

#include <boost/describe/class.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace kopp::api::coordination::v1 {

struct LeaseSpec {
  std::optional<std::string> holderIdentity;
  std::optional<std::int32_t> leaseDurationSeconds;
  std::optional<kopp::MicroTime> acquireTime;
  std::optional<kopp::MicroTime> renewTime;
  std::optional<std::int32_t> leaseTransitions;
  /// Coordinated leader election (Kubernetes 1.31+): "OldestEmulationVersion" or unset.
  std::optional<std::string> strategy;
  std::optional<std::string> preferredHolder;
  kopp::UnknownFields unknown_fields;

  friend bool operator==(const LeaseSpec&, const LeaseSpec&) = default;
};
BOOST_DESCRIBE_STRUCT(LeaseSpec, (),
                      (holderIdentity, leaseDurationSeconds, acquireTime, renewTime,
                       leaseTransitions, strategy, preferredHolder, unknown_fields))

struct Lease {
  std::string apiVersion;
  std::string kind;
  kopp::ObjectMeta metadata;
  LeaseSpec spec;
  kopp::UnknownFields unknown_fields;

  friend bool operator==(const Lease&, const Lease&) = default;
};
BOOST_DESCRIBE_STRUCT(Lease, (), (apiVersion, kind, metadata, spec, unknown_fields))
KOPP_RESOURCE(Lease, "coordination.k8s.io", "v1", "Lease", "leases", namespaced)

}  // namespace kopp::api::coordination::v1
