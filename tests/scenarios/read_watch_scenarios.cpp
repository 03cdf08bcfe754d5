// Reads: selectors, paging, watches from a resourceVersion, selector transitions, initial
// events and what compaction does to old resourceVersions.
#include "scenarios/scenario.hpp"

using namespace scenario;

namespace {

std::vector<std::string> names_in(const object& list) {
  std::vector<std::string> names;
  for (const auto& item : list.at("items").as_array()) names.push_back(at(item, {"metadata", "name"}));
  return names;
}

/// Four ConfigMaps a..d labelled set=four, a and b tier=front, c and d tier=back; d also has
/// "extra".
void four_config_maps(Scenario& s) {
  s.run([&]() -> awaitable<void> {
    auto api = s.api(config_maps);
    for (const char* name : {"a", "b", "c", "d"}) {
      object labels = json(name[0] < 'c' ? R"({"tier":"front"})" : R"({"tier":"back"})");
      labels["set"] = "four";
      if (name[0] == 'd') labels["extra"] = "1";
      co_await api.create(config_map(name, "v", labels));
    }
  });
}

/// The next `count` events of a watch, as "TYPE name".
awaitable<std::vector<std::string>> next_events(kopp::RawWatchStream& watch, std::size_t count) {
  std::vector<std::string> seen;
  while (seen.size() < count) {
    auto event = co_await watch.next();
    if (!event) break;
    const std::string type(kopp::to_string(event->type));
    std::string name = at(event->object, {"metadata", "name"});
    if (type == "ERROR") name = at(event->object, {"code"}) + " " + at(event->object, {"reason"});
    if (type == "BOOKMARK") name = at(event->object, {"metadata", "annotations"});
    seen.push_back(type + " " + name);
  }
  co_return seen;
}

}  // namespace

TEST_CASE("label selectors: =, !=, in, notin, exists and !exists", "[scenario]") {
  Scenario s("sc-labels");
  four_config_maps(s);
  auto select = [&](const char* selector) {
    return s.run([&]() -> awaitable<std::vector<std::string>> {
      co_return names_in(co_await s.api(config_maps).list(kopp::ListParams().labels(selector)));
    });
  };
  CHECK(select("tier=front") == std::vector<std::string>{"a", "b"});
  // != and notin also select objects without the label (e). "set=four" keeps out the
  // ConfigMap kube-root-ca.crt that the real cluster's controller adds to every namespace.
  s.run([&]() -> awaitable<void> {
    co_await s.api(config_maps).create(config_map("e", "v", json(R"({"set":"four"})")));
  });
  CHECK(select("set=four,tier!=front") == std::vector<std::string>{"c", "d", "e"});
  CHECK(select("tier in (back)") == std::vector<std::string>{"c", "d"});
  CHECK(select("set=four,tier notin (back)") == std::vector<std::string>{"a", "b", "e"});
  CHECK(select("extra") == std::vector<std::string>{"d"});
  CHECK(select("tier,!extra") == std::vector<std::string>{"a", "b", "c"});
}

TEST_CASE("a field selector on metadata.name selects one object", "[scenario]") {
  Scenario s("sc-fields");
  four_config_maps(s);
  const auto names = s.run([&]() -> awaitable<std::vector<std::string>> {
    co_return names_in(co_await s.api(config_maps).list(kopp::ListParams().fields("metadata.name=c")));
  });
  CHECK(names == std::vector<std::string>{"c"});
}

TEST_CASE("a field selector on an unsupported field is 400", "[scenario]") {
  Scenario s("sc-badfield");
  const auto refused = s.failure_of(
      [&]() -> awaitable<void> { co_await s.api(config_maps).list(kopp::ListParams().fields("spec.size=1")); });
  CHECK(refused.status == 400);
  CHECK(refused.reason == "BadRequest");
  CHECK(refused.message == R"("spec.size" is not a known field selector: only "metadata.name", "metadata.namespace")");
}

