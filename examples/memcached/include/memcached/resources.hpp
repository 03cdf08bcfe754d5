#pragma once
// What a Memcached should look like in the cluster, computed without a server: the
// Deployment and Service it owns, the status it reports, and its inventory entry. The
// reconciler (reconciler.hpp) only reads the world, calls these, and writes the result;
// keeping the decisions here makes them unit-testable (tests/resources_test.cpp).

#include <memcached/types.hpp>

#include <kopp/api/apps/v1.hpp>
#include <kopp/api/core/v1.hpp>
#include <kopp/core/partial_object_metadata.hpp>
#include <kopp/runtime/controller/reconciler.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace memcached {

using v1alpha1::Memcached;
using v1alpha1::MemcachedStatus;
using Deployment = kopp::api::apps::v1::Deployment;
using Service = kopp::api::core::v1::Service;
using ConfigMap = kopp::api::core::v1::ConfigMap;
using Pod = kopp::api::core::v1::Pod;

/// The field manager of server-side apply and the app.kubernetes.io/managed-by label.
inline constexpr std::string_view operator_name = "memcached-operator";
/// Events' reportingController.
inline constexpr std::string_view reporting_controller = "cache.example.com/memcached-operator";
/// Guards the inventory entry: the Memcached is not deleted before its entry is removed.
inline constexpr std::string_view inventory_finalizer = "cache.example.com/inventory";
/// The ConfigMap in the operator's namespace that lists every Memcached and its endpoint.
inline constexpr std::string_view inventory_configmap = "memcached-operator-inventory";

inline constexpr std::string_view label_name = "app.kubernetes.io/name";
inline constexpr std::string_view label_instance = "app.kubernetes.io/instance";
inline constexpr std::string_view label_managed_by = "app.kubernetes.io/managed-by";

/// The labels that select an instance's pods (the Deployment's and the Service's selector).
[[nodiscard]] std::map<std::string, std::string> selector_labels(const Memcached& m);
/// selector_labels plus managed-by: what every object made for `m` carries.
[[nodiscard]] std::map<std::string, std::string> labels_for(const Memcached& m);

/// spec.image, or the CRD's default when the object was made without the schema's defaulting.
[[nodiscard]] std::string image_of(const Memcached& m);

/// The Deployment `m` owns, as server-side apply intent: only the fields the operator
/// cares about, with `m` as its controller. `m` must come from the server (it needs a uid).
[[nodiscard]] Deployment desired_deployment(const Memcached& m);
/// The ClusterIP Service in front of the pods, named like `m`.
[[nodiscard]] Service desired_service(const Memcached& m);

/// The inventory key of `m`: `<namespace>.<name>` (ConfigMap keys cannot hold '/'; a
/// namespace has no '.', so the first '.' separates the two).
[[nodiscard]] std::string inventory_key(const kopp::ObjectKey& key);
/// `<name>.<namespace>.svc:<port>`, how clients in the cluster reach the instance.
[[nodiscard]] std::string endpoint_of(const Memcached& m);

/// What the reconciler saw of the world for one Memcached.
struct Observed {
  Observed() = default;
  /// The Deployment after apply; nullopt when it could not be applied.
  std::optional<Deployment> deployment;
  /// Names of the instance's pods that are not being deleted.
  std::vector<std::string> pods;
  /// Why the reconcile failed, when it did.
  std::optional<std::string> error;
};

/// The status `m` should report: conditions Available, Progressing and Degraded (with
/// m's generation as observedGeneration; lastTransitionTime kept unless the status
/// flips), sorted pod names, ready replicas. Starts from m's current status so
/// unchanged conditions compare equal.
[[nodiscard]] MemcachedStatus desired_status(const Memcached& m, const Observed& observed, kopp::Time now);

/// The Memcached a pod belongs to, from its instance label (none for other pods).
[[nodiscard]] std::vector<kopp::ObjectKey> memcached_of_pod(const kopp::PartialObjectMetadata& pod);

/// Names of the pods in `candidates` that belong to `m` and are not being deleted, sorted.
[[nodiscard]] std::vector<std::string> pod_names(
    const Memcached& m, const std::vector<std::shared_ptr<const kopp::PartialObjectMetadata>>& candidates);

}  // namespace memcached
