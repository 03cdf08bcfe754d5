// Why dropping managedFields from the cache is safe, and why transformed objects are
// marked: checked against the real API server.
#include "support/informer_support.hpp"

using namespace kopp_test;
using boost::asio::awaitable;

namespace {
std::vector<std::string> managers(const ConfigMap& cm) {
  std::vector<std::string> out;
  for (const auto& entry : cm.metadata.managedFields) out.push_back(entry.manager);
  std::sort(out.begin(), out.end());
  return out;
}
}  // namespace

TEST_CASE("replace() of a cached object without managedFields keeps the server's managedFields",
          "[integration][informer]") {
  TestNamespace ns("kopp-informer-mf");
  run<void>([&]() -> awaitable<void> {
    kopp::Client client(co_await boost::asio::this_coro::executor, admin_config());
    ConfigMap cm;
    cm.metadata.name = "owned";
    cm.data["a"] = "1";
    co_await kopp::Api<ConfigMap>(client, ns.name()).create(cm, kopp::PostParams("first-manager"));
  });
  BackgroundIo io;
  auto informer = kopp::Informer<ConfigMap>::create(kopp::ListWatchSource::of<ConfigMap>(io.client(), ns.name()));
  StopOnExit<ConfigMap> stop{informer};
  informer->start(io.executor());
  REQUIRE(eventually([&] { return informer->store().get(ns.name(), "owned") != nullptr; }, std::chrono::seconds(30)));
  auto cached = informer->store().get(ns.name(), "owned");
  REQUIRE(cached->metadata.managedFields.empty());

  run<void>([&]() -> awaitable<void> {
    kopp::Client client(co_await boost::asio::this_coro::executor, admin_config());
    kopp::Api<ConfigMap> configmaps(client, ns.name());
    const auto before = co_await configmaps.get("owned");
    REQUIRE(managers(before) == std::vector<std::string>{"first-manager"});

    ConfigMap update = *cached;  // no managedFields in it
    update.data["b"] = "2";
    auto replaced = co_await configmaps.replace(update, kopp::PostParams("second-manager"));
    CHECK(replaced.data.at("b") == "2");
    const auto after = co_await configmaps.get("owned");
    // first-manager's entry survived; the update added second-manager's.
    CHECK(managers(after) == std::vector<std::string>{"first-manager", "second-manager"});
  });
}

TEST_CASE("an object from a user transform cannot be replaced, and its merge patch keeps the dropped data",
          "[integration][informer]") {
  TestNamespace ns("kopp-informer-tf");
  run<void>([&]() -> awaitable<void> {
    kopp::Client client(co_await boost::asio::this_coro::executor, admin_config());
    ConfigMap cm;
    cm.metadata.name = "big";
    cm.data["payload"] = std::string(2000, 'p');
    cm.data["mode"] = "slow";
    co_await kopp::Api<ConfigMap>(client, ns.name()).create(cm);
  });
  BackgroundIo io;
  auto informer = kopp::Informer<ConfigMap>::create(
      kopp::ListWatchSource::of<ConfigMap>(io.client(), ns.name()),
      kopp::InformerOptions<ConfigMap>().with_transform([](ConfigMap& cm) { cm.data.erase("payload"); }));
  StopOnExit<ConfigMap> stop{informer};
  informer->start(io.executor());
  REQUIRE(eventually([&] { return informer->store().get(ns.name(), "big") != nullptr; }, std::chrono::seconds(30)));
  auto cached = informer->store().get(ns.name(), "big");
  REQUIRE(kopp::is_transformed(cached->metadata));
  REQUIRE(cached->data.count("payload") == 0);

  run<void>([&]() -> awaitable<void> {
    kopp::Client client(co_await boost::asio::this_coro::executor, admin_config());
    kopp::Api<ConfigMap> configmaps(client, ns.name());
    ConfigMap modified = *cached;
    modified.data["mode"] = "fast";

    // Refused by the client before any request, with the way out in the message.
    bool refused = false;
    try {
      co_await configmaps.replace(modified);
    } catch (const std::invalid_argument& e) {
      refused = std::string(e.what()).find("merge_patch") != std::string::npos;
      UNSCOPED_INFO("replace refused: " << e.what());
    }
    CHECK(refused);
    bool apply_refused = false;
    try {
      co_await configmaps.apply(modified, kopp::PatchParams::apply("kopp-test").forced());
    } catch (const std::invalid_argument& e) {
      apply_refused = std::string(e.what()).find("merge_patch") != std::string::npos;
      UNSCOPED_INFO("apply refused: " << e.what());
    }
    CHECK(apply_refused);
    auto untouched = co_await configmaps.get("big");
    CHECK(untouched.data.at("payload").size() == 2000);
    CHECK(untouched.data.at("mode") == "slow");

    auto patched = co_await configmaps.patch("big", kopp::merge_patch(*cached, modified));
    CHECK(patched.data.at("mode") == "fast");
    CHECK(patched.data.at("payload").size() == 2000);  // the dropped field is intact
  });
}
