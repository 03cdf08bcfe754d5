// Informer without a server: watcher events in, store and handler calls out.
#include "support/test_types.hpp"

#include <kopp/runtime/cache/informer.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <atomic>

using kopp_test::ConfigMap;
using Event = kopp::WatcherEventType;
using namespace std::chrono_literals;

namespace {

/// A source whose requests fail: these informers are driven through process().
kopp::ListWatchSource offline() {
  kopp::ListWatchSource source;
  source.description = "configmaps (offline)";
  source.list_page = [](kopp::ListParams) -> boost::asio::awaitable<boost::json::object> {
    throw std::logic_error("offline");
  };
  source.watch = [](kopp::ListParams) -> boost::asio::awaitable<kopp::RawWatchStream> {
    throw std::logic_error("offline");
  };
  return source;
}

std::shared_ptr<const ConfigMap> cm(std::string name, std::string rv, std::string value = {}) {
  auto object = std::make_shared<ConfigMap>();
  object->metadata.namespace_ = "ns";
  object->metadata.name = std::move(name);
  object->metadata.resourceVersion = std::move(rv);
  if (!value.empty()) object->data["v"] = value;
  return object;
}

kopp::WatcherEvent<ConfigMap> ev(Event type, std::shared_ptr<const ConfigMap> object = nullptr, std::size_t bytes = 0) {
  return kopp::WatcherEvent<ConfigMap>{type, std::move(object), bytes};
}

/// Records handler calls as "add:a@1", "update:a@1->2", "delete:a@2".
struct Recorder {
  std::vector<std::string> calls;
  kopp::EventHandlers<ConfigMap> handlers() {
    return kopp::EventHandlers<ConfigMap>()
        .on_add(
            [this](const auto& o) { calls.push_back("add:" + o->metadata.name + "@" + o->metadata.resourceVersion); })
        .on_update([this](const auto& old, const auto& now) {
          calls.push_back("update:" + now->metadata.name + "@" + old->metadata.resourceVersion + "->" +
                          now->metadata.resourceVersion);
        })
        .on_delete([this](const auto& o) {
          calls.push_back("delete:" + o->metadata.name + "@" + o->metadata.resourceVersion);
        });
  }
};

std::vector<std::string> keys_and_versions(const kopp::Store<ConfigMap>& store) {
  std::vector<std::string> out;
  for (const auto& o : store.list()) out.push_back(o->metadata.name + "@" + o->metadata.resourceVersion);
  return out;
}

}  // namespace

TEST_CASE("the first restart fills the store and syncs; watch events follow in order", "[informer]") {
  auto informer = kopp::Informer<ConfigMap>::create(offline());
  Recorder recorder;
  informer->add_handler(recorder.handlers());
  CHECK_FALSE(informer->has_synced());

  informer->process(ev(Event::init));
  informer->process(ev(Event::init_apply, cm("a", "1"), 100));
  informer->process(ev(Event::init_apply, cm("b", "2"), 50));
  CHECK(informer->size() == 0);  // a restart becomes visible only when complete
  CHECK(recorder.calls.empty());
  informer->process(ev(Event::init_done));
  CHECK(informer->has_synced());
  CHECK(informer->size() == 2);
  CHECK(informer->approximate_bytes() == 150);

  informer->process(ev(Event::apply, cm("a", "3"), 110));
  informer->process(ev(Event::apply, cm("c", "4"), 10));
  informer->process(ev(Event::delete_, cm("b", "5")));
  informer->process(ev(Event::delete_, cm("never-seen", "6")));  // nothing to delete: no call
  CHECK(recorder.calls == std::vector<std::string>{"add:a@1", "add:b@2", "update:a@1->3", "add:c@4", "delete:b@5"});
  CHECK(keys_and_versions(informer->store()) == std::vector<std::string>{"a@3", "c@4"});
  CHECK(informer->approximate_bytes() == 120);
}

