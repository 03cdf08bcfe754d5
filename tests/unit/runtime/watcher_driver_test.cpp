// The watcher's driver (and an informer on it) against a scripted HTTP server: objects
// that do not decode, objects nested as deep as the API server allows, and a watch
// connection that goes silent.
#include "support/deep_json.hpp"
#include "support/fake_server.hpp"
#include "support/test_types.hpp"

#include <kopp/runtime/cache/informer.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <catch2/catch.hpp>

#include <functional>
#include <mutex>

using namespace kopp_test;
using namespace std::chrono_literals;
using boost::asio::awaitable;

namespace {

std::string cm(const std::string& name, const std::string& rv, const std::string& data = R"({"k":"v"})") {
  return R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":")" + name +
         R"(","namespace":"ns","resourceVersion":")" + rv + R"(","uid":"u-)" + name + R"("},"data":)" + data + "}";
}

std::string list_of(const std::vector<std::string>& items, const std::string& rv) {
  std::string out =
      R"({"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":")" + rv + R"("},"items":[)";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + items[i];
  return out + "]}";
}

std::string event(const std::string& type, const std::string& object) {
  return R"({"type":")" + type + R"(","object":)" + object + "}\n";
}

/// Polls `done` every 10 ms for up to `limit`.
awaitable<bool> eventually(std::function<bool()> done, std::chrono::milliseconds limit = 10s) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) co_return false;
    timer.expires_after(10ms);
    co_await timer.async_wait(boost::asio::use_awaitable);
  }
  co_return true;
}

struct Errors {
  std::mutex mutex;
  std::vector<std::string> messages;
  std::function<void(std::string_view)> sink() {
    return [this](std::string_view m) {
      std::lock_guard lock(mutex);
      messages.emplace_back(m);
    };
  }
  std::size_t count(std::string_view needle) {
    std::lock_guard lock(mutex);
    return std::count_if(messages.begin(), messages.end(),
                         [&](const std::string& m) { return m.find(needle) != std::string::npos; });
  }
};

/// Runs `body` on one io_context with a fake server, then stops the server; `after` runs
/// once the io_context is idle and before it is destroyed (an informer holds a strand and
/// timers of it, so it must be checked and released there).
template <class F>
void with_server(F body, const std::function<void()>& after) {
  boost::asio::io_context io;
  FakeServer server(io.get_executor());
  kopp::Client client(io.get_executor(), config_for(server));
  std::exception_ptr failure;
  boost::asio::co_spawn(io, body(server, client), [&](std::exception_ptr e) {
    failure = e;
    server.stop();
  });
  io.run();
  if (failure) std::rethrow_exception(failure);
  after();
}

std::size_t depth_of(const boost::json::value& root) {
  std::size_t levels = 0;
  const boost::json::value* v = &root;
  while (v->is_object()) {
    ++levels;
    const auto& o = v->get_object();
    if (o.empty()) break;
    v = o.contains("a") ? &o.at("a") : &o.begin()->value();
  }
  return levels;
}

}  // namespace

void check_poison(const std::shared_ptr<kopp::Informer<ConfigMap>>& informer, Errors& errors,
                  kopp::metrics::Registry& registry);

TEST_CASE("objects that do not decode are skipped and counted; the informer syncs and stays live",
          "[informer][poison][depth]") {
  kopp::metrics::Registry registry;
  Errors errors;
  std::shared_ptr<kopp::Informer<ConfigMap>> informer;
  with_server(
      [&](FakeServer& server, kopp::Client& client) -> awaitable<void> {
        // "b" has a number where ConfigMap has strings; "deep" is nested 10,000 levels (its
        // spec lands in unknown_fields).
        server.script({http_response(200, list_of({cm("a", "5"), cm("b", "6", R"({"k":5})"),
                                                   deep_object(kopp::json_max_depth, "deep", "7"), cm("f", "8")},
                                                  "10"))});
        server.script({chunked_response(
            {event("ADDED", cm("d", "11", R"({"k":[1]})")),
             event("ADDED", deep_object(kopp::json_max_depth, "deep2", "12")),
             event("DELETED", cm("f", "13", R"({"k":true})")), event("MODIFIED", cm("a", "14", R"({"k":"w"})"))},
            false)});
        kopp::InformerOptions<ConfigMap> options;
        options.errors(errors.sink());
        options.metrics = &registry;
        informer = kopp::Informer<ConfigMap>::create(kopp::ListWatchSource::of<ConfigMap>(client, "ns"), options);
        informer->start(co_await boost::asio::this_coro::executor);
        const bool synced = co_await informer->wait_for_sync(10s);
        CHECK(synced);
        const bool modified = co_await eventually([&] {
          auto a = informer->store().get("ns/a");
          return a && a->metadata.resourceVersion == "14";
        });
        CHECK(modified);
        informer->stop();
      },
      [&] {
        check_poison(informer, errors, registry);
        informer.reset();
      });
}

