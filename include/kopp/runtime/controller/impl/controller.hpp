#pragma once

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <random>
#include <stdexcept>

namespace kopp {
namespace detail {

/// The one path from an informer event to the queue, for the primary kind and every
/// owns/watches kind: every predicate must pass, then `keys_of` says which keys to
/// reconcile. An update enqueues the keys of both versions when `both_versions` (a child's
/// owner or a mapped key may have changed); the queue coalesces duplicates.
template <class Obj>
EventHandlers<Obj> enqueue_handlers(std::weak_ptr<WorkQueue<ObjectKey>> queue, std::vector<Predicate<Obj>> predicates,
                                    std::function<std::vector<ObjectKey>(const std::shared_ptr<const Obj>&)> keys_of,
                                    bool both_versions) {
  auto enqueue = [queue, keys_of](const std::shared_ptr<const Obj>& object) {
    if (auto q = queue.lock())
      for (auto& key : keys_of(object)) q->add(key);
  };
  EventHandlers<Obj> handlers;
  handlers.on_add([=](const auto& object) {
    for (const auto& p : predicates)
      if (!p.create(object)) return;
    enqueue(object);
  });
  handlers.on_update([=](const auto& old, const auto& now) {
    for (const auto& p : predicates)
      if (!p.update(old, now)) return;
    if (both_versions) enqueue(old);
    enqueue(now);
  });
  handlers.on_delete([=](const auto& object) {
    for (const auto& p : predicates)
      if (!p.remove(object)) return;
    enqueue(object);
  });
  return handlers;
}

inline std::string new_reconcile_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char hex[] = "0123456789abcdef";
  std::string id(32, '0');
  for (auto& c : id) c = hex[rng() % 16];
  id.insert(20, 1, '-').insert(16, 1, '-').insert(12, 1, '-').insert(8, 1, '-');
  return id;
}

/// The owner key when `meta` is controlled by an object of kind (group, kind).
inline std::optional<ObjectKey> controller_owner_key(const ObjectMeta& meta, std::string_view group,
                                                     std::string_view kind, bool owner_namespaced) {
  const auto* ref = find_controller_reference(meta);
  if (!ref || ref->kind != kind) return std::nullopt;
  const std::string_view api_version = ref->apiVersion;
  const auto slash = api_version.rfind('/');
  const std::string_view ref_group =
      slash == std::string_view::npos ? std::string_view() : api_version.substr(0, slash);
  if (ref_group != group) return std::nullopt;
  return ObjectKey(owner_namespaced ? meta.namespace_ : std::string(), ref->name);
}

template <class K>
ObjectKey key_of(const K& object) {
  return ObjectKey(object.metadata.namespace_, object.metadata.name);
}

}  // namespace detail

// --- Controller -----------------------------------------------------------------------

template <Resource K>
Controller<K>::Controller(Client& client, std::string name, std::shared_ptr<Reconciler<K>> reconciler,
                          std::shared_ptr<Informer<K>> primary, std::vector<std::shared_ptr<InformerBase>> sources,
                          int workers, std::chrono::milliseconds reconcile_timeout, EventRecorder* recorder,
                          metrics::Registry& registry, Logger logger)
    : client_(&client),
      name_(std::move(name)),
      reconciler_(std::move(reconciler)),
      primary_(std::move(primary)),
      sources_(std::move(sources)),
      workers_(workers),
      reconcile_timeout_(reconcile_timeout),
      recorder_(recorder),
      log_(logger.with({{"controller", name_}})) {
  const metrics::Labels labels{{"controller", name_}};
  metrics_.total = &registry.counter("controller_runtime_reconcile_total",
                                     "Total number of reconciliations per controller", {"controller", "result"});
  for (const char* result : {"success", "error", "requeue_after"})  // present from the start, as in controller-runtime
    metrics_.total->with({{"controller", name_}, {"result", result}});
  metrics_.errors = &registry
                         .counter("controller_runtime_reconcile_errors_total",
                                  "Total number of reconciliation errors per controller", {"controller"})
                         .with(labels);
  metrics_.terminal_errors =
      &registry
           .counter("controller_runtime_terminal_reconcile_errors_total",
                    "Total number of terminal reconciliation errors per controller", {"controller"})
           .with(labels);
  metrics_.time =
      &registry
           .histogram("controller_runtime_reconcile_time_seconds", "Length of time per reconciliation per controller",
                      {"controller"}, metrics::reconcile_time_buckets())
           .with(labels);
  metrics_.active = &registry
                         .gauge("controller_runtime_active_workers", "Number of currently used workers per controller",
                                {"controller"})
                         .with(labels);
  registry
      .gauge("controller_runtime_max_concurrent_reconciles", "Maximum number of concurrent reconciles per controller",
             {"controller"})
      .with(labels)
      .set(workers_);
  WorkQueueOptions queue_options;
  queue_options.name = name_;
  queue_options.registry = &registry;
  queue_ = std::make_shared<WorkQueue<ObjectKey>>(client.get_executor(), queue_options,
                                                  default_controller_rate_limiter<ObjectKey>());
}