TEST_CASE("a restart after 410 deletes what vanished while disconnected", "[informer]") {
  auto informer = kopp::Informer<ConfigMap>::create(offline());
  Recorder recorder;
  informer->process(ev(Event::init));
  for (auto name : {"keep", "change", "vanish"}) informer->process(ev(Event::init_apply, cm(name, "1")));
  informer->process(ev(Event::init_done));
  informer->add_handler(recorder.handlers());
  recorder.calls.clear();

  // The relist: "vanish" was deleted and "new" created while no watch was running.
  informer->process(ev(Event::init));
  informer->process(ev(Event::init_apply, cm("keep", "1")));
  informer->process(ev(Event::init_apply, cm("change", "7")));
  informer->process(ev(Event::init_apply, cm("new", "8")));
  CHECK(keys_and_versions(informer->store()) == std::vector<std::string>{"change@1", "keep@1", "vanish@1"});
  informer->process(ev(Event::init_done));

  CHECK(recorder.calls == std::vector<std::string>{"delete:vanish@1", "add:new@8", "update:change@1->7"});
  CHECK(keys_and_versions(informer->store()) == std::vector<std::string>{"change@7", "keep@1", "new@8"});
}

TEST_CASE("an interrupted restart is discarded by the next init", "[informer]") {
  auto informer = kopp::Informer<ConfigMap>::create(offline());
  informer->process(ev(Event::init));
  informer->process(ev(Event::init_apply, cm("partial", "1")));
  informer->process(ev(Event::init));  // the list started over
  informer->process(ev(Event::init_apply, cm("whole", "2")));
  informer->process(ev(Event::init_done));
  CHECK(keys_and_versions(informer->store()) == std::vector<std::string>{"whole@2"});
}

TEST_CASE("a handler added later first sees every cached object", "[informer]") {
  auto informer = kopp::Informer<ConfigMap>::create(offline());
  informer->process(ev(Event::init));
  informer->process(ev(Event::init_apply, cm("a", "1")));
  informer->process(ev(Event::init_apply, cm("b", "1")));
  informer->process(ev(Event::init_done));
  Recorder late;
  auto id = informer->add_handler(late.handlers());
  CHECK(late.calls == std::vector<std::string>{"add:a@1", "add:b@1"});
  informer->process(ev(Event::apply, cm("a", "2")));
  informer->remove_handler(id);
  informer->process(ev(Event::apply, cm("a", "3")));
  CHECK(late.calls == std::vector<std::string>{"add:a@1", "add:b@1", "update:a@1->2"});
}

TEST_CASE("handler ids are unique across informers; removing a foreign id removes nothing", "[informer]") {
  auto first = kopp::Informer<ConfigMap>::create(offline());
  auto second = kopp::Informer<ConfigMap>::create(offline());
  Recorder a1, b1, b2;
  const auto id_a1 = first->add_handler(a1.handlers());
  const auto id_b1 = second->add_handler(b1.handlers());
  const auto id_b2 = second->add_handler(b2.handlers());
  CHECK(id_a1 != id_b1);
  CHECK(id_a1 != id_b2);
  CHECK(id_b1 != id_b2);

  // The first informer's id means nothing to the second one.
  CHECK_FALSE(second->remove_handler(id_a1));
  second->process(ev(Event::init));
  second->process(ev(Event::init_apply, cm("x", "1")));
  second->process(ev(Event::init_done));
  CHECK(b1.calls == std::vector<std::string>{"add:x@1"});
  CHECK(b2.calls == std::vector<std::string>{"add:x@1"});

  // Its own ids work, once.
  CHECK(second->remove_handler(id_b2));
  CHECK_FALSE(second->remove_handler(id_b2));
  second->process(ev(Event::apply, cm("x", "2")));
  CHECK(b1.calls == std::vector<std::string>{"add:x@1", "update:x@1->2"});
  CHECK(b2.calls == std::vector<std::string>{"add:x@1"});
  CHECK(first->remove_handler(id_a1));
}