TEST_CASE("a list pages with limit and continue, and carries a resourceVersion", "[scenario]") {
  Scenario s("sc-paging");
  four_config_maps(s);
  const auto [first, rest, version] =
      s.run([&]() -> awaitable<std::tuple<std::vector<std::string>, std::vector<std::string>, std::string>> {
        auto api = s.api(config_maps);
        const auto selection = kopp::ListParams().labels("tier").limit(3);
        const object page = co_await api.list_page(selection);
        auto next = selection;
        next.continue_from(at(page, {"metadata", "continue"}));
        const object second = co_await api.list_page(next);
        co_return std::tuple{names_in(page), names_in(second), at(page, {"metadata", "resourceVersion"})};
      });
  CHECK(first == std::vector<std::string>{"a", "b", "c"});
  CHECK(rest == std::vector<std::string>{"d"});
  CHECK(std::stoull(version) > 0);
}

TEST_CASE("a watch from a resourceVersion sees exactly the later changes, in order", "[scenario]") {
  Scenario s("sc-watch");
  const auto events = s.run([&]() -> awaitable<std::vector<std::string>> {
    auto api = s.api(config_maps);
    // The label keeps out kube-root-ca.crt, which the real cluster adds to a new namespace
    // at about this time.
    const object a = co_await api.create(config_map("a", "v", json(R"({"mine":"yes"})")));
    co_await api.create(config_map("b", "v", json(R"({"mine":"yes"})")));
    co_await api.patch("a", merge(R"({"data":{"k":"changed"}})"));
    co_await api.delete_("b");
    const std::string created_at = at(a, {"metadata", "resourceVersion"});
    const kopp::ListParams from_a = kopp::ListParams().labels("mine").at_version(created_at).bookmarks(false);
    auto watch = co_await api.watch(from_a);
    auto seen = co_await next_events(watch, 3);
    watch.close();
    co_return seen;
  });
  CHECK(events == std::vector<std::string>{"ADDED b", "MODIFIED a", "DELETED b"});
}

TEST_CASE("a watch with a label selector sees an object leave and come back", "[scenario]") {
  Scenario s("sc-watchselector");
  const auto events = s.run([&]() -> awaitable<std::vector<std::string>> {
    auto api = s.api(config_maps);
    const object a = co_await api.create(config_map("a", "v", json(R"({"on":"yes"})")));
    const std::string created_at = at(a, {"metadata", "resourceVersion"});
    const kopp::ListParams selected = kopp::ListParams().labels("on=yes").at_version(created_at).bookmarks(false);
    auto watch = co_await api.watch(selected);
    co_await api.patch("a", merge(R"({"metadata":{"labels":{"on":"no"}}})"));
    co_await api.patch("a", merge(R"({"metadata":{"labels":{"on":"yes"}}})"));
    auto seen = co_await next_events(watch, 2);
    watch.close();
    co_return seen;
  });
  CHECK(events == std::vector<std::string>{"DELETED a", "ADDED a"});
}

TEST_CASE("metadata-only reads answer PartialObjectMetadata: get, list and watch", "[scenario]") {
  Scenario s("sc-metadataonly");
  const auto seen = s.run([&]() -> awaitable<std::vector<std::string>> {
    kopp::DynamicApi metadata = s.api(config_maps).metadata_only();
    const object a = co_await s.api(config_maps).create(config_map("a", "v", json(R"({"mine":"yes"})")));
    const object one = co_await metadata.get("a");
    const object list = co_await metadata.list(kopp::ListParams().labels("mine"));
    const std::string created_at = at(a, {"metadata", "resourceVersion"});
    const kopp::ListParams from_a = kopp::ListParams().labels("mine").at_version(created_at).bookmarks(false);
    auto watch = co_await metadata.watch(from_a);
    co_await s.api(config_maps).patch("a", merge(R"({"data":{"k":"changed"}})"));
    auto event = co_await watch.next();
    watch.close();
    const object& item = list.at("items").at(0).as_object();
    co_return std::vector<std::string>{
        at(one, {"kind"}) + " " + at(one, {"apiVersion"}) + " " + at(one, {"metadata", "name"}) + " " +
            at(one, {"data"}) + " " + at(one, {"metadata", "labels", "mine"}),
        at(list, {"kind"}) + " " + at(list, {"apiVersion"}) + " " + std::to_string(list.at("items").as_array().size()),
        at(item, {"kind"}) + " " + at(item, {"metadata", "name"}) + " " + at(item, {"data"}),
        event ? std::string(kopp::to_string(event->type)) + " " + at(event->object, {"kind"}) + " " +
                    at(event->object, {"data"})
              : std::string("no event")};
  });
  CHECK(seen == std::vector<std::string>{"PartialObjectMetadata meta.k8s.io/v1 a <missing> yes",
                                         "PartialObjectMetadataList meta.k8s.io/v1 1",
                                         "PartialObjectMetadata a <missing>",
                                         "MODIFIED PartialObjectMetadata <missing>"});
}

