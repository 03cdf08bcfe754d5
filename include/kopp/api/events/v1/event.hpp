#pragma once
// events.k8s.io/v1 Event: something that happened to an object (`regarding`), as
// `kubectl events` and `kubectl describe` show it.
//
// Hand-written until the model generator covers events/v1; the generated header will keep
// this path and the type names. The deprecated* fields of the core/v1 Event that the
// events/v1 API still carries are not declared: new events must leave them unset, and
// when an existing event has them they stay in unknown_fields.

#include <kopp/api/core/v1/object_reference.hpp>
#include <kopp/core/object_meta.hpp>
#include <kopp/core/resource.hpp>
#include <kopp/core/time.hpp>
#include <kopp/core/unknown_fields.hpp>

#include <boost/describe/class.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace kopp::api::events::v1 {

/// How often an isomorphic event repeated: `count` occurrences in all (at least 2),
/// the last one at `lastObservedTime`.
struct EventSeries {
  std::int32_t count = 0;
  kopp::MicroTime lastObservedTime;
  kopp::UnknownFields unknown_fields;

  friend bool operator==(const EventSeries&, const EventSeries&) = default;
};
BOOST_DESCRIBE_STRUCT(EventSeries, (), (count, lastObservedTime, unknown_fields))

struct Event {
  std::string apiVersion;
  std::string kind;
  kopp::ObjectMeta metadata;
  /// When the event was first observed (required).
  kopp::MicroTime eventTime;
  std::optional<EventSeries> series;
  /// The controller that emitted it, a qualified name such as `example.com/memcached`.
  std::string reportingController;
  /// Which instance of the controller (pod name), at most 128 characters.
  std::string reportingInstance;
  /// What the controller did or failed to do (`Scale`, `Provision`), at most 128 characters.
  std::string action;
  /// Why (`ScalingReplicaSet`), UpperCamelCase, at most 128 characters.
  std::string reason;
  api::core::v1::ObjectReference regarding;
  std::optional<api::core::v1::ObjectReference> related;
  /// Human-readable, at most 1 KiB.
  std::string note;
  /// "Normal" or "Warning".
  std::string type;
  kopp::UnknownFields unknown_fields;

  friend bool operator==(const Event&, const Event&) = default;
};
BOOST_DESCRIBE_STRUCT(Event, (),
                      (apiVersion, kind, metadata, eventTime, series, reportingController,
                       reportingInstance, action, reason, regarding, related, note, type,
                       unknown_fields))
KOPP_RESOURCE(Event, "events.k8s.io", "v1", "Event", "events", namespaced)

}  // namespace kopp::api::events::v1