TEST_CASE("a throwing handler is reported and does not stop the others", "[informer]") {
  std::vector<std::string> errors;
  auto informer = kopp::Informer<ConfigMap>::create(
      offline(), kopp::InformerOptions<ConfigMap>().errors([&](std::string_view m) { errors.emplace_back(m); }));
  informer->add_handler(kopp::EventHandlers<ConfigMap>().on_add([](const auto&) { throw std::runtime_error("boom"); }));
  Recorder recorder;
  informer->add_handler(recorder.handlers());
  informer->process(ev(Event::apply, cm("a", "1")));
  CHECK(recorder.calls == std::vector<std::string>{"add:a@1"});
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].find("boom") != std::string::npos);
}

TEST_CASE("resync re-delivers every cached object as an update", "[informer]") {
  auto informer = kopp::Informer<ConfigMap>::create(offline());
  informer->process(ev(Event::init));
  informer->process(ev(Event::init_apply, cm("a", "1")));
  informer->process(ev(Event::init_apply, cm("b", "2")));
  informer->process(ev(Event::init_done));
  Recorder recorder;
  informer->add_handler(recorder.handlers());
  recorder.calls.clear();
  informer->resync();
  CHECK(recorder.calls == std::vector<std::string>{"update:a@1->1", "update:b@2->2"});
}

TEST_CASE("managedFields are dropped before decoding and before the size estimate", "[informer]") {
  const auto json = boost::json::parse(R"({"apiVersion":"v1","kind":"ConfigMap",
    "metadata":{"name":"a","namespace":"ns","resourceVersion":"5",
      "managedFields":[{"manager":"kubectl","operation":"Update","fieldsV1":{"f:data":{"f:k":{}}}}]},
    "data":{"k":"v"}})")
                        .as_object();
  auto dropping = kopp::Informer<ConfigMap>::create(offline());
  auto keeping = kopp::Informer<ConfigMap>::create(offline(), kopp::InformerOptions<ConfigMap>().keep_managed_fields());
  auto dropped = dropping->decode(json);
  auto kept = keeping->decode(json);
  CHECK(dropped.object->metadata.managedFields.empty());
  CHECK(kept.object->metadata.managedFields.size() == 1);
  CHECK(dropped.bytes < kept.bytes);
  CHECK(dropped.bytes > 60);
  CHECK_FALSE(kopp::is_transformed(dropped.object->metadata));
  // Encoding the cached object omits managedFields altogether (an update then keeps the
  // server's), never `[]` (which would clear them).
  const auto encoded = kopp::to_json(*dropped.object);
  CHECK_FALSE(encoded.at("metadata").as_object().contains("managedFields"));
}

TEST_CASE("objects from a user transform are marked and updates become patches", "[informer]") {
  auto informer = kopp::Informer<ConfigMap>::create(
      offline(), kopp::InformerOptions<ConfigMap>().with_transform([](ConfigMap& c) { c.data.erase("big"); }));
  const auto json = boost::json::parse(R"({"metadata":{"name":"a","namespace":"ns","resourceVersion":"5",
    "labels":{"x":"1","y":"2"}},"data":{"big":"....","small":"s"}})")
                        .as_object();
  auto cached = informer->decode(json).object;
  CHECK(cached->data.count("big") == 0);
  CHECK(kopp::is_transformed(cached->metadata));
  CHECK(cached->metadata.resourceVersion == "kopp-transformed:5");
  CHECK(kopp::server_resource_version(cached->metadata) == "5");

  ConfigMap modified = *cached;
  modified.data["small"] = "changed";
  modified.metadata.labels.erase("x");
  auto patch = kopp::merge_patch(*cached, modified);
  CHECK(patch.kind == kopp::Patch::type::json_merge);
  // Only what changed; "big" (dropped by the transform) and the marker are not in it.
  CHECK(patch.body == boost::json::parse(R"({"metadata":{"labels":{"x":null}},"data":{"small":"changed"}})"));
}

