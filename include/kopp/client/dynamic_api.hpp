#pragma once
// DynamicApi: the verbs of the API server on one resource, with JSON objects instead of C++
// types, for kinds chosen at run time. Api<K> is a typed layer over it.
//
// Addressing: a DynamicApi has a namespace (or none, for all namespaces and for
// cluster-scoped kinds). Verbs that address an object by name need a namespace for a
// namespaced kind; create and replace take it from the object when the Api has none.
//
// Errors: every verb throws kopp::api_error (see kopp/client/error.hpp).

#include <kopp/core/detail/config.hpp>
#include <kopp/client/api_resource.hpp>
#include <kopp/client/client.hpp>
#include <kopp/client/params.hpp>
#include <kopp/client/watch_stream.hpp>
#include <kopp/core/partial_object_metadata.hpp>

#include <boost/json/object.hpp>

#include <string>
#include <variant>

namespace kopp {

class DynamicApi {
 public:
  DynamicApi(Client& client, ApiResource resource, std::string ns = {});

  Client& client() const noexcept { return *client_; }
  const ApiResource& resource() const noexcept { return resource_; }
  const std::string& namespace_() const noexcept { return namespace_name_; }

  /// The same Api, but get, get_opt, list, list_page and watch ask the server for
  /// PartialObjectMetadata (apiVersion, kind, metadata) instead of whole objects, as
  /// client-go's metadata client and kube-rs' list_metadata do: a cache of a kind's metadata
  /// costs a fraction of a cache of its objects. The other verbs are unchanged.
  [[nodiscard]] DynamicApi metadata_only() const {
    DynamicApi copy = *this;
    copy.metadata_only_ = true;
    return copy;
  }
  bool is_metadata_only() const noexcept { return metadata_only_; }

  boost::asio::awaitable<boost::json::object> get(std::string_view name);
  /// std::nullopt when the object does not exist.
  boost::asio::awaitable<std::optional<boost::json::object>> get_opt(std::string_view name);
  /// One page: the server's List object (apiVersion, kind, metadata, items), parsed into
  /// `storage` (see Client::request_json).
  boost::asio::awaitable<boost::json::object> list_page(const ListParams& params = {},
                                                        boost::json::storage_ptr storage = boost::json::storage_ptr());
  /// Every page, following metadata.continue; items merged into one List object whose
  /// metadata is the last page's. The page size is params.page_size (server default if 0).
  /// Errors: errc::response_too_large when the pages' bodies together exceed
  /// TransportOptions::max_response_body_bytes (3 GiB by default): the merged list is held
  /// in memory at once, so it gets the same bound as one response. Use list_page (or an
  /// informer) to process larger collections page by page.
  boost::asio::awaitable<boost::json::object> list(ListParams params = {});
  boost::asio::awaitable<boost::json::object> create(boost::json::object object, const PostParams& params = {});
  /// PUT; the object's metadata.resourceVersion makes it fail with conflict when stale.
  boost::asio::awaitable<boost::json::object> replace(boost::json::object object, const PostParams& params = {});
  boost::asio::awaitable<boost::json::object> patch(std::string_view name, const Patch& patch,
                                                    const PatchParams& params = {});
  /// The object when deletion is pending (finalizers, foreground), else the Status.
  boost::asio::awaitable<boost::json::object> delete_(std::string_view name, const DeleteParams& params = {});
  /// A List of what was deleted (or a Status).
  boost::asio::awaitable<boost::json::object> delete_collection(const ListParams& selection = {},
                                                                const DeleteParams& params = {});

  boost::asio::awaitable<boost::json::object> get_subresource(std::string_view subresource, std::string_view name);
  boost::asio::awaitable<boost::json::object> replace_subresource(std::string_view subresource,
                                                                  boost::json::object object,
                                                                  const PostParams& params = {});
  boost::asio::awaitable<boost::json::object> patch_subresource(std::string_view subresource, std::string_view name,
                                                                const Patch& patch, const PatchParams& params = {});

  /// A watch from params.resource_version ("" = from now, after the current state).
  boost::asio::awaitable<RawWatchStream> watch(const ListParams& params = {});

 private:
  std::string object_namespace(const boost::json::object& object) const;
  std::string require_namespace(std::string_view verb) const;
  static std::string object_name(const boost::json::object& object, std::string_view verb);
  boost::asio::awaitable<boost::json::object> call(HttpRequest request,
                                                   boost::json::storage_ptr storage = boost::json::storage_ptr(),
                                                   std::size_t* body_bytes = nullptr);
  HttpRequest list_request(const ListParams& params) const;
  /// POST or PUT of `object` as JSON to `url`.
  boost::asio::awaitable<boost::json::object> send_object(boost::beast::http::verb method, const boost::urls::url& url,
                                                          const boost::json::object& object);

  /// The Accept header of a read of one object or a watch.
  std::string object_accept() const;

  Client* client_;
  ApiResource resource_;
  std::string namespace_name_;
  bool metadata_only_ = false;
};

}  // namespace kopp

#if KOPP_HEADER_ONLY
#include <kopp/client/impl/dynamic_api.ipp>
#endif
