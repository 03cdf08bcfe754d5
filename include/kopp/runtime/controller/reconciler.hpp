#pragma once
// The reconcile contract (controller-runtime's reconcile.Reconciler, kube-rs' reconcile
// fn): given the current state of one object, make the world match it, and say when to
// look again.
//
//   class MemcachedReconciler : public kopp::Reconciler<Memcached> {
//     boost::asio::awaitable<kopp::Action> reconcile(std::shared_ptr<const Memcached> m,
//                                                    kopp::Context& ctx) override;
//   };
//
// Guarantees: one object (namespace/name) is never reconciled by two workers at once; the
// object comes from the informer cache (shared and immutable: copy it to modify it);
// reconcile is called again whenever the object or something it owns/watches changes, so
// it must be idempotent and level-based. Errors: an exception requeues the object with
// per-item exponential backoff; kopp::terminal_error is logged and not retried; nothing a
// reconciler throws stops the controller.

#include <kopp/core/detail/config.hpp>
#include <kopp/core/object_key.hpp>
#include <kopp/runtime/controller/action.hpp>
#include <kopp/runtime/telemetry/log.hpp>

#include <boost/asio/awaitable.hpp>

#include <concepts>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

namespace kopp {

// Declared only: a reconciler's header need not compile the TLS client, the informers or
// the events recorder. Code that calls them includes their headers (kopp/client/api.hpp,
// kopp/runtime/controller/cache_view.hpp, kopp/runtime/manager/events.hpp).
class CacheView;
class Client;
class EventRecorder;

/// What a reconcile may use besides the object.
class Context {
 public:
  Context(Client& client, Logger logger, std::string reconcile_id, ObjectKey key, const CacheView* cache,
          EventRecorder* recorder)
      : client_(&client),
        log_(std::move(logger)),
        reconcile_id_(std::move(reconcile_id)),
        key_(std::move(key)),
        cache_(cache),
        recorder_(recorder) {}

  Client& client() const noexcept { return *client_; }
  /// A logger whose lines carry controller, object and reconcileID.
  const Logger& log() const noexcept { return log_; }
  const std::string& reconcile_id() const noexcept { return reconcile_id_; }
  const ObjectKey& key() const noexcept { return key_; }
  /// The objects of the kinds the controller declared (its own, owns<>, watches<>), from
  /// the synced cache: read them here, not from the server (kopp/runtime/controller/cache_view.hpp).
  const CacheView& cache() const;
  /// Records Events on objects (kubectl describe / kubectl events).
  EventRecorder& recorder() const;

 private:
  Client* client_;
  Logger log_;
  std::string reconcile_id_;
  ObjectKey key_;
  const CacheView* cache_;
  EventRecorder* recorder_;
};

template <class K>
class Reconciler {
 public:
  virtual ~Reconciler() = default;
  /// Reconciles an object that exists (it may be being deleted: see deletionTimestamp).
  virtual boost::asio::awaitable<Action> reconcile(std::shared_ptr<const K> object, Context& ctx) = 0;
  /// The object is gone from the cache (deleted). Owned objects are garbage-collected by
  /// the API server; use a finalizer (kopp/runtime/controller/finalizer.hpp) for cleanup that needs
  /// the object. The default does nothing.
  virtual boost::asio::awaitable<Action> deleted(const ObjectKey& key, Context& ctx) {
    (void)key;
    (void)ctx;
    co_return Action::done();
  }
};

/// A type usable as a reconciler of K without deriving from Reconciler<K>.
template <class R, class K>
concept ReconcilerOf = requires(R& r, std::shared_ptr<const K> object, Context& ctx) {
  { r.reconcile(object, ctx) } -> std::same_as<boost::asio::awaitable<Action>>;
};

/// A ReconcilerOf<R, K> that is not a Reconciler<K>: ControllerBuilder::build wraps it.
template <class R, class K>
concept PlainReconcilerOf = ReconcilerOf<R, K> && !std::derived_from<R, Reconciler<K>>;

/// A forwarding-reference argument whose type, without references and cv, is a
/// PlainReconcilerOf<K>.
template <class R, class K>
concept PlainReconcilerArgument = PlainReconcilerOf<std::remove_cvref_t<R>, K>;

namespace detail {

/// Lets the controller, which calls Reconciler<K>'s virtual members, run a plain
/// ReconcilerOf<R, K> type.
template <class K, class R>
class ReconcilerAdapter final : public Reconciler<K> {
 public:
  explicit ReconcilerAdapter(std::shared_ptr<R> inner) : inner_(std::move(inner)) {}

  boost::asio::awaitable<Action> reconcile(std::shared_ptr<const K> object, Context& ctx) override {
    return inner_->reconcile(std::move(object), ctx);
  }
  boost::asio::awaitable<Action> deleted(const ObjectKey& key, Context& ctx) override {
    if constexpr (requires {
                    { inner_->deleted(key, ctx) } -> std::same_as<boost::asio::awaitable<Action>>;
                  })
      return inner_->deleted(key, ctx);
    else
      return Reconciler<K>::deleted(key, ctx);
  }

 private:
  std::shared_ptr<R> inner_;
};

}  // namespace detail

}  // namespace kopp

#if KOPP_HEADER_ONLY
#include <kopp/runtime/controller/impl/reconciler.ipp>
#endif
