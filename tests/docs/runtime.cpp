// docs/runtime.md's examples, compiled (tools/docs/snippets.py keeps the two equal).
#include <kopp/core.hpp>

#include <memory>

struct ConfigMap {
  std::string apiVersion, kind;
  kopp::ObjectMeta metadata;
  std::map<std::string, std::string> data;
  kopp::UnknownFields unknown_fields;
};
BOOST_DESCRIBE_STRUCT(ConfigMap, (), (apiVersion, kind, metadata, data, unknown_fields))
KOPP_RESOURCE(ConfigMap, "", "v1", "ConfigMap", "configmaps", namespaced)

// clang-format off
// [doc:mirror]
#include <kopp/kopp.hpp>

class MirrorReconciler : public kopp::Reconciler<ConfigMap> {
 public:
  boost::asio::awaitable<kopp::Action> reconcile(std::shared_ptr<const ConfigMap> parent,
                                                 kopp::Context& ctx) override {
    kopp::Api<ConfigMap> api(ctx.client(), parent->metadata.namespace_);
    co_await kopp::create_or_update(api, parent->metadata.name + "-child", [&](ConfigMap& child) {
      child.data = parent->data;
      kopp::set_controller_reference(*parent, child);
    });
    ctx.recorder().post(*parent, kopp::EventType::normal, "Mirrored", "Reconcile", "child is up to date");
    co_return kopp::Action::done();              // or Action::requeue_after(30s)
  }
};

int main() {
  kopp::ManagerOptions options;
  options.leader_election = true;
  options.leader_election_id = "mirror-operator";
  options.metrics_bind_address = ":8080";
  options.health_probe_bind_address = ":8081";
  kopp::Manager manager(kopp::from_environment(), options);
  manager.controller<ConfigMap>("mirror")
      .label_selector("role=parent")
      .with_predicate(kopp::predicates::generation_changed<ConfigMap>())
      .owns<ConfigMap>()
      .max_concurrent_reconciles(4)
      .build(std::make_shared<MirrorReconciler>());
  return manager.run();                          // SIGTERM: graceful stop, exit 0
}
// [/doc]
// clang-format on

namespace status {

struct MyStatus {
  std::vector<kopp::Condition> conditions;
};
BOOST_DESCRIBE_STRUCT(MyStatus, (), (conditions))

struct MySpec {
  std::int32_t replicas = 1;
};
BOOST_DESCRIBE_STRUCT(MySpec, (), (replicas))

struct MyKind {
  std::string apiVersion, kind;
  kopp::ObjectMeta metadata;
  MySpec spec;
  MyStatus status;
};
BOOST_DESCRIBE_STRUCT(MyKind, (), (apiVersion, kind, metadata, spec, status))
KOPP_RESOURCE(MyKind, "example.com", "v1", "MyKind", "mykinds", namespaced)

boost::asio::awaitable<kopp::Action> reconcile(std::shared_ptr<const MyKind> object, kopp::Context& ctx, bool ready) {
  // clang-format off
  // [doc:patch-status]
  MyStatus status;                                 // what this reconcile observed
  kopp::set_status_condition(status.conditions,
                             kopp::make_condition("Ready", kopp::condition_status(ready), "Reconciled",
                                                  "all replicas are up", object->metadata.generation),
                             kopp::Time::now());
  kopp::Api<MyKind> api(ctx.client(), object->metadata.namespace_);
  co_await kopp::patch_status(api, *object, std::move(status));
  // [/doc]
  // clang-format on
  co_return kopp::Action::done();
}

}  // namespace status

namespace flags {

using Memcached = status::MyKind;

struct MemcachedReconciler {
  boost::asio::awaitable<kopp::Action> reconcile(std::shared_ptr<const Memcached>, kopp::Context&) {
    co_return kopp::Action::done();
  }
};

// clang-format off
// [doc:operator-flags]
int main(int argc, char** argv) {
  auto flags = kopp::OperatorFlags::parse(argc, argv, "memcached-operator", "Runs memcached.");
  kopp::Manager manager(flags.load_config(), flags.manager_options());
  manager.controller<Memcached>("memcached").build(MemcachedReconciler{});
  return manager.run();
}
// [/doc]
// clang-format on

}  // namespace flags
