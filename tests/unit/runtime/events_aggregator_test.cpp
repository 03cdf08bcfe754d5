// EventAggregator with a fake clock, and the naming / truncation rules of events.

#include <kopp/runtime/manager/events.hpp>

#include "support/test_types.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

using namespace std::chrono_literals;
using kopp::EventAggregator;
using action = EventAggregator::action;

namespace {

struct FakeClock {
  std::chrono::steady_clock::time_point mono{std::chrono::hours(1000)};
  std::chrono::system_clock::time_point wall{std::chrono::sys_days{std::chrono::year{2026} / 3 / 1}};
  void advance(std::chrono::milliseconds d) {
    mono += d;
    wall += d;
  }
};

EventAggregator::Decision record(EventAggregator& agg, const std::string& key, FakeClock& clock) {
  return agg.record(key, clock.mono, clock.wall);
}

}  // namespace

TEST_CASE("event aggregator: the first occurrence creates, repeats are counted until created", "[events_aggregator]") {
  FakeClock clock;
  EventAggregator agg;
  const auto first = record(agg, "a", clock);
  REQUIRE(first.what == action::create);
  CHECK(first.count == 1);
  // The create is still in flight: repeats are only counted.
  for (int i = 0; i < 99; ++i) {
    clock.advance(10ms);
    CHECK(record(agg, "a", clock).what == action::none);
  }
  CHECK(agg.size() == 1);
  CHECK(agg.writing());
  agg.created(first.series_id, "ns", "cm.0000000000000001", 1);
  CHECK_FALSE(agg.writing());
  CHECK(agg.pending());

  // Throttled: nothing is due before the flush interval since the create.
  CHECK(agg.due(clock.mono, false).empty());
  REQUIRE(agg.next_due() == clock.mono - 990ms + 30s);

  // flush (forced) writes the whole count at once.
  const auto flushed = agg.due(clock.mono, true);
  REQUIRE(flushed.size() == 1);
  CHECK(flushed[0].what == action::update);
  CHECK(flushed[0].count == 100);
  CHECK(flushed[0].event_name == "cm.0000000000000001");
  CHECK(flushed[0].event_namespace == "ns");
  CHECK(flushed[0].last_observed == kopp::MicroTime(clock.wall));
  agg.updated(flushed[0].series_id, 100);
  CHECK_FALSE(agg.pending());
  CHECK_FALSE(agg.next_due());
}

TEST_CASE("event aggregator: at most one series write per flush interval", "[events_aggregator]") {
  FakeClock clock;
  EventAggregator agg;
  const auto first = record(agg, "a", clock);
  agg.created(first.series_id, "ns", "x.1", 1);

  clock.advance(1s);
  CHECK(record(agg, "a", clock).what == action::none);  // 1 s after the create
  clock.advance(29s);
  const auto update = record(agg, "a", clock);  // 30 s after the create: due
  REQUIRE(update.what == action::update);
  CHECK(update.count == 3);
  // While that write is in flight, and for 30 s after it, repeats are only counted.
  CHECK(record(agg, "a", clock).what == action::none);
  agg.updated(update.series_id, 3);
  clock.advance(29s);
  CHECK(record(agg, "a", clock).what == action::none);
  CHECK(agg.due(clock.mono, false).empty());
  clock.advance(1s);
  const auto due = agg.due(clock.mono, false);  // the background flush
  REQUIRE(due.size() == 1);
  CHECK(due[0].count == 5);
}

TEST_CASE("event aggregator: different keys are different series", "[events_aggregator]") {
  FakeClock clock;
  EventAggregator agg;
  CHECK(record(agg, "a", clock).what == action::create);
  CHECK(record(agg, "b", clock).what == action::create);
  CHECK(agg.size() == 2);
}

TEST_CASE("event aggregator: a repeat after the window starts a new event", "[events_aggregator]") {
  FakeClock clock;
  EventAggregator agg;
  const auto first = record(agg, "a", clock);
  agg.created(first.series_id, "ns", "x.1", 1);
  clock.advance(5min);
  const auto mid = record(agg, "a", clock);  // within 6 min of the last one: same series
  CHECK(mid.what == action::update);
  CHECK(mid.series_id == first.series_id);
  agg.updated(mid.series_id, mid.count);
  clock.advance(6min);
  const auto again = record(agg, "a", clock);
  CHECK(again.what == action::create);
  CHECK(again.series_id != first.series_id);
  CHECK(again.count == 1);
  // A late answer for the old series is ignored.
  agg.updated(first.series_id, 7);
  CHECK(agg.size() == 1);
}

