// Compile-time benchmark, case (b): a translation unit that uses Api<apps::v1::Deployment>
// the way an operator's helper file does (get, list, server-side apply, status read).
#include <kopp/api/apps/v1.hpp>
#include <kopp/client/api.hpp>
#include <kopp/client/client.hpp>

#include <boost/asio/awaitable.hpp>

#include <string>

boost::asio::awaitable<int> scale_up(kopp::Client& client, std::string name) {
  kopp::Api<kopp::api::apps::v1::Deployment> deployments(client, "default");
  auto deployment = co_await deployments.get(name);
  const kopp::ListParams every;  // named: GCC 12 mishandles temporaries inside co_await
  auto all = co_await deployments.list(every);
  kopp::api::apps::v1::Deployment desired;
  desired.apiVersion = "apps/v1";
  desired.kind = "Deployment";
  desired.metadata.name = name;
  desired.spec.replicas = deployment.spec.replicas.value_or(1) + 1;
  const auto params = kopp::PatchParams::apply("bench");
  auto applied = co_await deployments.apply(desired, params);
  co_return static_cast<int>(all.items.size()) + applied.status.readyReplicas.value_or(0);
}
