#pragma once
// Finalizer handling (kube-rs' finalizer(), controller-runtime's controllerutil
// finalizers): on first sight add the finalizer; when the object is being deleted run the
// cleanup and then remove the finalizer, so the API server can delete it.
//
//   co_return co_await kopp::finalize(api, "cache.example.com/cleanup", obj,
//       [&](auto o) -> awaitable<Action> { ...apply... },
//       [&](auto o) -> awaitable<Action> { ...cleanup... });
//
// Guarantees: the finalizer is added and removed with JSON patches that carry a `test` of
// the resourceVersion, so a concurrent writer makes the patch fail with a conflict (the
// reconcile is retried) instead of silently dropping someone else's finalizer; cleanup
// runs only while our finalizer is present and deletion was requested; an exception in
// cleanup keeps the finalizer (the object stays until cleanup succeeds); apply runs only
// after the finalizer is stored, in the same reconcile (so predicates that ignore
// metadata-only updates, such as generation_changed, do not stall it).

#include <kopp/client/api.hpp>
#include <kopp/runtime/controller/action.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/json/array.hpp>

#include <algorithm>
#include <memory>
#include <string>

namespace kopp {

/// Adds `finalizer` to the object unless present; returns the updated object.
template <Resource K>
boost::asio::awaitable<K> add_finalizer(Api<K>& api, const K& object, std::string_view finalizer);

/// Removes `finalizer` if present; returns the updated object (or the object as given).
template <Resource K>
boost::asio::awaitable<K> remove_finalizer(Api<K>& api, const K& object, std::string_view finalizer);

template <Resource K, class Apply, class Cleanup>
boost::asio::awaitable<Action> finalize(Api<K>& api, std::string finalizer, std::shared_ptr<const K> object,
                                        Apply apply, Cleanup cleanup);

}  // namespace kopp

#include <kopp/runtime/controller/impl/finalizer.hpp>