TEST_CASE("wait_for_sync returns when the informer syncs, or false after the timeout", "[informer]") {
  boost::asio::io_context io;
  auto informer = kopp::Informer<ConfigMap>::create(offline());
  auto timed_out = boost::asio::co_spawn(io, informer->wait_for_sync(30ms), boost::asio::use_future);
  io.run();
  CHECK_FALSE(timed_out.get());

  io.restart();
  auto synced = boost::asio::co_spawn(io, informer->wait_for_sync(10s), boost::asio::use_future);
  boost::asio::steady_timer later(io, 50ms);
  later.async_wait([&](boost::system::error_code) {
    informer->process(ev(Event::init));
    informer->process(ev(Event::init_done));
  });
  const auto start = std::chrono::steady_clock::now();
  io.run();
  CHECK(synced.get());
  CHECK(std::chrono::steady_clock::now() - start < 5s);
}

TEST_CASE("a started informer whose requests fail retries with backoff and stops on stop()", "[informer]") {
  boost::asio::io_context io;
  std::vector<std::string> errors;
  kopp::InformerOptions<ConfigMap> options;
  options.watcher.backoff = kopp::BackoffPolicy{20ms, 40ms, 2.0, 0.0};
  options.on_error = [&](std::string_view m) { errors.emplace_back(m); };
  auto informer = kopp::Informer<ConfigMap>::create(offline(), options);
  informer->start(io.get_executor());
  boost::asio::steady_timer later(io, 300ms);
  later.async_wait([&](boost::system::error_code) { informer->stop(); });
  io.run();  // returns only when the informer's coroutine ended
  CHECK(informer->stopped());
  CHECK_FALSE(informer->has_synced());
  // 300 ms with pauses of 20, 40, 40, ... ms: a handful of attempts, not thousands.
  CHECK(errors.size() >= 3);
  CHECK(errors.size() <= 15);
  CHECK(errors.front().find("offline") != std::string::npos);
}

namespace {

boost::asio::awaitable<boost::json::object> serve(std::shared_ptr<boost::json::object> page,
                                                  std::shared_ptr<int> lists) {
  ++*lists;
  co_return *page;
}

/// Serves `page` as the only LIST page; every WATCH fails with 410 Gone, so the watcher
/// relists after each backoff.
kopp::ListWatchSource relisting(std::shared_ptr<boost::json::object> page, std::shared_ptr<int> lists) {
  kopp::ListWatchSource source;
  source.description = "configmaps (relisting)";
  source.list_page = [page, lists](kopp::ListParams) { return serve(page, lists); };
  source.watch = [](kopp::ListParams) -> boost::asio::awaitable<kopp::RawWatchStream> {
    throw kopp::api_error(kopp::make_error_code(kopp::errc::gone), "WATCH: 410 Gone");
  };
  return source;
}

boost::json::value item(std::string name, std::string rv, std::string uid, std::string value) {
  return boost::json::value{{"metadata", {{"namespace", "ns"}, {"name", name}, {"resourceVersion", rv}, {"uid", uid}}},
                            {"data", {{"v", value}}}};
}

}  // namespace

namespace {

boost::asio::awaitable<boost::json::object> flaky_page(std::shared_ptr<std::atomic<int>> mode) {
  // 0: 403 Forbidden, 1: 410 Gone, 2: an empty list.
  if (*mode == 0) throw kopp::api_error(kopp::make_error_code(kopp::errc::forbidden), "LIST: 403 Forbidden");
  if (*mode == 1) throw kopp::api_error(kopp::make_error_code(kopp::errc::gone), "LIST: 410 Gone");
  co_return boost::json::object{{"metadata", {{"resourceVersion", "7"}}}, {"items", boost::json::array()}};
}

}  // namespace