void check_poison(const std::shared_ptr<kopp::Informer<ConfigMap>>& informer, Errors& errors,
                  kopp::metrics::Registry& registry) {
  REQUIRE(informer);
  auto& store = informer->store();
  CHECK(store.get("ns/a"));
  CHECK_FALSE(store.get("ns/b"));  // skipped
  CHECK_FALSE(store.get("ns/d"));  // skipped
  CHECK_FALSE(store.get("ns/f"));  // its DELETED did not decode, yet it left the cache
  auto deep = store.get("ns/deep");
  REQUIRE(deep);
  REQUIRE(deep->unknown_fields.find("spec"));
  CHECK(depth_of(*deep->unknown_fields.find("spec")) == kopp::json_max_depth - 1);
  REQUIRE(store.get("ns/deep2"));
  CHECK(informer->decode_errors() == 3);
  CHECK(errors.count("does not decode") == 3);
  CHECK(errors.count("ns/b@6") == 1);
  const std::string metrics = registry.render();
  INFO(metrics);
  CHECK(metrics.find("kopp_informer_decode_errors_total{informer=\"configmaps in ns\"} 3") != std::string::npos);
}

TEST_CASE("a watch that goes silent is presumed dead after the idle timeout and resumed from its version",
          "[informer][idle]") {
  Errors errors;
  std::shared_ptr<kopp::Informer<ConfigMap>> informer;
  std::vector<SeenRequest> requests;
  std::chrono::steady_clock::duration detected{};
  with_server(
      [&](FakeServer& server, kopp::Client& client) -> awaitable<void> {
        server.script({http_response(200, list_of({cm("a", "5")}, "10"))});
        // Headers and one event, then nothing at all, and the connection stays open: what a
        // half-open connection looks like from the client.
        server.script({chunked_response({event("MODIFIED", cm("a", "11"))}, false)});
        server.script({chunked_response({event("MODIFIED", cm("a", "12"))}, false)});
        kopp::InformerOptions<ConfigMap> options;
        options.errors(errors.sink());
        options.config(
            kopp::WatcherConfig().idle_timeout(400ms).backoff_policy(kopp::BackoffPolicy{1ms, 5ms, 2.0, 0.0}));
        informer = kopp::Informer<ConfigMap>::create(kopp::ListWatchSource::of<ConfigMap>(client, "ns"), options);
        informer->start(co_await boost::asio::this_coro::executor);
        const bool first = co_await eventually([&] {
          auto a = informer->store().get("ns/a");
          return a && a->metadata.resourceVersion == "11";
        });
        CHECK(first);
        const auto silent_since = std::chrono::steady_clock::now();
        const bool resumed = co_await eventually([&] {
          auto a = informer->store().get("ns/a");
          return a && a->metadata.resourceVersion == "12";
        });
        detected = std::chrono::steady_clock::now() - silent_since;
        CHECK(resumed);
        requests = server.requests();
        informer->stop();
      },
      [&] {
        CHECK(informer->restarts() == 1);
        informer.reset();
      });
  CHECK(detected >= 350ms);
  CHECK(detected < 5s);  // not the transport's 10 minutes
  REQUIRE(requests.size() == 3);
  INFO(requests[1].target);
  CHECK(requests[1].target.find("watch=") != std::string::npos);
  CHECK(requests[2].target.find("watch=") != std::string::npos);
  CHECK(requests[2].target.find("resourceVersion=11") != std::string::npos);  // resumed, no relist
  CHECK(errors.count("presumed dead") == 1);
}