TEST_CASE("event aggregator: a failed create is retried by the next occurrence", "[events_aggregator]") {
  FakeClock clock;
  EventAggregator agg;
  const auto first = record(agg, "a", clock);
  agg.create_failed(first.series_id);
  CHECK(agg.size() == 0);
  CHECK(record(agg, "a", clock).what == action::create);
}

TEST_CASE("event aggregator: a failed update is retried; a deleted event is forgotten", "[events_aggregator]") {
  FakeClock clock;
  EventAggregator agg;
  const auto first = record(agg, "a", clock);
  agg.created(first.series_id, "ns", "x.1", 1);
  clock.advance(31s);
  const auto update = record(agg, "a", clock);
  REQUIRE(update.what == action::update);
  agg.update_failed(update.series_id, false);
  CHECK(agg.pending());
  CHECK(agg.due(clock.mono, false).empty());  // not before the interval
  clock.advance(30s);
  const auto retry = agg.due(clock.mono, false);
  REQUIRE(retry.size() == 1);
  CHECK(retry[0].count == 2);
  agg.update_failed(retry[0].series_id, true);  // 404: the event expired
  CHECK(agg.size() == 0);
  CHECK(record(agg, "a", clock).what == action::create);
}

TEST_CASE("event aggregator: memory is bounded by max_series", "[events_aggregator]") {
  FakeClock clock;
  EventAggregator::Options options;
  options.max_series = 3;
  EventAggregator agg(options);
  for (int i = 0; i < 10; ++i) {
    clock.advance(1s);
    CHECK(record(agg, "k" + std::to_string(i), clock).what == action::create);
  }
  CHECK(agg.size() == 3);
  // The most recent ones survived: k9 is still a series.
  CHECK(record(agg, "k9", clock).what == action::none);
}

TEST_CASE("events: notes are cut to 1 KiB on a UTF-8 boundary", "[events_aggregator]") {
  CHECK(kopp::truncate_utf8("short", 1024) == "short");
  const std::string ascii(2000, 'x');
  CHECK(kopp::truncate_utf8(ascii, 1024).size() == 1024);
  std::string utf8(1023, 'x');
  utf8 += "\xC3\xA9tail";  // é straddles byte 1024
  const std::string cut = kopp::truncate_utf8(utf8, 1024);
  CHECK(cut.size() == 1023);
  CHECK(cut == std::string(1023, 'x'));
}

TEST_CASE("events: event names are valid DNS subdomains with a hex suffix", "[events_aggregator]") {
  CHECK(kopp::event_name("web-config", 0x1234) == "web-config.0000000000001234");
  CHECK(kopp::event_name("system:controller:Job", 1) == "system-controller-job.0000000000000001");
  CHECK(kopp::event_name("", 1) == "event.0000000000000001");
  const std::string long_name(300, 'a');
  const std::string name = kopp::event_name(long_name, 0xffffffffffffffffULL);
  CHECK(name.size() == 253);
  CHECK(name.substr(name.size() - 17) == ".ffffffffffffffff");
}

TEST_CASE("events: object references name the object", "[events_aggregator]") {
  kopp_test::ConfigMap cm;
  cm.metadata.name = "settings";
  cm.metadata.namespace_ = "team-a";
  cm.metadata.uid = "0b5c";
  cm.metadata.resourceVersion = "42";
  const auto ref = kopp::make_object_reference(cm);
  CHECK(ref.apiVersion == "v1");
  CHECK(ref.kind == "ConfigMap");
  CHECK(ref.name == "settings");
  CHECK(ref.namespace_ == "team-a");
  CHECK(ref.uid == "0b5c");
  CHECK(ref.resourceVersion == "42");
  CHECK(kopp::to_string(kopp::EventType::warning) == "Warning");
  CHECK(kopp::to_string(kopp::EventType::normal) == "Normal");
}