TEST_CASE("a watch without a resourceVersion starts with the current objects", "[scenario]") {
  Scenario s("sc-watchnow");
  const auto events = s.run([&]() -> awaitable<std::vector<std::string>> {
    auto api = s.api(config_maps);
    co_await api.create(config_map("a", "v", json(R"({"mine":"yes"})")));
    auto watch = co_await api.watch(kopp::ListParams().labels("mine").bookmarks(false));
    co_await api.create(config_map("b", "v", json(R"({"mine":"yes"})")));
    auto seen = co_await next_events(watch, 2);
    watch.close();
    co_return seen;
  });
  CHECK(events == std::vector<std::string>{"ADDED a", "ADDED b"});
}

TEST_CASE("initial events end with a bookmark marked initial-events-end", "[scenario]") {
  Scenario s("sc-initialevents");
  const auto events = s.run([&]() -> awaitable<std::vector<std::string>> {
    auto api = s.api(config_maps);
    co_await api.create(config_map("a", "v", json(R"({"mine":"yes"})")));
    auto watch = co_await api.watch(kopp::ListParams().labels("mine").initial_events().bookmarks(true));
    auto seen = co_await next_events(watch, 2);
    watch.close();
    co_return seen;
  });
  CHECK(events == std::vector<std::string>{"ADDED a", R"(BOOKMARK {"k8s.io/initial-events-end":"true"})"});
}

TEST_CASE("a watch from a compacted resourceVersion gets 410 Expired", "[scenario][compact]") {
  Scenario s("sc-watchexpired");
  const std::string old_version = s.run([&]() -> awaitable<std::string> {
    auto api = s.api(config_maps);
    const object a = co_await api.create(config_map("a"));
    co_await api.patch("a", merge(R"({"data":{"k":"1"}})"));
    co_await api.patch("a", merge(R"({"data":{"k":"2"}})"));
    co_return at(a, {"metadata", "resourceVersion"});
  });
  s.compact();
  const auto events = s.run([&]() -> awaitable<std::vector<std::string>> {
    auto watch = co_await s.api(config_maps).watch(kopp::ListParams().at_version(old_version).bookmarks(false));
    auto seen = co_await next_events(watch, 1);
    watch.close();
    co_return seen;
  });
  CHECK(events == std::vector<std::string>{"ERROR 410 Expired"});
}

TEST_CASE("a continue token from before a compaction is 410 Expired", "[scenario][compact]") {
  Scenario s("sc-continueexpired");
  four_config_maps(s);
  const std::string token = s.run([&]() -> awaitable<std::string> {
    const kopp::ListParams first_page = kopp::ListParams().labels("tier").limit(2);
    const object page = co_await s.api(config_maps).list_page(first_page);
    co_return at(page, {"metadata", "continue"});
  });
  s.run([&]() -> awaitable<void> { co_await s.api(config_maps).patch("a", merge(R"({"data":{"k":"after"}})")); });
  s.compact();
  const auto expired = s.failure_of([&]() -> awaitable<void> {
    co_await s.api(config_maps).list_page(kopp::ListParams().labels("tier").limit(2).continue_from(token));
  });
  CHECK(expired.status == 410);
  CHECK(expired.reason == "Expired");
}
