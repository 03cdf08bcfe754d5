#pragma once
// Helpers reconcilers use on the objects they own (controller-runtime's controllerutil,
// client-go's retry.RetryOnConflict). Owner references: kopp/core/owner_reference.hpp.

#include <kopp/client/api.hpp>
#include <kopp/core/json.hpp>
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

enum class OperationResult { unchanged, created, updated };

/// Gets `name`, applies `mutate(K&)` to it (or to a new object with that name), and
/// creates or replaces it when the mutation changed anything (compared as JSON, so
/// fields the type does not know take part). Conflicts are retried with a fresh read.
template <Resource K, class Mutate>
boost::asio::awaitable<std::pair<K, OperationResult>> create_or_update(Api<K>& api, std::string name, Mutate mutate);

}  // namespace kopp

#include <kopp/runtime/controller/impl/object_helpers.hpp>
