// The README's example, compiled (tools/docs/snippets.py keeps the two equal).
// clang-format off
// [doc:client]
#include <kopp/kopp.hpp>

struct ConfigMap {
  std::string apiVersion, kind;
  kopp::ObjectMeta metadata;
  std::map<std::string, std::string> data;
  kopp::UnknownFields unknown_fields;   // fields this type does not declare survive updates
};
BOOST_DESCRIBE_STRUCT(ConfigMap, (), (apiVersion, kind, metadata, data, unknown_fields))
KOPP_RESOURCE(ConfigMap, "", "v1", "ConfigMap", "configmaps", namespaced)

boost::asio::awaitable<void> run() {
  kopp::Client client(co_await boost::asio::this_coro::executor, kopp::from_environment());
  kopp::Api<ConfigMap> configmaps(client, "default");
  auto cm = co_await configmaps.get("settings");
  cm.data["mode"] = "fast";
  co_await configmaps.replace(cm);                 // kopp::api_error, is_conflict(e) when stale
  auto watch = co_await configmaps.watch(kopp::ListParams().labels("app=web"));
  while (auto event = co_await watch.next()) { /* ADDED, MODIFIED, DELETED, BOOKMARK, ERROR */ }
}
// [/doc]
// clang-format on
