#pragma once
// Api<K>: the typed client of one kind (kube-rs' Api<K>, client-go's typed clients).
//
//   kopp::Api<ConfigMap> configmaps(client, "default");
//   auto cm = co_await configmaps.get("settings");
//   cm.data["mode"] = "fast";
//   co_await configmaps.replace(cm);              // conflict if someone wrote in between
//
// Objects are mapped with kopp's JSON mapping (kopp/core/json.hpp); fields the C++ type
// does not declare are kept in its UnknownFields member, so read-modify-write does not
// drop them. apiVersion and kind are filled in from resource_traits<K> when empty.
//
// Errors: every verb throws kopp::api_error carrying the server's Status; see
// is_not_found(), is_conflict() and the others in kopp/client/error.hpp.

#include <kopp/client/dynamic_api.hpp>
#include <kopp/core/json.hpp>
#include <kopp/core/object_list.hpp>
#include <kopp/core/resource.hpp>
#include <kopp/core/status.hpp>

#include <variant>

namespace kopp {

/// Errors: besides api_error from the server, verbs that address one object throw
/// std::invalid_argument naming the value, before any request, for a name that cannot
/// address one object (empty, ".", "..", containing '/' or '%'), and the constructor for a
/// namespace that is not a DNS-1123 label (see check_object_name in api_resource.hpp).
template <Resource K>
class Api {
 public:
  /// A namespaced kind in one namespace. For a cluster-scoped kind `ns` is ignored.
  Api(Client& client, std::string ns) : dynamic_(client, ApiResource::of<K>(), std::move(ns)) {}
  /// All namespaces (list and watch), or a cluster-scoped kind.
  static Api all(Client& client) { return Api(client, std::string()); }
  static Api namespaced(Client& client, std::string ns) { return Api(client, std::move(ns)); }
  /// The namespace of the client's config (kubeconfig context or the pod's namespace).
  static Api default_namespaced(Client& client) { return Api(client, client.default_namespace()); }

  boost::asio::awaitable<K> get(std::string_view name);
  boost::asio::awaitable<std::optional<K>> get_opt(std::string_view name);
  /// Every page (see DynamicApi::list); items in the server's order.
  boost::asio::awaitable<ObjectList<K>> list(const ListParams& params = {});
  /// One page; metadata.continue_ continues it.
  boost::asio::awaitable<ObjectList<K>> list_page(const ListParams& params = {});
  boost::asio::awaitable<K> create(const K& object, const PostParams& params = {});
  boost::asio::awaitable<K> replace(const K& object, const PostParams& params = {});
  boost::asio::awaitable<K> patch(std::string_view name, const Patch& patch, const PatchParams& params = {});
  /// Server-side apply of `object` (its set fields are the intent of params.field_manager).
  boost::asio::awaitable<K> apply(const K& object, const PatchParams& params);
  /// The object while deletion is pending (finalizers, foreground), else the server's Status.
  boost::asio::awaitable<std::variant<K, Status>> delete_(std::string_view name, const DeleteParams& params = {});
  boost::asio::awaitable<ObjectList<K>> delete_collection(const ListParams& selection = {},
                                                          const DeleteParams& params = {});

  boost::asio::awaitable<K> get_status(std::string_view name);
  boost::asio::awaitable<K> replace_status(const K& object, const PostParams& params = {});
  boost::asio::awaitable<K> patch_status(std::string_view name, const Patch& patch, const PatchParams& params = {});

  boost::asio::awaitable<WatchStream<K>> watch(const ListParams& params = {});

  DynamicApi& dynamic() noexcept { return dynamic_; }

  /// The JSON sent for `object`: kopp's mapping plus apiVersion and kind.
  static boost::json::object encode(const K& object);
  /// Maps a server object to K; a shape mismatch is api_error(errc::malformed_response)
  /// naming the JSON path.
  static K decode(const boost::json::value& value);
  static ObjectList<K> decode_list(const boost::json::value& value);

 private:
  DynamicApi dynamic_;
};

}  // namespace kopp

#include <kopp/client/impl/api.hpp>
