#pragma once
// MemcachedReconciler: makes the cluster match each Memcached.
//
// For a Memcached that exists it
//   1. adds the inventory finalizer (first sight) — see kopp/runtime/controller/finalizer.hpp;
//   2. server-side applies the Deployment (spec.size replicas) and the Service, both
//      controlled by the Memcached, so a manual change of the Deployment's replicas is
//      taken back on the next reconcile and both are garbage-collected with it;
//   3. records `<namespace>.<name>: <endpoint>` in the inventory ConfigMap of the
//      operator's namespace;
//   4. writes status (conditions with observedGeneration, pod names, ready replicas) and
//      Events (Created, Scaled, ReconcileFailed).
// When it is being deleted, it removes the inventory entry and then the finalizer: an
// owner reference cannot do that work, because the ConfigMap lives in another namespace.
//
// Errors: a failed write marks the Memcached Degraded, records a Warning event, and throws
// so the controller retries with backoff. The Memcached's owner reads that status and
// Event, so they carry tenant_visible_error(): which step failed and the error's kind,
// never the operator's namespace, the inventory or the API server's address (those stay
// in the operator's log).

#include <memcached/resources.hpp>

#include <kopp/runtime/controller/controller.hpp>
#include <kopp/runtime/manager/manager.hpp>

#include <boost/asio/awaitable.hpp>

#include <exception>
#include <memory>
#include <string>

namespace memcached {

struct ReconcilerOptions {
  ReconcilerOptions() = default;
  /// Where the inventory ConfigMap lives: the operator's own namespace.
  std::string operator_namespace = "default";
};

class MemcachedReconciler : public kopp::Reconciler<Memcached> {
 public:
  explicit MemcachedReconciler(ReconcilerOptions options) : options_(std::move(options)) {}

  boost::asio::awaitable<kopp::Action> reconcile(std::shared_ptr<const Memcached> memcached,
                                                 kopp::Context& ctx) override;

 private:
  boost::asio::awaitable<kopp::Action> apply(std::shared_ptr<const Memcached> memcached, kopp::Context& ctx);
  boost::asio::awaitable<kopp::Action> cleanup(std::shared_ptr<const Memcached> memcached, kopp::Context& ctx);

  ReconcilerOptions options_;
};

/// Writes and removes inventory entries (a JSON merge patch per entry, so concurrent
/// reconciles of different Memcacheds never conflict).
boost::asio::awaitable<void> record_inventory(kopp::Client& client, const std::string& ns, const std::string& key,
                                              const std::string& endpoint);
boost::asio::awaitable<void> forget_inventory(kopp::Client& client, const std::string& ns, const std::string& key);

/// The steps of apply(), in order: what a tenant-visible error names.
enum class ApplyStep { deployment, service, inventory };

/// The message a tenant may read (status condition, Event) for a failure at `step`.
/// Errors about the tenant's own objects say what went wrong with them (a Deployment
/// controlled by someone else, a validation failure); an inventory failure is the
/// operator's internal business and says only that the operator failed.
std::string tenant_visible_error(ApplyStep step, const std::exception& error);

/// The primary's predicate: spec changes (generation) and the metadata changes the
/// finalizer protocol depends on; status writes (ours) pass nothing.
kopp::Predicate<Memcached> memcached_changed();

/// Builds the controller on `manager`, which runs it: Memcached (memcached_changed()), owned Deployments
/// and Services, and pods metadata-only mapped back through their instance label.
std::shared_ptr<kopp::Controller<Memcached>> make_controller(kopp::Manager& manager, ReconcilerOptions options);

}  // namespace memcached