template <Resource K>
void Controller<K>::start(boost::asio::any_io_executor executor) {
  std::lock_guard lock(slots_mutex_);
  if (stopping_ || started_.exchange(true)) return;
  log_.info("starting workers", {{"workers", workers_}});
  running_ += workers_;
  slots_.reserve(static_cast<std::size_t>(workers_));
  for (int i = 0; i < workers_; ++i) slots_.push_back(std::make_unique<WorkerSlot>(executor));
  for (auto& slot : slots_) {
    // Posted, not spawned here: co_spawn dispatches, so when start() runs on an io thread
    // (the Manager calls it from a handler) the worker would run at once, with
    // slots_mutex_ held, until it first suspends; a worker that finds the leadership lapsed
    // calls stop(), which locks slots_mutex_ again: a self-deadlock (found with the TSan build of
    // manager_leadership_test's paused leader). stop() posts its cancellation to the same
    // strand, after this, so it still reaches the worker.
    WorkerSlot* const s = slot.get();
    boost::asio::post(s->strand, [self = this->shared_from_this(), s] {
      // Runs on the slot's strand when the worker ended: a later stop() must find no
      // handler of the finished coroutine in the slot.
      auto done = [self, s](std::exception_ptr) {
        s->cancel.slot().clear();
        if (--self->running_ == 0) self->workers_exited_.set();
      };
      boost::asio::co_spawn(s->strand, self->worker(*s),
                            boost::asio::bind_cancellation_slot(s->cancel.slot(), std::move(done)));
    });
  }
}

template <Resource K>
void Controller<K>::stop() {
  if (stopping_.exchange(true)) return;
  log_.info("stopping: no new reconciles; cancelling those in flight");
  queue_->shut_down_now();
  std::lock_guard lock(slots_mutex_);
  // A weak reference: a worker that already ended needs no cancellation, and a handler still
  // queued when the io_context is destroyed must not be what keeps the controller alive (its
  // destructor would then run inside the io_context's shutdown, after the metrics registry
  // and the other things the caller made it with may be gone: found by controller_test once
  // wait_stopped() returned as soon as the workers exited).
  std::weak_ptr<Controller> weak = this->shared_from_this();
  for (auto& slot : slots_) {
    WorkerSlot* const s = slot.get();
    boost::asio::post(s->strand, [weak, s] {
      if (auto self = weak.lock()) s->cancel.emit(boost::asio::cancellation_type::terminal);
    });
  }
}

template <Resource K>
boost::asio::awaitable<bool> Controller<K>::wait_stopped(std::chrono::steady_clock::duration timeout) {
  // Workers are started once (start() is one-shot): when none runs, none will.
  if (running_.load() == 0) co_return true;
  co_return co_await workers_exited_.wait(timeout);
}

template <Resource K>
boost::asio::awaitable<bool> Controller<K>::wait_for_sources() {
  // A key from a secondary watch or enqueue() may arrive before the primary cache holds
  // its object: reconciling it then would run deleted() for an object that exists.
  for (const auto& informer : sources_) {
    if (stopping_) co_return false;
    if (!co_await informer->wait_for_sync()) co_return false;
  }
  co_return !stopping_;
}

