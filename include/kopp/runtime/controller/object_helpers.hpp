#pragma once
// Helpers reconcilers use on the objects they own (controller-runtime's controllerutil,
// client-go's retry.RetryOnConflict). Owner references: kopp/core/owner_reference.hpp.

#include <kopp/client/api.hpp>
#include <kopp/core/detail/json_equal.hpp>
#include <kopp/core/json.hpp>
#include <kopp/core/merge_patch.hpp>
#include <kopp/core/object_meta.hpp>
#include <kopp/core/owner_reference.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <stdexcept>
#include <string>
#include <utility>

namespace kopp {

/// Calls `attempt()` (an awaitable-returning callable) until it does not throw a conflict,
/// at most `max_attempts` times, with a short jittered pause between tries. Re-read the
/// object inside `attempt`: a retry with the same stale object conflicts again.
template <class Attempt>
auto retry_on_conflict(Attempt attempt, unsigned max_attempts = 5) -> decltype(attempt());

/// Writes `new_status` as `object`'s status through the status subresource, with a JSON
/// merge patch of .status only: every member of the new status is sent, and members of
/// object.status it lacks are removed (null). No resourceVersion is sent, so it never
/// conflicts with writers of the spec or metadata. Returns the object the server returned,
/// or `object` unchanged without a request when the status is already `new_status` (as
/// JSON). `object` is normally the cached object the reconcile was given. Errors: as
/// Api<K>::patch_status (a deleted object: errc::not_found).
template <Resource K, class Status>
boost::asio::awaitable<K> patch_status(Api<K>& api, const K& object, Status new_status);

enum class OperationResult { unchanged, created, updated };

/// Gets `name`, applies `mutate(K&)` to it (or to a new object with that name), and
/// creates or replaces it when the mutation changed anything (compared as JSON, so
/// fields the type does not know take part). Conflicts are retried with a fresh read.
template <Resource K, class Mutate>
boost::asio::awaitable<std::pair<K, OperationResult>> create_or_update(Api<K>& api, std::string name, Mutate mutate);

}  // namespace kopp

#include <kopp/runtime/controller/impl/object_helpers.hpp>
