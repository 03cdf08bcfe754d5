#include <memcached/reconciler.hpp>

#include <kopp/runtime/manager/events.hpp>
#include <kopp/runtime/controller/finalizer.hpp>
#include <kopp/runtime/controller/object_helpers.hpp>
#include <kopp/runtime/cache/informer_factory.hpp>

#include <exception>

namespace memcached {

using boost::asio::awaitable;

awaitable<kopp::Action> MemcachedReconciler::reconcile(std::shared_ptr<const Memcached> memcached, kopp::Context& ctx) {
  kopp::Api<Memcached> memcacheds(ctx.client(), memcached->metadata.namespace_);
  // Closures are named before they enter a co_await expression (a GCC 12 coroutine bug).
  auto apply_step = [this, &ctx](std::shared_ptr<const Memcached> m) { return apply(std::move(m), ctx); };
  auto cleanup_step = [this, &ctx](std::shared_ptr<const Memcached> m) { return cleanup(std::move(m), ctx); };
  std::string finalizer(inventory_finalizer);
  co_return co_await kopp::finalize(memcacheds, std::move(finalizer), std::move(memcached), apply_step, cleanup_step);
}

awaitable<kopp::Action> MemcachedReconciler::apply(std::shared_ptr<const Memcached> memcached, kopp::Context& ctx) {
  const Memcached& m = *memcached;
  const std::string& ns = m.metadata.namespace_;
  kopp::Api<Deployment> deployments(ctx.client(), ns);
  kopp::Api<Service> services(ctx.client(), ns);
  // force: a field someone else set (kubectl scale writes spec.replicas) is taken back.
  const auto apply_params = kopp::PatchParams::apply(std::string(operator_name)).forced();

  Observed observed;
  std::optional<Deployment> before;
  std::exception_ptr failure;
  ApplyStep step = ApplyStep::deployment;
  try {
    // Read from the server, not the cache: Events must say what changed, and the cache can
    // still miss our own write of a moment ago.
    before = co_await deployments.get_opt(m.metadata.name);
    // A Deployment of that name that belongs to someone else is not taken over; the API
    // server would refuse a second controller reference anyway, less readably.
    if (const auto* owner = before ? kopp::find_controller_reference(before->metadata) : nullptr;
        owner && owner->uid != m.metadata.uid)
      throw kopp::already_owned_error("Deployment " + m.metadata.name + " already exists and is controlled by " +
                                      owner->kind + " " + owner->name);
    const Deployment deployment = desired_deployment(m);
    observed.deployment = co_await deployments.apply(deployment, apply_params);
    step = ApplyStep::service;
    const Service service = desired_service(m);
    co_await services.apply(service, apply_params);
    step = ApplyStep::inventory;
    const std::string key = inventory_key(ctx.key());
    const std::string endpoint = endpoint_of(m);
    co_await record_inventory(ctx.client(), options_.operator_namespace, key, endpoint);
  } catch (const std::exception& e) {
    ctx.log().warn("reconcile failed", {{"error", e.what()}});  // the details, for the operator only
    observed.error = tenant_visible_error(step, e);
    failure = std::current_exception();
  }

  observed.pods = pod_names(m, ctx.cache().list_metadata<Pod>(ns));

  const std::string size = std::to_string(m.spec.size);
  if (failure) {
    ctx.recorder().post(m, kopp::EventType::warning, "ReconcileFailed", "Reconcile", *observed.error);
  } else if (!before) {
    ctx.log().info("created the Deployment and the Service", {{"replicas", m.spec.size}});
    ctx.recorder().post(m, kopp::EventType::normal, "Created", "Create",
                        "created Deployment and Service " + m.metadata.name + " with " + size + " replicas");
  } else if (const std::int32_t had = before->spec.replicas.value_or(1); had != m.spec.size) {
    ctx.log().info("scaled the Deployment", {{"from", had}, {"to", m.spec.size}});
    ctx.recorder().post(
        m, kopp::EventType::normal, "Scaled", "Scale",
        "scaled Deployment " + m.metadata.name + " from " + std::to_string(had) + " to " + size + " replicas");
  }

  const MemcachedStatus status = desired_status(m, observed, kopp::Time::now());
  {
    kopp::Api<Memcached> memcacheds(ctx.client(), ns);
    try {
      // Sends nothing when the status is already so; removed members are nulled.
      co_await kopp::patch_status(memcacheds, m, status);
    } catch (const std::exception& e) {
      ctx.log().warn("status update failed", {{"error", e.what()}});
      if (!failure) failure = std::current_exception();
    }
  }
  if (failure) std::rethrow_exception(failure);
  co_return kopp::Action::done();
}

awaitable<kopp::Action> MemcachedReconciler::cleanup(std::shared_ptr<const Memcached> /*memcached*/,
                                                     kopp::Context& ctx) {
  const std::string key = inventory_key(ctx.key());
  co_await forget_inventory(ctx.client(), options_.operator_namespace, key);
  ctx.log().info("removed the inventory entry", {{"key", key}, {"inventory", options_.operator_namespace}});
  co_return kopp::Action::done();
}

std::string tenant_visible_error(ApplyStep step, const std::exception& error) {
  if (dynamic_cast<const kopp::already_owned_error*>(&error) != nullptr) return error.what();  // about their object
  if (step == ApplyStep::inventory) return "the operator could not record this Memcached's endpoint; it retries";
  const char* object = step == ApplyStep::deployment ? "the Deployment" : "the Service";
  std::string why = "an internal error";
  if (const auto* api = dynamic_cast<const kopp::api_error*>(&error)) {
    // The server's Status message of a validation failure names the tenant's own fields;
    // for everything else the kind of error is enough (the full text names the server).
    const auto& status = api->status();
    if (kopp::is_invalid(*api) && status && !status->message.empty())
      why = status->message;
    else
      why = api->code().message();
  }
  return std::string("could not apply ") + object + ": " + why + "; the operator retries";
}

awaitable<void> record_inventory(kopp::Client& client, const std::string& ns, const std::string& key,
                                 const std::string& endpoint) {
  kopp::Api<ConfigMap> configmaps(client, ns);
  boost::json::object data;
  data[key] = endpoint;
  boost::json::object body;
  body["data"] = std::move(data);
  const auto patch = kopp::Patch::merge(body);
  bool missing = false;
  try {
    co_await configmaps.patch(inventory_configmap, patch);
    co_return;
  } catch (const kopp::api_error& e) {
    if (!kopp::is_not_found(e)) throw;
    missing = true;
  }
  if (missing) {
    ConfigMap inventory;
    inventory.metadata.name = std::string(inventory_configmap);
    inventory.metadata.labels.emplace(label_managed_by, operator_name);
    inventory.data.emplace(key, endpoint);
    bool raced = false;
    try {
      co_await configmaps.create(inventory);
    } catch (const kopp::api_error& e) {
      if (!kopp::is_already_exists(e)) throw;
      raced = true;  // another reconcile created it first: add our entry to it
    }
    if (raced) co_await configmaps.patch(inventory_configmap, patch);
  }
}

awaitable<void> forget_inventory(kopp::Client& client, const std::string& ns, const std::string& key) {
  kopp::Api<ConfigMap> configmaps(client, ns);
  boost::json::object data;
  data[key] = nullptr;  // a merge patch removes keys set to null
  boost::json::object body;
  body["data"] = std::move(data);
  const auto patch = kopp::Patch::merge(body);
  try {
    co_await configmaps.patch(inventory_configmap, patch);
  } catch (const kopp::api_error& e) {
    kopp::ignore_not_found(e);  // no inventory: nothing to forget
  }
}

kopp::Predicate<Memcached> memcached_changed() {
  // finalize() runs apply in the reconcile that adds the finalizer, so that update need not
  // wake us; but a deletion request and finalizers edited by others leave the generation
  // alone, and cleanup (or putting our finalizer back) needs them: let them through too.
  auto finalizing = kopp::predicates::on_update<Memcached>(
      [](const std::shared_ptr<const Memcached>& old, const std::shared_ptr<const Memcached>& now) {
        return old->metadata.finalizers != now->metadata.finalizers ||
               old->metadata.deletionTimestamp != now->metadata.deletionTimestamp;
      });
  return kopp::predicates::any_of<Memcached>({kopp::predicates::generation_changed<Memcached>(), finalizing});
}

std::shared_ptr<kopp::Controller<Memcached>> make_controller(kopp::Manager& manager, ReconcilerOptions options) {
  // [doc:controller] (README.md shows this)
  return manager.controller<Memcached>("memcached")
      .with_predicate(memcached_changed())  // spec and finalizer changes; not status writes
      .owns<Deployment>()                   // a change to a Deployment it controls
      .owns<Service>()
      // Pods, metadata only, mapped to their Memcached by the instance label.
      .watches_metadata<Pod>(
          [](const std::shared_ptr<const kopp::PartialObjectMetadata>& pod) { return memcached_of_pod(*pod); })
      // Calls beyond what the declarations above imply, for config/rbac/role.yaml: the
      // finalizer (a JSON patch of the Memcached), the Deployment read before it is applied.
      .permits<Memcached>({"patch"})
      .permits<Deployment>({"get"})
      .max_concurrent_reconciles(2)
      .build(std::make_shared<MemcachedReconciler>(std::move(options)));
  // [/doc]
}

}  // namespace memcached
