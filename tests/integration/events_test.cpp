// Events against the real API server: they appear on the regarding object (field
// selector regarding.name, kubectl events), repeats aggregate into one Event's series.

#include "support/integration.hpp"

#include <kopp/api/events/v1.hpp>
#include <kopp/runtime/manager/events.hpp>

#include <boost/asio/this_coro.hpp>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

namespace asio = boost::asio;
using kopp::api::events::v1::Event;
using kopp_test::ConfigMap;

namespace {

asio::awaitable<ConfigMap> make_configmap(kopp::Client& client, const std::string& ns, const std::string& name) {
  ConfigMap cm;
  cm.metadata.name = name;
  cm.data["k"] = "v";
  co_return co_await kopp::Api<ConfigMap>(client, ns).create(cm);
}

asio::awaitable<kopp::ObjectList<Event>> events_about(kopp::Client& client, const std::string& ns,
                                                      const std::string& name) {
  kopp::Api<Event> events(client, ns);
  co_return co_await events.list(kopp::ListParams().fields("regarding.name=" + name));
}

kopp::EventRecorderOptions recorder_options() {
  kopp::EventRecorderOptions options;
  options.reporting_controller = "kopp.example.com/events-test";
  options.reporting_instance = "events-test-0";
  return options;
}

std::string run_command(const std::string& command) {
  std::string out;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
  if (!pipe) return out;
  std::array<char, 4096> buf{};
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), pipe.get())) out.append(buf.data(), n);
  return out;
}

}  // namespace

TEST_CASE("events: an event appears on its ConfigMap", "[events]") {
  kopp_test::TestNamespace ns("ev-basic");
  kopp_test::run<void>([&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    kopp::Client client(ex, kopp_test::admin_config());
    const ConfigMap cm = co_await make_configmap(client, ns.name(), "settings");
    kopp::EventRecorder recorder(client, recorder_options());
    co_await recorder.publish(cm, kopp::EventType::normal, "Configured", "Configure", "settings were applied");

    const kopp::ObjectList<Event> events = co_await events_about(client, ns.name(), "settings");
    REQUIRE(events.items.size() == 1);
    const Event& e = events.items[0];
    CHECK(e.metadata.namespace_ == ns.name());
    CHECK(e.metadata.name.rfind("settings.", 0) == 0);
    CHECK(e.metadata.name.size() == std::string("settings.").size() + 16);
    CHECK(e.type == "Normal");
    CHECK(e.reason == "Configured");
    CHECK(e.action == "Configure");
    CHECK(e.note == "settings were applied");
    CHECK(e.reportingController == "kopp.example.com/events-test");
    CHECK(e.reportingInstance == "events-test-0");
    CHECK(e.regarding.kind == "ConfigMap");
    CHECK(e.regarding.apiVersion == "v1");
    CHECK(e.regarding.uid == cm.metadata.uid);
    CHECK(e.regarding.namespace_ == ns.name());
    CHECK_FALSE(e.eventTime.is_zero());
    CHECK_FALSE(e.series.has_value());

    // Another object's events are not mixed in.
    const kopp::ObjectList<Event> none = co_await events_about(client, ns.name(), "other");
    CHECK(none.items.empty());
    co_await recorder.close();
  });

  // What an operator's user sees.
  if (const char* cp = std::getenv("KOPP_CONTROLPLANE")) {
    const std::string out =
        run_command(std::string(cp) + " kubectl events -n " + ns.name() + " --for configmap/settings 2>&1");
    INFO(out);
    CHECK(out.find("Configured") != std::string::npos);
    CHECK(out.find("settings were applied") != std::string::npos);
  }
}

TEST_CASE("events: a burst of identical events becomes one Event with a series", "[events]") {
  kopp_test::TestNamespace ns("ev-burst");
  kopp_test::run<void>([&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    kopp::Client client(ex, kopp_test::admin_config());
    const ConfigMap cm = co_await make_configmap(client, ns.name(), "flaky");
    kopp::EventRecorder recorder(client, recorder_options());
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 100; ++i)
      recorder.post(cm, kopp::EventType::warning, "SyncFailed", "Sync", "backend unreachable");
    // post() only decides in memory: 100 calls take far less than one request.
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(200));
    // A different note is a different event.
    recorder.post(cm, kopp::EventType::warning, "SyncFailed", "Sync", "backend refused");
    co_await recorder.flush();
    CHECK(recorder.dropped() == 0);

    const kopp::ObjectList<Event> events = co_await events_about(client, ns.name(), "flaky");
    REQUIRE(events.items.size() == 2);
    const Event* burst = nullptr;
    const Event* single = nullptr;
    for (const Event& e : events.items) (e.note == "backend unreachable" ? burst : single) = &e;
    REQUIRE(burst);
    REQUIRE(single);
    CHECK(burst->type == "Warning");
    CHECK(burst->reason == "SyncFailed");
    REQUIRE(burst->series.has_value());
    CHECK(burst->series->count == 100);
    CHECK(burst->series->lastObservedTime >= burst->eventTime);
    CHECK(single->type == "Warning");
    CHECK(single->note == "backend refused");
    CHECK_FALSE(single->series.has_value());

    // More repeats within the window go to the same Event.
    for (int i = 0; i < 5; ++i) {
      co_await recorder.publish(cm, kopp::EventType::warning, "SyncFailed", "Sync", "backend unreachable");
    }
    co_await recorder.close();
    const kopp::ObjectList<Event> after = co_await events_about(client, ns.name(), "flaky");
    CHECK(after.items.size() == 2);
    for (const Event& e : after.items) {
      if (e.note != "backend unreachable") continue;
      REQUIRE(e.series.has_value());
      CHECK(e.series->count == 105);
    }
  });
}

TEST_CASE("events: cluster-scoped objects get their events in default; long notes are cut", "[events]") {
  kopp_test::TestNamespace ns("ev-cluster");
  kopp_test::run<void>([&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    kopp::Client client(ex, kopp_test::admin_config());
    const kopp_test::Namespace nsobj = co_await kopp::Api<kopp_test::Namespace>::all(client).get(ns.name());
    kopp::EventRecorder recorder(client, recorder_options());
    std::string note(3000, 'n');
    co_await recorder.publish(nsobj, kopp::EventType::normal, "Labelled", "Label", note);

    const kopp::ObjectList<Event> events = co_await events_about(client, "default", ns.name());
    REQUIRE(events.items.size() == 1);
    CHECK(events.items[0].metadata.namespace_ == "default");
    CHECK(events.items[0].regarding.kind == "Namespace");
    CHECK(events.items[0].regarding.namespace_.empty());
    CHECK(events.items[0].note.size() == 1024);
    co_await kopp::Api<Event>(client, "default").delete_(events.items[0].metadata.name);
    co_await recorder.close();
  });
}
