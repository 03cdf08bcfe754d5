// Store: keys, namespace and user indexes, selector listing, atomic replace.
#include "support/test_types.hpp"

#include <kopp/runtime/cache/store.hpp>

#include <catch2/catch.hpp>

#include <thread>

using kopp_test::ConfigMap;

namespace {
std::shared_ptr<const ConfigMap> cm(std::string ns, std::string name, std::string rv = "1",
                                    std::map<std::string, std::string> labels = {}, std::string owner = {}) {
  auto object = std::make_shared<ConfigMap>();
  object->metadata.namespace_ = std::move(ns);
  object->metadata.name = std::move(name);
  object->metadata.resourceVersion = std::move(rv);
  object->metadata.labels = std::move(labels);
  if (!owner.empty()) {
    kopp::OwnerReference ref;
    ref.uid = owner;
    ref.name = "owner-" + owner;
    object->metadata.ownerReferences.push_back(ref);
  }
  return object;
}

std::vector<std::string> names(const std::vector<std::shared_ptr<const ConfigMap>>& objects) {
  std::vector<std::string> out;
  for (const auto& o : objects) out.push_back(kopp::object_key(o->metadata));
  return out;
}

std::vector<std::string> owner_uids(const ConfigMap& c) {
  std::vector<std::string> out;
  for (const auto& ref : c.metadata.ownerReferences) out.push_back(ref.uid);
  return out;
}
}  // namespace

TEST_CASE("get returns the shared object, not a copy", "[store]") {
  kopp::Store<ConfigMap> store;
  auto object = cm("a", "x");
  CHECK(store.apply(object, 100) == nullptr);
  CHECK(store.get("a/x") == object);  // the same pointer: reads never deep-copy
  CHECK(store.get("a", "x") == object);
  CHECK(store.get("b/x") == nullptr);
  CHECK(store.size() == 1);
  CHECK(store.approximate_bytes() == 100);
}

TEST_CASE("apply replaces and returns the previous object; remove returns it", "[store]") {
  kopp::Store<ConfigMap> store;
  auto v1 = cm("a", "x", "1");
  auto v2 = cm("a", "x", "2");
  store.apply(v1, 10);
  CHECK(store.apply(v2, 30) == v1);
  CHECK(store.get("a/x") == v2);
  CHECK(store.approximate_bytes() == 30);
  CHECK(v1->metadata.resourceVersion == "1");  // earlier snapshots are unchanged
  CHECK(store.remove("a/x") == v2);
  CHECK(store.remove("a/x") == nullptr);
  CHECK(store.size() == 0);
  CHECK(store.approximate_bytes() == 0);
}

TEST_CASE("cluster-scoped objects are keyed by name", "[store]") {
  kopp::Store<ConfigMap> store;
  store.apply(cm("", "global"));
  CHECK(store.get("global") != nullptr);
  CHECK(store.get("", "global") != nullptr);
  CHECK(store.list("").size() == 1);
}

TEST_CASE("an ObjectKey addresses the same objects as its text form", "[store]") {
  kopp::Store<ConfigMap> store;
  auto namespaced = cm("a", "x", "1");
  store.apply(namespaced, 12);
  store.apply(cm("", "global"));
  CHECK(store.get(kopp::ObjectKey("a", "x")) == namespaced);
  CHECK(store.get(kopp::ObjectKey("", "global")) != nullptr);
  CHECK(store.get(kopp::ObjectKey("b", "x")) == nullptr);
  CHECK(store.entry(kopp::ObjectKey("a", "x")).bytes == 12);
  CHECK(store.get(kopp::ObjectKey::parse(kopp::object_key(namespaced->metadata))) == namespaced);
  CHECK(store.remove(kopp::ObjectKey("a", "x")) == namespaced);
  CHECK(store.get("a/x") == nullptr);
}

TEST_CASE("list by namespace and by label selector", "[store]") {
  kopp::Store<ConfigMap> store;
  store.apply(cm("a", "web-1", "1", {{"app", "web"}}));
  store.apply(cm("a", "db-1", "1", {{"app", "db"}}));
  store.apply(cm("b", "web-2", "1", {{"app", "web"}, {"canary", "true"}}));
  CHECK(names(store.list()) == std::vector<std::string>{"a/db-1", "a/web-1", "b/web-2"});
  CHECK(names(store.list("a")) == std::vector<std::string>{"a/db-1", "a/web-1"});
  CHECK(names(store.list("c")).empty());
  CHECK(names(store.list(kopp::LabelSelector::parse("app=web"))) == std::vector<std::string>{"a/web-1", "b/web-2"});
  CHECK(names(store.list("b", kopp::LabelSelector::parse("app=web,!canary"))).empty());
  CHECK(names(store.list(kopp::LabelSelector::parse("app in (db)"))) == std::vector<std::string>{"a/db-1"});
  CHECK(store.index_values(kopp::Store<ConfigMap>::namespace_index) == std::vector<std::string>{"a", "b"});
}

