#pragma once

#include <random>
#include <type_traits>

namespace kopp {

template <class Attempt>
auto retry_on_conflict(Attempt attempt, unsigned max_attempts) -> decltype(attempt()) {
  thread_local std::mt19937 rng{std::random_device{}()};
  for (unsigned i = 1;; ++i) {
    bool conflicted = false;
    try {
      co_return co_await attempt();
    } catch (const api_error& e) {
      if (!is_conflict(e) || i >= max_attempts) throw;
      conflicted = true;
    }
    if (conflicted) {
      // client-go's DefaultRetry: about 10 ms, growing, with jitter.
      std::uniform_int_distribution<int> jitter(0, 10 * static_cast<int>(i));
      boost::asio::steady_timer pause(co_await boost::asio::this_coro::executor,
                                      std::chrono::milliseconds(10 * i + jitter(rng)));
      co_await pause.async_wait(boost::asio::use_awaitable);
    }
  }
}

template <Resource K, class Status>
boost::asio::awaitable<K> patch_status(Api<K>& api, const K& object, Status new_status) {
  static_assert(
      requires(K & k, Status s) { k.status = std::move(s); },
      "kopp::patch_status: K has no `status` member that the new status can be assigned to");
  // The new status as the member's type (it may be std::optional): only the status is
  // encoded and compared, never a copy of the whole object.
  using Member = std::remove_cvref_t<decltype(object.status)>;
  const Member updated(std::move(new_status));
  const boost::json::value before = to_json(object.status);
  const boost::json::value after = to_json(updated);
  if (after == before) co_return object;
  boost::json::object body;
  body["status"] = json_merge_replacement(before, after);
  const Patch patch = Patch::merge(std::move(body));
  co_return co_await api.patch_status(object.metadata.name, patch);
}

template <Resource K, class Mutate>
boost::asio::awaitable<std::pair<K, OperationResult>> create_or_update(Api<K>& api, std::string name, Mutate mutate) {
  co_return co_await retry_on_conflict([&]() -> boost::asio::awaitable<std::pair<K, OperationResult>> {
    auto current = co_await api.get_opt(name);
    if (!current) {
      K fresh{};
      fresh.metadata.name = name;
      mutate(fresh);
      if (fresh.metadata.name != name) throw std::invalid_argument("create_or_update: the mutation renamed " + name);
      co_return std::pair{co_await api.create(fresh), OperationResult::created};
    }
    const auto before = to_json(*current);
    K desired = *current;
    mutate(desired);
    if (desired.metadata.name != name || desired.metadata.namespace_ != current->metadata.namespace_)
      throw std::invalid_argument("create_or_update: the mutation changed the name or namespace of " + name);
    if (detail::json_equal(to_json(desired), before))
      co_return std::pair{std::move(*current), OperationResult::unchanged};
    co_return std::pair{co_await api.replace(desired), OperationResult::updated};
  });
}

}  // namespace kopp
