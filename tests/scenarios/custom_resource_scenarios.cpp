// A custom resource from its CustomResourceDefinition: served, discovered, listed, with
// its status subresource.
#include "scenarios/scenario.hpp"

#include <kopp/client/discovery.hpp>

using namespace scenario;

TEST_CASE("an established CRD's kind is created, read and listed", "[scenario]") {
  Scenario s("sc-widgets");
  s.install_widgets();
  const auto [made, list] = s.run([&]() -> awaitable<std::pair<object, object>> {
    auto api = s.api(widgets);
    const object w = co_await api.create(widget("w", 3));
    const object all = co_await api.list();
    co_return std::pair{w, all};
  });
  CHECK(at(made, {"apiVersion"}) == "scenarios.kopp.example/v1");
  CHECK(at(made, {"kind"}) == "Widget");
  CHECK(at(made, {"metadata", "generation"}) == "1");
  CHECK(at(made, {"spec", "size"}) == "3");
  CHECK(at(list, {"kind"}) == "WidgetList");
  REQUIRE(list.at("items").as_array().size() == 1);
  // A custom resource list's items keep apiVersion and kind.
  CHECK(at(list.at("items").as_array()[0], {"kind"}) == "Widget");
}

TEST_CASE("the CRD is Established with accepted names", "[scenario]") {
  Scenario s("sc-crdstatus");
  s.install_widgets();
  const object crd =
      s.run([&]() -> awaitable<object> { co_return co_await s.api(crds).get("widgets.scenarios.kopp.example"); });
  CHECK(at(crd, {"status", "acceptedNames", "kind"}) == "Widget");
  CHECK(at(crd, {"status", "acceptedNames", "listKind"}) == "WidgetList");
  CHECK(at(crd, {"status", "storedVersions"}) == R"(["v1"])");
}

TEST_CASE("discovery lists the custom resource and its status subresource", "[scenario]") {
  Scenario s("sc-discovery");
  s.install_widgets();
  const auto served = s.run([&]() -> awaitable<std::vector<std::string>> {
    kopp::Discovery discovery(s.client());
    std::vector<std::string> names;
    for (const auto& r : co_await discovery.resources("scenarios.kopp.example/v1"))
      names.push_back(r.plural + (r.namespaced ? " namespaced " : " cluster ") + r.kind);
    co_return names;
  });
  CHECK(std::find(served.begin(), served.end(), "widgets namespaced Widget") != served.end());
}

TEST_CASE("a custom resource's status write keeps the spec and the generation", "[scenario]") {
  Scenario s("sc-widgetstatus");
  s.install_widgets();
  const object status = s.run([&]() -> awaitable<object> {
    auto api = s.api(widgets);
    co_await api.create(widget("w", 1));
    object current = co_await api.get("w");
    current["status"] = json(R"({"ready":true,"replicas":1})");
    current["spec"].as_object()["size"] = 5;
    co_return co_await api.replace_subresource("status", current);
  });
  CHECK(at(status, {"status", "ready"}) == "true");
  CHECK(at(status, {"spec", "size"}) == "1");
  CHECK(at(status, {"metadata", "generation"}) == "1");
}

TEST_CASE("a Deployment's replace keeps its status and bumps its generation", "[scenario]") {
  Scenario s("sc-deployreplace");
  const object replaced = s.run([&]() -> awaitable<object> {
    auto api = s.api(deployments);
    object current = co_await api.create(deployment("web", 1));
    current["spec"].as_object()["replicas"] = 2;
    current["status"] = json(R"({"replicas":42})");
    // Unconditional: on the real cluster the Deployment controller writes the status right
    // after the create, which would make this replace a conflict now and then.
    current["metadata"].as_object().erase("resourceVersion");
    co_return co_await api.replace(current);
  });
  CHECK(at(replaced, {"spec", "replicas"}) == "2");
  CHECK(at(replaced, {"metadata", "generation"}) == "2");
  // The real Deployment controller may have written a status meanwhile; what it can never
  // hold is the status the client sent to the main resource.
  CHECK(at(replaced, {"status", "replicas"}) != "42");
}