TEST_CASE("the namespace index keeps namespaces that prefix each other apart", "[store]") {
  kopp::Store<ConfigMap> store;
  store.apply(cm("a", "x"));
  store.apply(cm("a-b", "y"));
  store.apply(cm("ab", "z"));
  store.apply(cm("", "a"));  // cluster-scoped, keyed "a"
  CHECK(names(store.list("a")) == std::vector<std::string>{"a/x"});
  CHECK(names(store.list("a-b")) == std::vector<std::string>{"a-b/y"});
  CHECK(names(store.by_index(kopp::Store<ConfigMap>::namespace_index, "ab")) == std::vector<std::string>{"ab/z"});
  CHECK(store.by_index(kopp::Store<ConfigMap>::namespace_index, "").empty());
  CHECK(store.has_index(kopp::Store<ConfigMap>::namespace_index));
  CHECK(store.index_values(kopp::Store<ConfigMap>::namespace_index) == std::vector<std::string>{"a", "a-b", "ab"});
  store.remove("a/x");
  CHECK(store.list("a").empty());
  CHECK(store.index_values(kopp::Store<ConfigMap>::namespace_index) == std::vector<std::string>{"a-b", "ab"});
}

TEST_CASE("user indexes follow adds, updates and removes", "[store]") {
  kopp::Store<ConfigMap> store;
  store.apply(cm("a", "before-index", "1", {}, "u1"));
  store.add_index("owner", owner_uids);  // indexes what is already there
  CHECK(names(store.by_index("owner", "u1")) == std::vector<std::string>{"a/before-index"});

  store.apply(cm("a", "x", "1", {}, "u1"));
  store.apply(cm("a", "y", "1", {}, "u2"));
  CHECK(names(store.by_index("owner", "u1")) == std::vector<std::string>{"a/before-index", "a/x"});

  store.apply(cm("a", "x", "2", {}, "u2"));  // owner changed: moves between values
  CHECK(names(store.by_index("owner", "u1")) == std::vector<std::string>{"a/before-index"});
  CHECK(names(store.by_index("owner", "u2")) == std::vector<std::string>{"a/x", "a/y"});

  store.remove("a/y");
  store.remove("a/before-index");
  CHECK(names(store.by_index("owner", "u2")) == std::vector<std::string>{"a/x"});
  CHECK(store.by_index("owner", "u1").empty());
  CHECK(store.index_values("owner") == std::vector<std::string>{"u2"});  // empty values are pruned
  CHECK_THROWS_AS(store.by_index("nope", "x"), std::out_of_range);
}

TEST_CASE("a throwing index function leaves the store unchanged", "[store]") {
  kopp::Store<ConfigMap> store;
  store.add_index("picky", [](const ConfigMap& c) -> std::vector<std::string> {
    if (c.metadata.name == "bad") throw std::runtime_error("no");
    return {c.metadata.name};
  });
  auto good = cm("a", "good");
  store.apply(good);
  CHECK_THROWS(store.apply(cm("a", "bad")));
  CHECK(store.size() == 1);
  CHECK_THROWS(store.replace({{cm("a", "bad"), 1}}));
  CHECK(store.get("a/good") == good);
  CHECK(names(store.by_index("picky", "good")) == std::vector<std::string>{"a/good"});
}

TEST_CASE("replace swaps the content and reports added, updated and deleted", "[store]") {
  kopp::Store<ConfigMap> store;
  store.add_index("owner", owner_uids);
  auto keep = cm("a", "keep", "1", {}, "u1");
  store.apply(keep, 5);
  store.apply(cm("a", "change", "1"), 5);
  store.apply(cm("a", "vanish", "1", {}, "u1"), 5);

  auto changed = cm("a", "change", "2");
  auto fresh = cm("a", "new", "1", {}, "u1");
  auto same_keep = cm("a", "keep", "1", {}, "u1");
  auto result = store.replace({{same_keep, 7}, {changed, 8}, {fresh, 9}});

  CHECK(names(result.added) == std::vector<std::string>{"a/new"});
  REQUIRE(result.updated.size() == 1);
  CHECK(result.updated[0].first->metadata.resourceVersion == "1");
  CHECK(result.updated[0].second == changed);
  CHECK(names(result.deleted) == std::vector<std::string>{"a/vanish"});
  CHECK(names(store.list()) == std::vector<std::string>{"a/change", "a/keep", "a/new"});
  CHECK(store.approximate_bytes() == 24);
  CHECK(names(store.by_index("owner", "u1")) == std::vector<std::string>{"a/keep", "a/new"});
}

TEST_CASE("readers run in parallel with a writer and see whole states", "[store]") {
  kopp::Store<ConfigMap> store;
  std::atomic<bool> done{false};
  std::atomic<int> torn{0};
  std::thread reader([&] {
    while (!done) {
      // Every state the writer installs has exactly 3 objects of one resourceVersion.
      auto all = store.list();
      if (all.empty()) continue;
      if (all.size() != 3) ++torn;
      for (const auto& o : all)
        if (o->metadata.resourceVersion != all.front()->metadata.resourceVersion) ++torn;
    }
  });
  for (int i = 0; i < 2000; ++i) {
    const std::string rv = std::to_string(i);
    store.replace({{cm("a", "x", rv), 1}, {cm("a", "y", rv), 1}, {cm("a", "z", rv), 1}});
  }
  done = true;
  reader.join();
  CHECK(torn == 0);
}
