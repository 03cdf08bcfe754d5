// docs/api-types.md's example, compiled (tools/docs/snippets.py keeps the two equal).
#include <kopp/client/api.hpp>

// clang-format off
// [doc:deployment]
#include <kopp/api/apps/v1.hpp>
namespace apps = kopp::api::apps::v1;

boost::asio::awaitable<void> scale_web(kopp::Client& client) {
  kopp::Api<apps::Deployment> deployments(client, "shop");
  apps::Deployment d = co_await deployments.get("web");
  d.spec.replicas = 3;                       // std::optional<std::int32_t>
  co_await deployments.replace(d);           // fields kopp does not know are kept
}
// [/doc]
// clang-format on
