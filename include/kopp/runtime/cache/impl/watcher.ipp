#pragma once

#include <kopp/runtime/cache/watcher.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <exception>
#include <utility>
#include <vector>

namespace kopp {

namespace detail {

KOPP_DECL boost::json::object require_json_object(boost::json::value value, std::string_view what) {
  if (!value.is_object())
    throw api_error(make_error_code(errc::malformed_response),
                    std::string(what) + ": the server answered with JSON that is not an object");
  return std::move(value.get_object());
}

/// Where a list page is parsed: an arena that lives as long as the page. The watcher decodes
/// every item into its own (default-allocated) object and drops the page, so the parse
/// allocates by bumping a pointer, and the page's memory goes back in a few large blocks
/// rather than as thousands of small holes between the cached objects.
KOPP_DECL boost::json::storage_ptr page_storage() {
  return boost::json::make_shared_resource<boost::json::monotonic_resource>();
}

KOPP_DECL boost::asio::awaitable<boost::json::object> dynamic_list_page(DynamicApi api, ListParams params) {
  co_return co_await api.list_page(params, page_storage());
}

KOPP_DECL boost::asio::awaitable<RawWatchStream> dynamic_watch(DynamicApi api, ListParams params) {
  co_return co_await api.watch(params);
}

KOPP_DECL std::string source_description(const ApiResource& resource, const std::string& ns) {
  return resource.plural + (ns.empty() ? std::string(resource.namespaced ? " in all namespaces" : "") : " in " + ns);
}
}  // namespace detail

KOPP_DECL ListWatchSource ListWatchSource::objects(Client& client, ApiResource resource, std::string ns) {
  ListWatchSource source;
  source.description = detail::source_description(resource, ns);
  DynamicApi api(client, std::move(resource), std::move(ns));
  // The lambdas only forward to coroutine functions that take their arguments by value:
  // a coroutine lambda's captures would die with the lambda object.
  source.list_page = [api](ListParams params) { return detail::dynamic_list_page(api, std::move(params)); };
  source.watch = [api](ListParams params) { return detail::dynamic_watch(api, std::move(params)); };
  return source;
}

KOPP_DECL ListWatchSource ListWatchSource::metadata(Client& client, ApiResource resource, std::string ns) {
  ListWatchSource source;
  source.description = detail::source_description(resource, ns) + " (metadata only)";
  const DynamicApi api = DynamicApi(client, std::move(resource), std::move(ns)).metadata_only();
  source.list_page = [api](ListParams params) { return detail::dynamic_list_page(api, std::move(params)); };
  source.watch = [api](ListParams params) { return detail::dynamic_watch(api, std::move(params)); };
  return source;
}
}  // namespace kopp
