// The watcher's protocol, driven without sockets and with a hand-moved clock.
#include "support/test_types.hpp"

#include <kopp/runtime/cache/watcher_fsm.hpp>

#include <catch2/catch.hpp>

using kopp_test::ConfigMap;
using Fsm = kopp::WatcherFsm<ConfigMap>;
using Action = kopp::WatcherAction::type;
using Event = kopp::WatcherEventType;
using namespace std::chrono_literals;

namespace {

Fsm::Item item(std::string name, std::string rv) {
  auto object = std::make_shared<ConfigMap>();
  object->metadata.namespace_ = "ns";
  object->metadata.name = std::move(name);
  object->metadata.resourceVersion = std::move(rv);
  return Fsm::Item{object, 10};
}

std::vector<std::string> drain(Fsm& fsm) {
  std::vector<std::string> out;
  while (auto e = fsm.pop_event()) {
    std::string text(kopp::to_string(e->type));
    if (e->object) text += ":" + e->object->metadata.name;
    out.push_back(text);
  }
  return out;
}

kopp::WatcherConfig deterministic() {
  kopp::WatcherConfig config;
  config.backoff = kopp::BackoffPolicy{200ms, 30'000ms, 2.0, 0.0};  // no jitter: exact delays
  return config;
}

// A clock the test moves by hand.
struct TestClock {
  std::chrono::steady_clock::time_point now{std::chrono::hours(1000)};
  std::chrono::steady_clock::time_point advance(std::chrono::steady_clock::duration d) { return now += d; }
};

/// Lists one page with `items` at `rv` and opens the watch.
void list_and_watch(Fsm& fsm, TestClock& clock, std::vector<Fsm::Item> items, std::string rv) {
  REQUIRE(fsm.action().kind == Action::list_page);
  fsm.list_page_received(std::move(items), rv, "");
  REQUIRE(fsm.action().kind == Action::open_watch);
  fsm.watch_opened(clock.now);
  REQUIRE(fsm.action().kind == Action::read_event);
}

kopp::Status gone_status() {
  kopp::Status status;
  status.status = "Failure";
  status.code = 410;
  status.reason = "Expired";
  status.message = "too old resource version: 5 (90)";
  return status;
}

}  // namespace

TEST_CASE("the initial list is paginated at one snapshot, then the watch starts from its version", "[watcher]") {
  Fsm fsm(deterministic());
  auto first = fsm.action();
  REQUIRE(first.kind == Action::list_page);
  CHECK(first.params.page_size == 500);
  CHECK(first.params.resource_version.empty());  // a quorum read of the latest state
  CHECK(first.params.continue_token.empty());

  fsm.list_page_received({item("a", "10"), item("b", "11")}, "90", "token-1");
  CHECK(drain(fsm) == std::vector<std::string>{"init", "init_apply:a", "init_apply:b"});
  CHECK_FALSE(fsm.initial_state_complete());

  auto second = fsm.action();
  REQUIRE(second.kind == Action::list_page);
  CHECK(second.params.continue_token == "token-1");
  CHECK(second.params.resource_version.empty());  // never together with continue

  fsm.list_page_received({item("c", "12")}, "90", "");
  CHECK(drain(fsm) == std::vector<std::string>{"init_apply:c", "init_done"});
  CHECK(fsm.initial_state_complete());

  auto watch = fsm.action();
  REQUIRE(watch.kind == Action::open_watch);
  CHECK(watch.params.resource_version == "90");
  CHECK(watch.params.allow_watch_bookmarks);
  CHECK_FALSE(watch.params.send_initial_events);
  REQUIRE(watch.params.timeout_seconds);
  CHECK(*watch.params.timeout_seconds >= 290);
  CHECK(*watch.params.timeout_seconds <= 300);
  CHECK(fsm.restarts() == 1);
}

TEST_CASE("watch events become apply and delete and move the resourceVersion", "[watcher]") {
  Fsm fsm(deterministic());
  TestClock clock;
  list_and_watch(fsm, clock, {item("a", "10")}, "90");
  drain(fsm);
  fsm.event_received(kopp::WatchEventType::added, item("b", "91"), "91", std::nullopt, false, clock.now);
  fsm.event_received(kopp::WatchEventType::modified, item("a", "92"), "92", std::nullopt, false, clock.now);
  fsm.event_received(kopp::WatchEventType::deleted, item("b", "93"), "93", std::nullopt, false, clock.now);
  CHECK(drain(fsm) == std::vector<std::string>{"apply:b", "apply:a", "delete:b"});
  CHECK(fsm.resource_version() == "93");
  CHECK(fsm.action().kind == Action::read_event);
}

TEST_CASE("after a dropped stream the watch resumes from the last bookmark's version", "[watcher]") {
  Fsm fsm(deterministic());
  TestClock clock;
  list_and_watch(fsm, clock, {}, "90");
  fsm.event_received(kopp::WatchEventType::added, item("a", "95"), "95", std::nullopt, false, clock.now);
  fsm.event_received(kopp::WatchEventType::bookmark, {}, "150", std::nullopt, false, clock.now);
  CHECK(drain(fsm) == std::vector<std::string>{"init", "init_done", "apply:a"});  // bookmarks emit nothing
  CHECK(fsm.resource_version() == "150");

  fsm.failed(kopp::make_error_code(kopp::errc::watch_stream_truncated), "connection lost");
  auto pause = fsm.action();
  REQUIRE(pause.kind == Action::sleep);
  CHECK(pause.delay == 200ms);
  fsm.slept();
  auto resume = fsm.action();
  REQUIRE(resume.kind == Action::open_watch);
  CHECK(resume.params.resource_version == "150");  // no relist
  CHECK(drain(fsm).empty());
  CHECK(fsm.restarts() == 1);
}

TEST_CASE("a watch the server ends on its timeout is reopened at once from the last version", "[watcher]") {
  Fsm fsm(deterministic());
  TestClock clock;
  list_and_watch(fsm, clock, {}, "90");
  fsm.event_received(kopp::WatchEventType::bookmark, {}, "120", std::nullopt, false, clock.advance(60s));
  fsm.watch_ended(clock.advance(240s));
  auto next = fsm.action();
  REQUIRE(next.kind == Action::open_watch);  // no sleep: a timeout is not a failure
  CHECK(next.params.resource_version == "120");
  CHECK(fsm.consecutive_failures() == 0);
}

TEST_CASE("410 Gone relists and the restart replaces everything", "[watcher]") {
  Fsm fsm(deterministic());
  TestClock clock;
  list_and_watch(fsm, clock, {item("a", "10"), item("b", "11")}, "90");
  drain(fsm);

  // Either way the resourceVersion is forgotten: resuming from it would get 410 again.
  SECTION("as an ERROR event") {
    fsm.event_received(kopp::WatchEventType::error, {}, "", gone_status(), false, clock.now);
    CHECK(fsm.resource_version().empty());
  }
  SECTION("as a failed request") {
    fsm.failed(kopp::make_error_code(kopp::errc::gone), "410");
    CHECK(fsm.resource_version().empty());
  }
  // The relist starts at once: the server answered, it only forgot the version.
  auto relist = fsm.action();
  REQUIRE(relist.kind == Action::list_page);
  CHECK(relist.params.resource_version.empty());
  CHECK(relist.params.continue_token.empty());

  // "b" was deleted while we could not watch: it is simply absent from the restart.
  fsm.list_page_received({item("a", "10")}, "200", "");
  CHECK(drain(fsm) == std::vector<std::string>{"init", "init_apply:a", "init_done"});
  CHECK(fsm.restarts() == 2);
  REQUIRE(fsm.action().kind == Action::open_watch);
  CHECK(fsm.action().params.resource_version == "200");
}

TEST_CASE("other ERROR events resume from the last version after a backoff", "[watcher]") {
  Fsm fsm(deterministic());
  TestClock clock;
  list_and_watch(fsm, clock, {}, "90");
  kopp::Status status;
  status.code = 500;
  status.reason = "InternalError";
  fsm.event_received(kopp::WatchEventType::error, {}, "", status, false, clock.now);
  REQUIRE(fsm.action().kind == Action::sleep);
  fsm.slept();
  REQUIRE(fsm.action().kind == Action::open_watch);
  CHECK(fsm.action().params.resource_version == "90");
  CHECK(fsm.last_error().find("500") != std::string::npos);
}

TEST_CASE("a failed list page is retried with the same continue token", "[watcher]") {
  Fsm fsm(deterministic());
  fsm.list_page_received({item("a", "1")}, "90", "token-1");
  drain(fsm);
  fsm.failed(kopp::make_error_code(kopp::errc::server_error), "503");
  fsm.slept();
  REQUIRE(fsm.action().kind == Action::list_page);
  CHECK(fsm.action().params.continue_token == "token-1");
  CHECK(fsm.action().params.page_size == 500);
}

TEST_CASE("an expired continue token falls back to one unpaginated list at once, as client-go's pager does",
          "[watcher]") {
  Fsm fsm(deterministic());
  TestClock clock;
  fsm.list_page_received({item("a", "1")}, "90", "token-1");
  drain(fsm);
  fsm.failed(kopp::make_error_code(kopp::errc::gone), "continue token expired");
  // No sleep, no paginated restart: everything in one response.
  auto full = fsm.action();
  REQUIRE(full.kind == Action::list_page);
  CHECK(full.params.continue_token.empty());
  CHECK(full.params.page_size == 0);
  CHECK(full.params.resource_version.empty());
  fsm.list_page_received({item("b", "2"), item("c", "3")}, "95", "");
  // A new init tells the consumer to drop the partial restart (which had "a").
  CHECK(drain(fsm) == std::vector<std::string>{"init", "init_apply:b", "init_apply:c", "init_done"});
  REQUIRE(fsm.action().kind == Action::open_watch);
  CHECK(fsm.action().params.resource_version == "95");

  // The fallback was for that restart only: the next relist paginates again.
  fsm.watch_opened(clock.now);
  fsm.event_received(kopp::WatchEventType::error, {}, "", gone_status(), false, clock.now);
  REQUIRE(fsm.action().kind == Action::list_page);
  CHECK(fsm.action().params.page_size == 500);
}

TEST_CASE("an event without a resourceVersion keeps the last version to resume from", "[watcher]") {
  Fsm fsm(deterministic());
  TestClock clock;
  list_and_watch(fsm, clock, {}, "90");
  fsm.event_received(kopp::WatchEventType::added, item("a", "95"), "95", std::nullopt, false, clock.now);
  fsm.event_received(kopp::WatchEventType::modified, item("a", ""), "", std::nullopt, false, clock.now);
  CHECK(fsm.resource_version() == "95");
  fsm.event_received(kopp::WatchEventType::deleted, item("a", ""), "", std::nullopt, false, clock.now);
  CHECK(fsm.resource_version() == "95");
  fsm.event_received(kopp::WatchEventType::bookmark, {}, "", std::nullopt, false, clock.now);
  CHECK(fsm.resource_version() == "95");
  CHECK(drain(fsm) == std::vector<std::string>{"init", "init_done", "apply:a", "apply:a", "delete:a"});
  fsm.failed(kopp::make_error_code(kopp::errc::watch_stream_truncated), "dropped");
  fsm.slept();
  REQUIRE(fsm.action().kind == Action::open_watch);
  CHECK(fsm.action().params.resource_version == "95");  // not "" (= now, missing what happened)
}

TEST_CASE("after a streak of 401/403/404 watch failures, the 410 that follows relists at once", "[watcher]") {
  // Without the relist after 3 failures at one version (tested below), to see the 410 alone.
  auto config = deterministic();
  config.relist_after_failures = 0;
  Fsm fsm(config);
  TestClock clock;
  list_and_watch(fsm, clock, {}, "90");
  drain(fsm);
  const kopp::errc streak[] = {kopp::errc::unauthorized, kopp::errc::forbidden, kopp::errc::not_found,
                               kopp::errc::forbidden,    kopp::errc::forbidden, kopp::errc::forbidden,
                               kopp::errc::forbidden};
  for (auto e : streak) {
    fsm.failed(kopp::make_error_code(e), "refused");
    REQUIRE(fsm.action().kind == Action::sleep);
    fsm.slept();
    REQUIRE(fsm.action().kind == Action::open_watch);
  }
  // The RBAC fix comes; meanwhile version 90 was compacted away.
  fsm.failed(kopp::make_error_code(kopp::errc::gone), "410");
  auto relist = fsm.action();
  REQUIRE(relist.kind == Action::list_page);  // no 15-30 s pause first
  fsm.list_page_received({item("a", "300")}, "300", "");
  CHECK(drain(fsm) == std::vector<std::string>{"init", "init_apply:a", "init_done"});
  REQUIRE(fsm.action().kind == Action::open_watch);
  fsm.watch_opened(clock.now);

  // The backoff started over: a failure now pauses the initial 200 ms ...
  fsm.failed(kopp::make_error_code(kopp::errc::watch_stream_truncated), "dropped");
  CHECK(fsm.action().delay == 200ms);
  fsm.slept();
  fsm.watch_opened(clock.now);
  // ... and a 410 right after a relist is no reason to hurry: a second one in a row sleeps.
  fsm.failed(kopp::make_error_code(kopp::errc::gone), "410");
  REQUIRE(fsm.action().kind == Action::list_page);
  fsm.list_page_received({}, "301", "");
  fsm.watch_opened(clock.now);
  fsm.failed(kopp::make_error_code(kopp::errc::gone), "410");
  REQUIRE(fsm.action().kind == Action::sleep);
  CHECK(fsm.action().delay >= 200ms);
}

TEST_CASE("a watch failing 3 times in a row at the same resourceVersion is given up for a relist", "[watcher]") {
  Fsm fsm(deterministic());
  TestClock clock;
  list_and_watch(fsm, clock, {item("a", "10")}, "90");
  fsm.event_received(kopp::WatchEventType::added, item("b", "95"), "95", std::nullopt, false, clock.now);
  drain(fsm);
  // A line the client cannot read sits right after version 95: every resume breaks on it.
  for (int i = 0; i < 2; ++i) {
    fsm.failed(kopp::make_error_code(kopp::errc::watch_frame_malformed), "garbage");
    REQUIRE(fsm.action().kind == Action::sleep);
    fsm.slept();
    REQUIRE(fsm.action().kind == Action::open_watch);
    CHECK(fsm.action().params.resource_version == "95");
    fsm.watch_opened(clock.now);
  }
  fsm.failed(kopp::make_error_code(kopp::errc::watch_frame_malformed), "garbage");
  REQUIRE(fsm.action().kind == Action::sleep);
  fsm.slept();
  REQUIRE(fsm.action().kind == Action::list_page);
  CHECK(fsm.last_error().find("resourceVersion 95") != std::string::npos);
  fsm.list_page_received({item("a", "10"), item("b", "95")}, "120", "");
  CHECK(drain(fsm) == std::vector<std::string>{"init", "init_apply:a", "init_apply:b", "init_done"});
  CHECK(fsm.restarts() == 2);
}

TEST_CASE("failures at different resourceVersions do not add up to a relist", "[watcher]") {
  Fsm fsm(deterministic());
  TestClock clock;
  list_and_watch(fsm, clock, {}, "90");
  for (int rv = 100; rv < 110; ++rv) {
    fsm.event_received(kopp::WatchEventType::bookmark, {}, std::to_string(rv), std::nullopt, false, clock.now);
    fsm.failed(kopp::make_error_code(kopp::errc::watch_stream_truncated), "dropped");
    fsm.slept();
    REQUIRE(fsm.action().kind == Action::open_watch);
    fsm.watch_opened(clock.now);
  }
  CHECK(fsm.restarts() == 1);
}

TEST_CASE("a skipped event is a healthy watch and moves the resourceVersion past it", "[watcher]") {
  Fsm fsm(deterministic());
  TestClock clock;
  list_and_watch(fsm, clock, {}, "90");
  drain(fsm);
  fsm.failed(kopp::make_error_code(kopp::errc::watch_stream_truncated), "dropped");
  fsm.slept();
  fsm.watch_opened(clock.now);
  fsm.event_skipped("97", clock.now);
  CHECK(fsm.resource_version() == "97");
  CHECK(fsm.consecutive_failures() == 0);
  CHECK(drain(fsm).empty());
  CHECK(fsm.action().kind == Action::read_event);
}

TEST_CASE("backoff grows with consecutive failures and resets once a watch is healthy", "[watcher]") {
  Fsm fsm(deterministic());
  TestClock clock;
  std::vector<std::chrono::milliseconds> delays;
  for (int i = 0; i < 9; ++i) {
    fsm.failed(kopp::make_error_code(kopp::errc::server_error), "503");
    REQUIRE(fsm.action().kind == Action::sleep);
    delays.push_back(fsm.action().delay);
    fsm.slept();
  }
  CHECK(delays ==
        std::vector<std::chrono::milliseconds>{200ms, 400ms, 800ms, 1600ms, 3200ms, 6400ms, 12800ms, 25600ms, 30000ms});

  // A successful list alone is not health: a server that then refuses every watch must
  // still see longer and longer pauses.
  list_and_watch(fsm, clock, {}, "90");
  fsm.failed(kopp::make_error_code(kopp::errc::forbidden), "403");
  CHECK(fsm.action().delay == 30000ms);
  fsm.slept();
  fsm.watch_opened(clock.now);
  fsm.event_received(kopp::WatchEventType::bookmark, {}, "91", std::nullopt, false, clock.now);
  CHECK(fsm.consecutive_failures() == 0);
  fsm.failed(kopp::make_error_code(kopp::errc::watch_stream_truncated), "dropped");
  CHECK(fsm.action().delay == 200ms);  // reset by the healthy watch
}

TEST_CASE("no busy loop: every failure and every instant empty watch pauses", "[watcher]") {
  kopp::WatcherConfig config;  // default jitter
  Fsm fsm(config, 42);
  TestClock clock;
  list_and_watch(fsm, clock, {}, "90");

  // A watch that ends at once without any event, over and over (a broken proxy).
  std::chrono::milliseconds total{0};
  for (int i = 0; i < 20; ++i) {
    fsm.watch_ended(clock.advance(5ms));
    auto action = fsm.action();
    REQUIRE(action.kind == Action::sleep);
    CHECK(action.delay >= 100ms);  // initial 200 ms with at most 50 % jitter
    total += action.delay;
    fsm.slept();
    REQUIRE(fsm.action().kind == Action::open_watch);
    fsm.watch_opened(clock.now);
  }
  CHECK(total > 60s);  // it backed off towards the 30 s cap

  // Random failures of every kind: each one is followed by a sleep of at least 100 ms,
  // except a first 410, which is followed by one list request at once.
  const kopp::errc kinds[] = {kopp::errc::gone,      kopp::errc::server_error,           kopp::errc::gone,
                              kopp::errc::forbidden, kopp::errc::watch_stream_truncated, kopp::errc::timeout};
  int requests_without_sleep = 0;
  for (int i = 0; i < 60; ++i) {
    fsm.failed(kopp::make_error_code(kinds[i % 6]), "x");
    if (fsm.action().kind != Action::sleep) {
      CHECK(kinds[i % 6] == kopp::errc::gone);
      CHECK(fsm.action().kind == Action::list_page);
      CHECK(++requests_without_sleep == 1);  // never two requests in a row without a pause
      continue;
    }
    requests_without_sleep = 0;
    CHECK(fsm.action().delay >= 100ms);
    fsm.slept();
  }
}

TEST_CASE("streaming list: initial events until the end bookmark, then an ordinary watch", "[watcher]") {
  kopp::WatcherConfig config = deterministic();
  config.streaming_list();
  Fsm fsm(config);
  TestClock clock;
  auto open = fsm.action();
  REQUIRE(open.kind == Action::open_watch);
  CHECK(open.params.send_initial_events);
  CHECK(open.params.resource_version.empty());
  fsm.watch_opened(clock.now);
  fsm.event_received(kopp::WatchEventType::added, item("a", "10"), "10", std::nullopt, false, clock.now);
  fsm.event_received(kopp::WatchEventType::bookmark, {}, "50", std::nullopt, false, clock.now);  // progress only
  fsm.event_received(kopp::WatchEventType::added, item("b", "11"), "11", std::nullopt, false, clock.now);
  CHECK_FALSE(fsm.initial_state_complete());
  fsm.event_received(kopp::WatchEventType::bookmark, {}, "90", std::nullopt, true, clock.now);
  CHECK(drain(fsm) == std::vector<std::string>{"init", "init_apply:a", "init_apply:b", "init_done"});
  CHECK(fsm.resource_version() == "90");

  fsm.failed(kopp::make_error_code(kopp::errc::watch_stream_truncated), "dropped");
  fsm.slept();
  auto resume = fsm.action();
  REQUIRE(resume.kind == Action::open_watch);
  CHECK_FALSE(resume.params.send_initial_events);
  CHECK(resume.params.resource_version == "90");
}

TEST_CASE("streaming list: a stream broken before the end bookmark restarts it", "[watcher]") {
  kopp::WatcherConfig config = deterministic();
  config.streaming_list();
  Fsm fsm(config);
  TestClock clock;
  fsm.watch_opened(clock.now);
  fsm.event_received(kopp::WatchEventType::added, item("a", "10"), "10", std::nullopt, false, clock.now);
  fsm.failed(kopp::make_error_code(kopp::errc::watch_stream_truncated), "dropped");
  fsm.slept();
  REQUIRE(fsm.action().kind == Action::open_watch);
  CHECK(fsm.action().params.send_initial_events);
  fsm.watch_opened(clock.now);
  CHECK(drain(fsm) == std::vector<std::string>{"init", "init_apply:a", "init"});
}

TEST_CASE("streaming list refused by the server falls back to paginated lists", "[watcher]") {
  kopp::WatcherConfig config = deterministic();
  config.streaming_list();
  Fsm fsm(config);
  fsm.failed(kopp::make_error_code(kopp::errc::invalid), "sendInitialEvents is not supported");
  CHECK_FALSE(fsm.streaming());
  fsm.slept();
  CHECK(fsm.action().kind == Action::list_page);
}
