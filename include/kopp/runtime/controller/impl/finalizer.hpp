#pragma once

namespace kopp {
namespace detail {
inline boost::json::object json_patch_op(std::string_view op, std::string_view path) {
  boost::json::object o;
  o["op"] = op;
  o["path"] = path;
  return o;
}
}  // namespace detail

template <Resource K>
boost::asio::awaitable<K> add_finalizer(Api<K>& api, const K& object, std::string_view finalizer) {
  const auto& finalizers = object.metadata.finalizers;
  if (std::find(finalizers.begin(), finalizers.end(), finalizer) != finalizers.end()) co_return object;
  boost::json::array ops;
  auto test = detail::json_patch_op("test", "/metadata/resourceVersion");
  test["value"] = object.metadata.resourceVersion;
  ops.push_back(std::move(test));
  if (finalizers.empty()) {
    auto add = detail::json_patch_op("add", "/metadata/finalizers");
    add["value"] = boost::json::array{boost::json::string(finalizer)};
    ops.push_back(std::move(add));
  } else {
    auto add = detail::json_patch_op("add", "/metadata/finalizers/-");
    add["value"] = finalizer;
    ops.push_back(std::move(add));
  }
  co_return co_await api.patch(object.metadata.name, Patch::json(std::move(ops)));
}

template <Resource K>
boost::asio::awaitable<K> remove_finalizer(Api<K>& api, const K& object, std::string_view finalizer) {
  const auto& finalizers = object.metadata.finalizers;
  const auto it = std::find(finalizers.begin(), finalizers.end(), finalizer);
  if (it == finalizers.end()) co_return object;
  boost::json::array ops;
  auto test = detail::json_patch_op("test", "/metadata/resourceVersion");
  test["value"] = object.metadata.resourceVersion;
  ops.push_back(std::move(test));
  ops.push_back(detail::json_patch_op("remove", "/metadata/finalizers/" + std::to_string(it - finalizers.begin())));
  co_return co_await api.patch(object.metadata.name, Patch::json(std::move(ops)));
}

template <Resource K, class Apply, class Cleanup>
boost::asio::awaitable<Action> finalize(Api<K>& api, std::string finalizer, std::shared_ptr<const K> object,
                                        Apply apply, Cleanup cleanup) {
  const auto& meta = object->metadata;
  const bool ours = std::find(meta.finalizers.begin(), meta.finalizers.end(), finalizer) != meta.finalizers.end();
  if (meta.deletionTimestamp) {
    if (!ours) co_return Action::done();  // being deleted, and our cleanup already ran
    Action action = co_await cleanup(object);
    co_await remove_finalizer(api, *object, finalizer);
    co_return action;
  }
  if (!ours) {
    // apply runs only once the finalizer is stored, so cleanup can never be skipped for
    // something apply created. It runs in this same reconcile, on the object the server
    // returned: waiting for the update event instead would stall controllers whose
    // predicates drop metadata-only changes (generation_changed).
    K updated = co_await add_finalizer(api, *object, finalizer);
    object = std::make_shared<const K>(std::move(updated));
  }
  co_return co_await apply(object);
}

}  // namespace kopp
