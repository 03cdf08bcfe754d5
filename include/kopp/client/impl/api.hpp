#pragma once

namespace kopp {

namespace detail {
/// Informers mark objects that a user transform may have stripped (see
/// kopp/runtime/cache/informer.hpp); writing one back whole would erase what was stripped.
template <class K>
void refuse_transformed(const K& object, std::string_view verb) {
  if (std::string_view(object.metadata.resourceVersion).starts_with("kopp-transformed:"))
    throw std::invalid_argument(std::string(verb) + " of " + object.metadata.name +
                                ": the object comes from an informer transform and may lack fields; "
                                "send kopp::merge_patch(cached, modified) instead");
}
}  // namespace detail

template <Resource K>
boost::json::object Api<K>::encode(const K& object) {
  auto value = to_json(object);
  auto& fields = value.as_object();
  using traits = resource_traits<K>;
  if (!fields.contains("apiVersion")) fields["apiVersion"] = api_version<K>();
  if (!fields.contains("kind")) fields["kind"] = traits::kind;
  return std::move(fields);
}

template <Resource K>
K Api<K>::decode(const boost::json::value& value) {
  try {
    return from_json<K>(value);
  } catch (const json_error& e) {
    throw api_error(make_error_code(errc::malformed_response),
                    std::string(resource_traits<K>::kind) + " from the server: " + e.what());
  }
}

template <Resource K>
boost::asio::awaitable<K> Api<K>::get(std::string_view name) {
  co_return decode(co_await dynamic_.get(name));
}

template <Resource K>
boost::asio::awaitable<std::optional<K>> Api<K>::get_opt(std::string_view name) {
  auto found = co_await dynamic_.get_opt(name);
  if (!found) co_return std::nullopt;
  co_return decode(*found);
}

template <Resource K>
ObjectList<K> Api<K>::decode_list(const boost::json::value& value) {
  try {
    return from_json<ObjectList<K>>(value);
  } catch (const json_error& e) {
    throw api_error(make_error_code(errc::malformed_response),
                    std::string(resource_traits<K>::kind) + " list from the server: " + e.what());
  }
}

template <Resource K>
boost::asio::awaitable<ObjectList<K>> Api<K>::list(const ListParams& params) {
  co_return decode_list(co_await dynamic_.list(params));
}

template <Resource K>
boost::asio::awaitable<ObjectList<K>> Api<K>::list_page(const ListParams& params) {
  co_return decode_list(co_await dynamic_.list_page(params));
}

template <Resource K>
boost::asio::awaitable<K> Api<K>::create(const K& object, const PostParams& params) {
  co_return decode(co_await dynamic_.create(encode(object), params));
}

template <Resource K>
boost::asio::awaitable<K> Api<K>::replace(const K& object, const PostParams& params) {
  detail::refuse_transformed(object, "replace");
  co_return decode(co_await dynamic_.replace(encode(object), params));
}

template <Resource K>
boost::asio::awaitable<K> Api<K>::patch(std::string_view name, const Patch& patch, const PatchParams& params) {
  co_return decode(co_await dynamic_.patch(name, patch, params));
}

template <Resource K>
boost::asio::awaitable<K> Api<K>::apply(const K& object, const PatchParams& params) {
  detail::refuse_transformed(object, "apply");
  co_return decode(co_await dynamic_.patch(object.metadata.name, Patch::apply(encode(object)), params));
}

template <Resource K>
boost::asio::awaitable<std::variant<K, Status>> Api<K>::delete_(std::string_view name, const DeleteParams& params) {
  auto answer = co_await dynamic_.delete_(name, params);
  if (auto* kind = answer.if_contains("kind");
      kind && kind->is_string() && kind->get_string() == "Status" && resource_traits<K>::kind != "Status")
    co_return from_json<Status>(answer);
  co_return decode(answer);
}

template <Resource K>
boost::asio::awaitable<ObjectList<K>> Api<K>::delete_collection(const ListParams& selection,
                                                                const DeleteParams& params) {
  auto answer = co_await dynamic_.delete_collection(selection, params);
  if (auto* kind = answer.if_contains("kind"); kind && kind->is_string() && kind->get_string() == "Status")
    co_return ObjectList<K>{};
  co_return decode_list(answer);
}

template <Resource K>
boost::asio::awaitable<K> Api<K>::get_status(std::string_view name) {
  co_return decode(co_await dynamic_.get_subresource("status", name));
}

template <Resource K>
boost::asio::awaitable<K> Api<K>::replace_status(const K& object, const PostParams& params) {
  detail::refuse_transformed(object, "replace_status");
  co_return decode(co_await dynamic_.replace_subresource("status", encode(object), params));
}

template <Resource K>
boost::asio::awaitable<K> Api<K>::patch_status(std::string_view name, const Patch& patch, const PatchParams& params) {
  co_return decode(co_await dynamic_.patch_subresource("status", name, patch, params));
}

template <Resource K>
boost::asio::awaitable<WatchStream<K>> Api<K>::watch(const ListParams& params) {
  co_return WatchStream<K>(co_await dynamic_.watch(params));
}

}  // namespace kopp
