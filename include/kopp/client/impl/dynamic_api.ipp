#pragma once

#include <kopp/client/dynamic_api.hpp>

#include <kopp/core/json.hpp>

#include <boost/json/serialize.hpp>

#include <stdexcept>

namespace kopp {

KOPP_DECL DynamicApi::DynamicApi(Client& client, ApiResource resource, std::string ns)
    : client_(&client), resource_(std::move(resource)), namespace_name_(resource_.namespaced ? std::move(ns) : "") {
  if (!namespace_name_.empty()) check_namespace_name(namespace_name_);
}

KOPP_DECL std::string DynamicApi::require_namespace(std::string_view verb) const {
  if (resource_.namespaced && namespace_name_.empty())
    throw std::invalid_argument(std::string(verb) + " of a " + resource_.kind +
                                " by name needs a namespace; this Api covers all namespaces");
  return namespace_name_;
}

KOPP_DECL std::string DynamicApi::object_namespace(const boost::json::object& object) const {
  if (!resource_.namespaced) return {};
  if (!namespace_name_.empty()) return namespace_name_;
  if (auto* meta = object.if_contains("metadata"); meta && meta->is_object())
    if (auto* ns = meta->as_object().if_contains("namespace"); ns && ns->is_string())
      return std::string(ns->get_string());
  throw std::invalid_argument("a " + resource_.kind + " without metadata.namespace needs an Api bound to a namespace");
}

KOPP_DECL std::string DynamicApi::object_name(const boost::json::object& object, std::string_view verb) {
  if (auto* meta = object.if_contains("metadata"); meta && meta->is_object())
    if (auto* name = meta->as_object().if_contains("name"); name && name->is_string() && !name->get_string().empty())
      return std::string(name->get_string());  // url() checks it further
  throw std::invalid_argument(std::string(verb) + " needs metadata.name");
}

KOPP_DECL boost::asio::awaitable<boost::json::object> DynamicApi::call(HttpRequest request,
                                                                       boost::json::storage_ptr storage,
                                                                       std::size_t* body_bytes) {
  auto value = co_await client_->request_json(std::move(request), std::move(storage), body_bytes);
  if (!value.is_object())
    throw api_error(make_error_code(errc::malformed_response),
                    resource_.plural + ": the server answered with JSON that is not an object");
  co_return std::move(value.get_object());
}

KOPP_DECL boost::asio::awaitable<boost::json::object> DynamicApi::send_object(boost::beast::http::verb method,
                                                                              const boost::urls::url& url,
                                                                              const boost::json::object& object) {
  HttpRequest request;
  request.method = method;
  request.target = std::string(url.buffer());
  request.body = detail::json_serialize(object);
  request.content_type = "application/json";
  co_return co_await call(std::move(request));
}

KOPP_DECL boost::asio::awaitable<boost::json::object> DynamicApi::get(std::string_view name) {
  check_object_name(name, "get");
  HttpRequest request;
  request.target = std::string(resource_.url(require_namespace("get"), name).buffer());
  request.accept = object_accept();
  co_return co_await call(std::move(request));
}

KOPP_DECL boost::asio::awaitable<std::optional<boost::json::object>> DynamicApi::get_opt(std::string_view name) {
  check_object_name(name, "get");
  HttpRequest request;
  request.target = std::string(resource_.url(require_namespace("get"), name).buffer());
  request.accept = object_accept();
  auto response = co_await client_->send(request);
  if (response.status == 404) co_return std::nullopt;
  if (response.status < 200 || response.status >= 300)
    throw Client::error_from_response(request, response.status, response.body, response.retry_after);
  boost::system::error_code ec;
  auto value = boost::json::parse(response.body, ec, {}, json_parse_options());
  if (ec || !value.is_object())
    throw api_error(make_error_code(errc::malformed_response), request.target + ": response is not a JSON object");
  co_return std::move(value.get_object());
}

KOPP_DECL HttpRequest DynamicApi::list_request(const ListParams& params) const {
  auto url = resource_.url(namespace_name_);
  params.append_list_query(url);
  HttpRequest request;
  request.target = std::string(url.buffer());
  if (metadata_only_) request.accept = std::string(partial_object_metadata_list_accept);
  return request;
}

KOPP_DECL std::string DynamicApi::object_accept() const {
  return std::string(metadata_only_ ? partial_object_metadata_accept : std::string_view("application/json"));
}

KOPP_DECL boost::asio::awaitable<boost::json::object> DynamicApi::list_page(const ListParams& params,
                                                                            boost::json::storage_ptr storage) {
  co_return co_await call(list_request(params), std::move(storage));
}

KOPP_DECL boost::asio::awaitable<boost::json::object> DynamicApi::list(ListParams params) {
  const std::uint64_t limit = client_->options().transport.max_response_body_bytes;
  std::uint64_t total = 0;
  std::size_t page_bytes = 0;
  auto first = co_await call(list_request(params), boost::json::storage_ptr(), &page_bytes);
  total += page_bytes;
  auto continue_token = [](const boost::json::object& page) -> std::string {
    if (auto* meta = page.if_contains("metadata"); meta && meta->is_object())
      if (auto* token = meta->as_object().if_contains("continue"); token && token->is_string())
        return std::string(token->get_string());
    return {};
  };
  std::string token = continue_token(first);
  if (token.empty()) co_return first;
  // Later pages come from the same snapshot as the first; resourceVersion must not be
  // sent together with continue.
  params.resource_version.clear();
  params.resource_version_match.clear();
  if (!first["items"].is_array()) first["items"] = boost::json::array();
  auto& items = first["items"].get_array();
  while (!token.empty()) {
    params.continue_token = token;
    auto page = co_await call(list_request(params), boost::json::storage_ptr(), &page_bytes);
    total += page_bytes;
    if (total > limit)
      throw api_error(make_error_code(errc::response_too_large),
                      "LIST " + resource_.plural +
                          ": the pages together exceed "
                          "TransportOptions::max_response_body_bytes (" +
                          std::to_string(limit) + " bytes); read the collection page by page with list_page");
    if (auto* more = page.if_contains("items"); more && more->is_array())
      for (auto& item : more->get_array()) items.push_back(std::move(item));
    token = continue_token(page);
    if (auto* meta = page.if_contains("metadata")) first["metadata"] = std::move(*meta);
  }
  co_return first;
}

KOPP_DECL boost::asio::awaitable<boost::json::object> DynamicApi::create(boost::json::object object,
                                                                         const PostParams& params) {
  auto url = resource_.url(object_namespace(object));
  params.append_query(url);
  co_return co_await send_object(boost::beast::http::verb::post, url, object);
}

KOPP_DECL boost::asio::awaitable<boost::json::object> DynamicApi::replace(boost::json::object object,
                                                                          const PostParams& params) {
  auto url = resource_.url(object_namespace(object), object_name(object, "replace"));
  params.append_query(url);
  co_return co_await send_object(boost::beast::http::verb::put, url, object);
}

KOPP_DECL boost::asio::awaitable<boost::json::object> DynamicApi::patch(std::string_view name, const Patch& patch,
                                                                        const PatchParams& params) {
  co_return co_await patch_subresource({}, name, patch, params);
}

KOPP_DECL boost::asio::awaitable<boost::json::object> DynamicApi::delete_(std::string_view name,
                                                                          const DeleteParams& params) {
  check_object_name(name, "delete");  // an empty name would delete the whole collection
  HttpRequest request;
  request.method = boost::beast::http::verb::delete_;
  request.target = std::string(resource_.url(require_namespace("delete"), name).buffer());
  request.body = boost::json::serialize(params.to_body());
  request.content_type = "application/json";
  co_return co_await call(std::move(request));
}

KOPP_DECL boost::asio::awaitable<boost::json::object> DynamicApi::delete_collection(const ListParams& selection,
                                                                                    const DeleteParams& params) {
  auto url = resource_.url(namespace_name_);
  selection.append_list_query(url);
  HttpRequest request;
  request.method = boost::beast::http::verb::delete_;
  request.target = std::string(url.buffer());
  request.body = boost::json::serialize(params.to_body());
  request.content_type = "application/json";
  co_return co_await call(std::move(request));
}

KOPP_DECL boost::asio::awaitable<boost::json::object> DynamicApi::get_subresource(std::string_view subresource,
                                                                                  std::string_view name) {
  check_object_name(name, "get");
  HttpRequest request;
  request.target = std::string(resource_.url(require_namespace("get"), name, subresource).buffer());
  co_return co_await call(std::move(request));
}

KOPP_DECL boost::asio::awaitable<boost::json::object> DynamicApi::replace_subresource(std::string_view subresource,
                                                                                      boost::json::object object,
                                                                                      const PostParams& params) {
  auto url = resource_.url(object_namespace(object), object_name(object, "replace"), subresource);
  params.append_query(url);
  co_return co_await send_object(boost::beast::http::verb::put, url, object);
}

KOPP_DECL boost::asio::awaitable<boost::json::object> DynamicApi::patch_subresource(std::string_view subresource,
                                                                                    std::string_view name,
                                                                                    const Patch& patch,
                                                                                    const PatchParams& params) {
  if (patch.kind == Patch::type::apply && params.field_manager.empty())
    throw std::invalid_argument("server-side apply needs PatchParams::field_manager");
  check_object_name(name, "patch");
  auto url = resource_.url(require_namespace("patch"), name, subresource);
  params.append_query(url);
  HttpRequest request;
  request.method = boost::beast::http::verb::patch;
  request.target = std::string(url.buffer());
  request.body = detail::json_serialize(patch.body);
  request.content_type = std::string(patch.content_type());
  co_return co_await call(std::move(request));
}

KOPP_DECL boost::asio::awaitable<RawWatchStream> DynamicApi::watch(const ListParams& params) {
  auto url = resource_.url(namespace_name_);
  params.append_watch_query(url);
  HttpRequest request;
  request.target = std::string(url.buffer());
  request.accept = object_accept();
  auto stream = co_await client_->stream(request);
  co_return RawWatchStream(std::move(stream), std::string(metadata_only_ ? "WATCH (metadata) " : "WATCH ") +
                                                  std::string(resource_.url(namespace_name_).buffer()));
}

}  // namespace kopp