TEST_CASE("failing_since starts with a failed request, not with 410, and ends with a success", "[informer]") {
  boost::asio::io_context io;
  auto mode = std::make_shared<std::atomic<int>>(1);
  kopp::ListWatchSource source;
  source.description = "configmaps (flaky)";
  source.list_page = [mode](kopp::ListParams) { return flaky_page(mode); };
  source.watch = [mode](kopp::ListParams) -> boost::asio::awaitable<kopp::RawWatchStream> {
    if (*mode == 2) throw kopp::api_error(kopp::make_error_code(kopp::errc::gone), "WATCH: 410 Gone");
    throw kopp::api_error(kopp::make_error_code(kopp::errc::forbidden), "WATCH: 403 Forbidden");
  };
  kopp::InformerOptions<ConfigMap> options;
  options.watcher.backoff = kopp::BackoffPolicy{5ms, 10ms, 2.0, 0.0};
  auto informer = kopp::Informer<ConfigMap>::create(source, options);
  CHECK_FALSE(informer->failing_since());
  informer->start(io.get_executor());
  auto run_for = [&](std::chrono::milliseconds d) {
    io.restart();
    io.run_for(d);
  };
  run_for(100ms);
  CHECK_FALSE(informer->failing_since());  // 410 asks for a relist; it is not a failure
  CHECK(informer->last_error().find("410") != std::string::npos);
  const auto before = std::chrono::steady_clock::now();
  *mode = 0;
  run_for(100ms);
  const auto since = informer->failing_since();
  REQUIRE(since);
  CHECK(*since >= before);
  CHECK(informer->last_error().find("403") != std::string::npos);
  run_for(100ms);
  CHECK(informer->failing_since() == since);  // the streak keeps its start
  *mode = 2;                                  // lists succeed (watches answer 410: relist)
  run_for(100ms);
  CHECK(informer->has_synced());
  CHECK_FALSE(informer->failing_since());
  informer->stop();
  run_for(100ms);
}

TEST_CASE("a relist shares the objects whose resourceVersion and uid did not change", "[informer]") {
  auto page = std::make_shared<boost::json::object>();
  auto lists = std::make_shared<int>(0);
  auto set_items = [&](boost::json::array items) {
    (*page)["metadata"] = boost::json::object{{"resourceVersion", "100"}};
    (*page)["items"] = std::move(items);
  };
  set_items({item("same", "1", "u1", "a"), item("changed", "2", "u2", "b"), item("recreated", "3", "u3", "c")});

  boost::asio::io_context io;
  kopp::InformerOptions<ConfigMap> options;
  options.watcher.backoff = kopp::BackoffPolicy{20ms, 20ms, 2.0, 0.0};
  auto informer = kopp::Informer<ConfigMap>::create(relisting(page, lists), options);
  Recorder recorder;
  informer->add_handler(recorder.handlers());
  informer->start(io.get_executor());
  // Runs the informer until `done` holds (at most 10 s).
  auto run_until = [&](auto done) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!done() && std::chrono::steady_clock::now() < deadline) io.run_one_for(100ms);
    return done();
  };
  REQUIRE(run_until([&] { return informer->has_synced(); }));
  const auto same = informer->store().get("ns/same");
  const auto changed = informer->store().get("ns/changed");
  const auto recreated = informer->store().get("ns/recreated");
  REQUIRE(same != nullptr);

  // The next list: "changed" has a new resourceVersion, "recreated" the same one with a new uid.
  set_items({item("same", "1", "u1", "a"), item("changed", "5", "u2", "B"), item("recreated", "3", "u9", "C")});
  REQUIRE(run_until([&] { return *lists >= 3; }));  // round 2's relist is complete once round 3 started
  informer->stop();
  io.run_for(50ms);

  CHECK(informer->store().get("ns/same") == same);  // shared, not decoded again
  const auto changed_now = informer->store().get("ns/changed");
  const auto recreated_now = informer->store().get("ns/recreated");
  CHECK(changed_now != changed);
  CHECK(changed_now->data.at("v") == "B");
  CHECK(recreated_now != recreated);
  CHECK(recreated_now->data.at("v") == "C");
  CHECK(recreated_now->metadata.uid == "u9");
  CHECK(std::count(recorder.calls.begin(), recorder.calls.end(), "update:changed@2->5") == 1);
  CHECK(std::count(recorder.calls.begin(), recorder.calls.end(), "add:same@1") == 1);
}