template <Resource K>
boost::asio::awaitable<void> Controller<K>::worker(WorkerSlot& slot) {
  // The queue is held by this frame: a controller destroyed while workers wait cannot
  // pull it out from under them.
  auto self = this->shared_from_this();
  if (!co_await wait_for_sources()) co_return;
  for (;;) {
    auto key = co_await queue_->get();
    if (!key) co_return;
    co_await process(*key, slot);
    queue_->done(*key);
    if (stopping_) co_return;
  }
}

template <Resource K>
void Controller<K>::record_result(std::string_view result) {
  metrics_.total->with({{"controller", name_}, {"result", std::string(result)}}).inc();
  ++reconciles_;
}

template <Resource K>
boost::asio::awaitable<void> Controller<K>::process(ObjectKey key, WorkerSlot& slot) {
  if (stopping_) co_return;
  if (leadership_check_ && !leadership_check_()) {
    log_.error("leadership lapsed (the Lease was not renewed within the renew deadline): not reconciling");
    stop();
    co_return;
  }
  const auto started = std::chrono::steady_clock::now();
  ++active_;
  metrics_.active->inc();
  const std::string key_text = key.to_string();
  std::string reconcile_id = detail::new_reconcile_id();
  Logger logger = log_.with({{"object", key_text}, {"reconcileID", reconcile_id}});
  Context ctx(*client_, std::move(logger), std::move(reconcile_id), key, &cache_view_, recorder_);
  auto object = primary_->store().get(key_text);

  // The deadline cancels this worker's coroutine; the generation makes a timer that fires
  // after the reconcile ended (its handler was already queued) a no-op.
  const std::uint64_t generation = ++slot.generation;
  slot.timed_out = false;
  std::optional<boost::asio::steady_timer> deadline;
  if (reconcile_timeout_.count() > 0) {
    deadline.emplace(slot.strand, reconcile_timeout_);
    WorkerSlot* const s = &slot;
    auto on_deadline = [self = this->shared_from_this(), s, generation](const boost::system::error_code& ec) {
      if (ec || s->generation != generation) return;
      s->timed_out = true;
      s->cancel.emit(boost::asio::cancellation_type::terminal);
    };
    deadline->async_wait(std::move(on_deadline));
  }

  std::optional<Action> action;
  std::string failure;
  bool terminal = false;
  try {
    if (object)
      action = co_await reconciler_->reconcile(object, ctx);
    else
      action = co_await reconciler_->deleted(key, ctx);
  } catch (const terminal_error& e) {
    terminal = true;
    failure = e.what();
  } catch (const std::exception& e) {
    failure = e.what();
  } catch (...) {
    failure = "a non-standard exception";
  }
  ++slot.generation;
  if (deadline) deadline->cancel();
  const bool timed_out = slot.timed_out;
  if (timed_out) {
    // The reconcile may have swallowed the cancellation and returned: it still failed.
    action.reset();
    terminal = false;
    failure = "reconcile timed out after " + std::to_string(reconcile_timeout_.count()) + " ms (cancelled)";
  }
  if (timed_out && !stopping_) {
    // Cancellation is sticky in an Asio coroutine: clear it, or this worker could never
    // await anything again.
    co_await boost::asio::this_coro::reset_cancellation_state();
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  metrics_.time->observe(seconds);
  metrics_.active->dec();
  --active_;
  const QueueDecision decision = decide_after_reconcile(action, terminal, stopping_);
  record_result(decision.result);
  if (stopping_) {
    if (!action) ctx.log().info("reconcile cancelled: the controller is stopping", {{"error", failure}});
    co_return;
  }
  if (decision.forget) queue_->forget(key);
  if (decision.add_after) queue_->add_after(key, *decision.add_after);
  if (decision.add_rate_limited) queue_->add_rate_limited(key);
  if (decision.error) metrics_.errors->inc();
  if (decision.terminal) metrics_.terminal_errors->inc();
  if (!decision.error)
    ctx.log().debug("reconciled", {{"seconds", seconds}});
  else if (decision.terminal)
    ctx.log().error("reconcile failed terminally; not retried until the object changes", {{"error", failure}});
  else
    ctx.log().error("reconcile failed; retrying with backoff",
                    {{"error", failure}, {"retries", queue_->num_requeues(key)}});
}

// --- ControllerBuilder ----------------------------------------------------------------

template <Resource K>
ControllerBuilder<K>::ControllerBuilder(Client& client, InformerFactory& informers, std::string name)
    : client_(&client), informers_(&informers), name_(std::move(name)) {
  if (name_.empty()) misuse("the controller needs a name (it labels logs and metrics)");
  // The primary kind's informer, and its status where it has one (kopp::patch_status writes
  // it with a merge patch). Nothing else: what a reconcile does beyond is declared.
  permissions_.template permit<K>({"list", "watch"});
  if constexpr (requires(K & object) { object.status; }) permissions_.template permit<K>({"patch"}, "status");
}

template <Resource K>
ControllerBuilder<K>& ControllerBuilder<K>::in_namespace(std::string ns) {
  if (!resource_traits<K>::namespaced && !ns.empty())
    misuse("in_namespace(\"" + ns + "\") on cluster-scoped " + std::string(resource_traits<K>::kind));
  namespace_ = std::move(ns);
  return *this;
}

template <Resource K>
ControllerBuilder<K>& ControllerBuilder<K>::label_selector(std::string selector) {
  label_selector_ = std::move(selector);
  return *this;
}

template <Resource K>
ControllerBuilder<K>& ControllerBuilder<K>::with_predicate(Predicate<K> predicate) {
  predicates_.push_back(std::move(predicate));
  return *this;
}

template <Resource K>
template <Resource Child>
ControllerBuilder<K>& ControllerBuilder<K>::owns(Predicate<Child> predicate) {
  return owns<Child>(SecondaryScope(), std::move(predicate));
}

template <Resource K>
template <Resource Child>
ControllerBuilder<K>& ControllerBuilder<K>::owns(SecondaryScope scope, Predicate<Child> predicate) {
  const std::string kind = api_version<Child>() + "/" + std::string(resource_traits<Child>::kind);
  if (std::find(owned_kinds_.begin(), owned_kinds_.end(), kind) != owned_kinds_.end())
    misuse("owns<" + std::string(resource_traits<Child>::kind) + ">() given twice");
  owned_kinds_.push_back(kind);
  // Its informer, and server-side apply (a PATCH, which needs create too when the object is
  // new). The controller reference blocks K's deletion: the API server's
  // OwnerReferencesPermissionEnforcement admission (where enabled) asks for update on
  // K/finalizers for that.
  permissions_.template permit<Child>({"list", "watch", "create", "patch"});
  permissions_.template permit<K>({"update"}, "finalizers");
  if (resource_traits<K>::namespaced && !resource_traits<Child>::namespaced)
    misuse("a namespaced " + std::string(resource_traits<K>::kind) + " cannot own cluster-scoped " +
           std::string(resource_traits<Child>::kind));
  secondary_kinds_.push_back(kind);
  secondary_.push_back(
      [predicate = std::move(predicate), scope = std::move(scope)](const std::shared_ptr<WorkQueue<ObjectKey>>& queue,
                                                                   InformerFactory& informers, const std::string& ns) {
        auto informer = informers.template get<Child>(scope.namespace_.value_or(ns), scope.label_selector);
        // Children by their controller's uid, for reconcilers to list their own (once per
        // informer, whichever controller owns the kind first).
        if (!informer->store().has_index(controller_uid_index))
          informer->store().add_index(std::string(controller_uid_index), controller_uid_of<Child>);
        auto owner_of = [](const std::shared_ptr<const Child>& child) {
          std::vector<ObjectKey> keys;
          if (auto owner = detail::controller_owner_key(child->metadata, resource_traits<K>::group,
                                                        resource_traits<K>::kind, resource_traits<K>::namespaced))
            keys.push_back(std::move(*owner));
          return keys;
        };
        auto handlers = detail::enqueue_handlers<Child>(queue, {predicate}, owner_of, true);
        informer->add_handler(std::move(handlers));
        return std::static_pointer_cast<InformerBase>(informer);
      });
  return *this;
}

template <Resource K>
template <Resource Other>
ControllerBuilder<K>& ControllerBuilder<K>::watches(
    std::function<std::vector<ObjectKey>(const std::shared_ptr<const Other>&)> map, Predicate<Other> predicate) {
  return watches<Other>(std::move(map), SecondaryScope(), std::move(predicate));
}

template <Resource K>
template <Resource Other>
ControllerBuilder<K>& ControllerBuilder<K>::watches(
    std::function<std::vector<ObjectKey>(const std::shared_ptr<const Other>&)> map, SecondaryScope scope,
    Predicate<Other> predicate) {
  if (!map) misuse("watches<" + std::string(resource_traits<Other>::kind) + ">() without a map function");
  permissions_.template permit<Other>({"list", "watch"});
  secondary_kinds_.push_back(api_version<Other>() + "/" + std::string(resource_traits<Other>::kind));
  secondary_.push_back(
      [map = std::move(map), predicate = std::move(predicate), scope = std::move(scope)](
          const std::shared_ptr<WorkQueue<ObjectKey>>& queue, InformerFactory& informers, const std::string& ns) {
        auto informer = informers.template get<Other>(
            resource_traits<Other>::namespaced ? scope.namespace_.value_or(ns) : std::string(), scope.label_selector);
        auto handlers = detail::enqueue_handlers<Other>(queue, {predicate}, map, true);
        informer->add_handler(std::move(handlers));
        return std::static_pointer_cast<InformerBase>(informer);
      });
  return *this;
}

template <Resource K>
template <Resource Other>
ControllerBuilder<K>& ControllerBuilder<K>::watches_metadata(
    std::function<std::vector<ObjectKey>(const std::shared_ptr<const PartialObjectMetadata>&)> map,
    SecondaryScope scope) {
  if (!map) misuse("watches_metadata<" + std::string(resource_traits<Other>::kind) + ">() without a map function");
  permissions_.template permit<Other>({"list", "watch"});
  secondary_kinds_.push_back(api_version<Other>() + "/" + std::string(resource_traits<Other>::kind));
  secondary_.push_back(
      [map = std::move(map), scope = std::move(scope)](const std::shared_ptr<WorkQueue<ObjectKey>>& queue,
                                                       InformerFactory& informers, const std::string& ns) {
        auto informer = informers.template get_metadata<Other>(
            resource_traits<Other>::namespaced ? scope.namespace_.value_or(ns) : std::string(), scope.label_selector);
        auto handlers = detail::enqueue_handlers<PartialObjectMetadata>(queue, {}, map, true);
        informer->add_handler(std::move(handlers));
        return std::static_pointer_cast<InformerBase>(informer);
      });
  return *this;
}

template <Resource K>
template <Resource Kind>
ControllerBuilder<K>& ControllerBuilder<K>::permits(const std::vector<std::string>& verbs,
                                                    std::string_view subresource) {
  try {
    permissions_.template permit<Kind>(verbs, subresource);
  } catch (const std::invalid_argument& e) {
    misuse(std::string("permits<") + std::string(resource_traits<Kind>::kind) + ">(): " + e.what());
  }
  return *this;
}

template <Resource K>
ControllerBuilder<K>& ControllerBuilder<K>::permits(std::string_view group, std::string_view resource,
                                                    const std::vector<std::string>& verbs) {
  try {
    permissions_.permit(group, resource, verbs);
  } catch (const std::invalid_argument& e) {
    misuse(std::string("permits(): ") + e.what());
  }
  return *this;
}

template <Resource K>
ControllerBuilder<K>& ControllerBuilder<K>::max_concurrent_reconciles(int n) {
  if (n < 1) misuse("max_concurrent_reconciles(" + std::to_string(n) + "): at least one worker is needed");
  workers_ = n;
  return *this;
}

template <Resource K>
ControllerBuilder<K>& ControllerBuilder<K>::reconcile_timeout(std::chrono::milliseconds timeout) {
  if (timeout.count() < 0)
    misuse("reconcile_timeout(" + std::to_string(timeout.count()) + " ms): must not be negative");
  reconcile_timeout_ = timeout;
  return *this;
}

template <Resource K>
ControllerBuilder<K>& ControllerBuilder<K>::recorder(EventRecorder& recorder) {
  recorder_ = &recorder;
  return *this;
}

template <Resource K>
ControllerBuilder<K>& ControllerBuilder<K>::registry(metrics::Registry& registry) {
  registry_ = &registry;
  return *this;
}

template <Resource K>
ControllerBuilder<K>& ControllerBuilder<K>::logger(Logger logger) {
  logger_ = std::move(logger);
  return *this;
}

template <Resource K>
template <CachedObject Kind>
ControllerBuilder<K>& ControllerBuilder<K>::index(std::string name,
                                                  std::function<std::vector<std::string>(const Kind&)> fn) {
  if (!fn) misuse("index<>(\"" + name + "\") without an index function");
  if constexpr (Resource<Kind>)
    index_kinds_.emplace_back(resource_traits<Kind>::kind);
  else
    index_kinds_.emplace_back("PartialObjectMetadata");
  indexes_.push_back(
      [name = std::move(name), fn = std::move(fn)](const std::vector<std::shared_ptr<InformerBase>>& informers) {
        bool found = false;
        for (const auto& informer : informers)
          if (auto* typed = dynamic_cast<Informer<Kind>*>(informer.get())) {
            found = true;
            if (!typed->store().has_index(name)) typed->store().add_index(name, fn);
          }
        return found;
      });
  return *this;
}

template <Resource K>
ControllerBuilder<K>& ControllerBuilder<K>::on_built(
    std::function<void(std::shared_ptr<ControllerBase>)> registration) {
  on_built_ = std::move(registration);
  return *this;
}

template <Resource K>
template <PlainReconcilerOf<K> R>
std::shared_ptr<Controller<K>> ControllerBuilder<K>::build(std::shared_ptr<R> reconciler) {
  std::shared_ptr<Reconciler<K>> adapted;
  if (reconciler) adapted = std::make_shared<detail::ReconcilerAdapter<K, R>>(std::move(reconciler));
  return build(std::move(adapted));
}

template <Resource K>
template <PlainReconcilerArgument<K> R>
std::shared_ptr<Controller<K>> ControllerBuilder<K>::build(R&& reconciler) {
  using Plain = std::remove_cvref_t<R>;
  return build(std::make_shared<Plain>(std::forward<R>(reconciler)));
}

template <Resource K>
std::shared_ptr<Controller<K>> ControllerBuilder<K>::build(std::shared_ptr<Reconciler<K>> reconciler) {
  if (!reconciler) misuse("build() without a reconciler");
  if (!problems_.empty()) {
    std::string message = "controller '" + name_ + "' is misconfigured:";
    for (const auto& p : problems_) message += "\n  - " + p;
    throw std::invalid_argument(message);
  }
  auto primary = informers_->template get<K>(namespace_, label_selector_);
  auto& registry = registry_ ? *registry_ : metrics::Registry::global();
  std::vector<std::shared_ptr<InformerBase>> sources{primary};
  std::shared_ptr<Controller<K>> controller(new Controller<K>(*client_, name_, std::move(reconciler), primary, sources,
                                                              workers_, reconcile_timeout_, recorder_, registry,
                                                              logger_.value_or(Logger())));
  auto own_key = [](const std::shared_ptr<const K>& object) { return std::vector<ObjectKey>{detail::key_of(*object)}; };
  auto handlers = detail::enqueue_handlers<K>(controller->queue_, predicates_, own_key, false);
  primary->add_handler(std::move(handlers));
  for (auto& wire : secondary_) controller->sources_.push_back(wire(controller->queue_, *informers_, namespace_));
  for (std::size_t i = 0; i < indexes_.size(); ++i)
    if (!indexes_[i](controller->sources_))
      throw std::invalid_argument(
          "controller '" + name_ + "' is misconfigured:\n  - index<" + index_kinds_[i] +
          ">(): the controller does not read that kind; declare it with owns<>() or watches<>()");
  std::vector<std::string> kinds{api_version<K>() + "/" + std::string(resource_traits<K>::kind)};
  kinds.insert(kinds.end(), secondary_kinds_.begin(), secondary_kinds_.end());
  controller->cache_view_ = CacheView(name_, controller->sources_, std::move(kinds));
  controller->permissions_ = permissions_;
  // Events about K, when the controller has a recorder to emit them with.
  if (recorder_) controller->permissions_.permit("events.k8s.io", "events", {"create", "patch"});
  if (on_built_) on_built_(controller);
  return controller;
}

}  // namespace kopp
