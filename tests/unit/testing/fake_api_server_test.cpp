// kopp::testing::FakeApiServer, sans-io: requests in, responses and watch lines out. The
// same behaviours are checked against the real kube-apiserver by tests/scenarios.

#include <kopp/testing/fake_api_server.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace {

using boost::beast::http::verb;
using kopp::testing::FakeApiServer;
using kopp::testing::FakeRequest;

struct Answer {
  unsigned status;
  boost::json::value body;

  std::string at(std::initializer_list<std::string_view> path) const {
    const boost::json::value* v = &body;
    for (auto key : path) {
      const auto* object = v->if_object();
      v = object ? object->if_contains(key) : nullptr;
      if (!v) return "<missing>";
    }
    return v->is_string() ? std::string(v->get_string()) : boost::json::serialize(*v);
  }
};

Answer call(FakeApiServer& server, verb method, std::string target, std::string body = {},
            std::string content_type = "application/json") {
  FakeRequest request;
  request.method = method;
  request.target = std::move(target);
  request.body = std::move(body);
  request.content_type = std::move(content_type);
  auto response = server.handle(request);
  return Answer{response.status, response.body.empty() ? boost::json::value() : boost::json::parse(response.body)};
}

constexpr const char* config_maps = "/api/v1/namespaces/default/configmaps";
constexpr const char* deployments = "/apis/apps/v1/namespaces/default/deployments";

std::string config_map(const std::string& name, const std::string& extra_metadata = "") {
  return R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":")" + name + "\"" + extra_metadata +
         R"(},"data":{"k":"v"}})";
}

std::string deployment(const std::string& name, int replicas) {
  return R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":")" + name + R"("},"spec":{"replicas":)" +
         std::to_string(replicas) +
         R"(,"selector":{"matchLabels":{"app":"x"}},"template":{"metadata":{"labels":{"app":"x"}},"spec":{"containers":[{"name":"c","image":"i"}]}}},"status":{"replicas":7}})";
}

/// The watch's queued lines as "TYPE name" strings.
std::vector<std::string> drain(kopp::testing::FakeWatch& watch) {
  std::vector<std::string> events;
  const std::string bytes = watch.take();
  std::size_t start = 0;
  while (start < bytes.size()) {
    const auto end = bytes.find('\n', start);
    const auto event = boost::json::parse(std::string_view(bytes).substr(start, end - start)).as_object();
    const auto& object = event.at("object").as_object();
    std::string name;
    if (const auto* meta = object.if_contains("metadata"))
      if (const auto* n = meta->as_object().if_contains("name")) name = std::string(n->as_string());
    if (event.at("type").as_string() == "ERROR") name = std::string(object.at("reason").as_string());
    events.push_back(std::string(event.at("type").as_string()) + (name.empty() ? "" : " " + name));
    start = end + 1;
  }
  return events;
}

std::shared_ptr<kopp::testing::FakeWatch> open(FakeApiServer& server, std::string target) {
  FakeRequest request;
  request.target = std::move(target);
  auto opened = server.open_watch(request);
  REQUIRE(std::holds_alternative<std::shared_ptr<kopp::testing::FakeWatch>>(opened));
  return std::get<std::shared_ptr<kopp::testing::FakeWatch>>(opened);
}

}  // namespace

TEST_CASE("discovery lists the core versions, the groups and a group version's resources", "[fake_api_server]") {
  FakeApiServer server;
  CHECK(call(server, verb::get, "/api").at({"versions"}) == R"(["v1"])");
  const auto groups = call(server, verb::get, "/apis");
  CHECK(groups.status == 200);
  CHECK(boost::json::serialize(groups.body).find("\"apps/v1\"") != std::string::npos);
  const auto apps = call(server, verb::get, "/apis/apps/v1");
  CHECK(apps.at({"groupVersion"}) == "apps/v1");
  const auto text = boost::json::serialize(apps.body);
  CHECK(text.find("\"deployments/status\"") != std::string::npos);
  CHECK(call(server, verb::get, "/apis/nothing.example/v1").status == 404);
}

TEST_CASE("create sets uid, creationTimestamp, resourceVersion and generation", "[fake_api_server]") {
  FakeApiServer server;
  const auto created = call(server, verb::post, config_maps, config_map("a"));
  REQUIRE(created.status == 201);
  CHECK(created.at({"metadata", "uid"}).size() == 36);
  CHECK(created.at({"metadata", "creationTimestamp"}).size() == 20);
  CHECK(created.at({"metadata", "generation"}) == "1");
  CHECK(created.at({"metadata", "namespace"}) == "default");
  const auto second = call(server, verb::post, config_maps, config_map("b"));
  CHECK(std::stoull(second.at({"metadata", "resourceVersion"})) >
        std::stoull(created.at({"metadata", "resourceVersion"})));
  CHECK(call(server, verb::get, std::string(config_maps) + "/a").at({"data", "k"}) == "v");
}

TEST_CASE("create refuses a duplicate, a bad name and a missing namespace as the API server does",
          "[fake_api_server]") {
  FakeApiServer server;
  call(server, verb::post, config_maps, config_map("a"));
  const auto duplicate = call(server, verb::post, config_maps, config_map("a"));
  CHECK(duplicate.status == 409);
  CHECK(duplicate.at({"reason"}) == "AlreadyExists");
  CHECK(duplicate.at({"message"}) == "configmaps \"a\" already exists");
  const auto bad = call(server, verb::post, config_maps, config_map("Bad_Name"));
  CHECK(bad.status == 422);
  CHECK(bad.at({"reason"}) == "Invalid");
  CHECK(bad.at({"message"}).find("metadata.name: Invalid value: \"Bad_Name\"") != std::string::npos);
  const auto missing = call(server, verb::post, "/api/v1/namespaces/nowhere/configmaps", config_map("a"));
  CHECK(missing.status == 404);
  CHECK(missing.at({"message"}) == "namespaces \"nowhere\" not found");
  const auto generated = call(server, verb::post, config_maps, R"({"metadata":{"generateName":"job-"},"data":{}})");
  CHECK(generated.status == 201);
  CHECK(generated.at({"metadata", "name"}).size() == 9);
}

TEST_CASE("an update with a stale resourceVersion conflicts; one without is unconditional", "[fake_api_server]") {
  FakeApiServer server;
  const auto created = call(server, verb::post, config_maps, config_map("a"));
  const std::string rv = created.at({"metadata", "resourceVersion"});
  auto body = created.body.as_object();
  body["data"].as_object()["k"] = "w";
  CHECK(call(server, verb::put, std::string(config_maps) + "/a", boost::json::serialize(body)).status == 200);
  const auto stale = call(server, verb::put, std::string(config_maps) + "/a", boost::json::serialize(body));
  CHECK(stale.status == 409);
  CHECK(stale.at({"reason"}) == "Conflict");
  CHECK(stale.at({"message"}).find("the object has been modified") != std::string::npos);
  body["metadata"].as_object().erase("resourceVersion");
  body["data"].as_object()["k"] = "x";
  CHECK(call(server, verb::put, std::string(config_maps) + "/a", boost::json::serialize(body)).status == 200);
}

TEST_CASE("generation counts spec changes; status goes through its subresource only", "[fake_api_server]") {
  FakeApiServer server;
  const auto created = call(server, verb::post, deployments, deployment("web", 1));
  REQUIRE(created.status == 201);
  CHECK(created.at({"status"}) == "<missing>");  // status is not set by a create
  const std::string path = std::string(deployments) + "/web";
  const auto labelled =
      call(server, verb::patch, path, R"({"metadata":{"labels":{"team":"a"}}})", "application/merge-patch+json");
  CHECK(labelled.at({"metadata", "generation"}) == "1");
  const auto scaled = call(server, verb::patch, path, R"({"spec":{"replicas":3},"status":{"replicas":9}})",
                           "application/merge-patch+json");
  CHECK(scaled.at({"metadata", "generation"}) == "2");
  CHECK(scaled.at({"status"}) == "<missing>");  // the main resource ignores status
  const auto status = call(server, verb::patch, path + "/status", R"({"spec":{"replicas":5},"status":{"replicas":3}})",
                           "application/merge-patch+json");
  CHECK(status.at({"status", "replicas"}) == "3");
  CHECK(status.at({"spec", "replicas"}) == "3");  // the status subresource ignores spec
  CHECK(status.at({"metadata", "generation"}) == "2");
}

TEST_CASE("a write that changes nothing keeps the resourceVersion and sends no event", "[fake_api_server]") {
  FakeApiServer server;
  const auto created = call(server, verb::post, config_maps, config_map("a"));
  auto watch = open(
      server, std::string(config_maps) + "?watch=true&resourceVersion=" + created.at({"metadata", "resourceVersion"}));
  const auto same = call(server, verb::patch, std::string(config_maps) + "/a", R"({"data":{"k":"v"}})",
                         "application/merge-patch+json");
  CHECK(same.at({"metadata", "resourceVersion"}) == created.at({"metadata", "resourceVersion"}));
  CHECK(drain(*watch).empty());
}

TEST_CASE("merge patch, JSON patch and their failures", "[fake_api_server]") {
  FakeApiServer server;
  call(server, verb::post, config_maps, R"({"metadata":{"name":"a"},"data":{"k":"v","gone":"x"}})");
  const std::string path = std::string(config_maps) + "/a";
  const auto merged =
      call(server, verb::patch, path, R"({"data":{"gone":null,"new":"n"}})", "application/merge-patch+json");
  CHECK(merged.at({"data"}) == R"({"k":"v","new":"n"})");
  const auto patched =
      call(server, verb::patch, path,
           R"([{"op":"test","path":"/data/k","value":"v"},{"op":"replace","path":"/data/k","value":"w"}])",
           "application/json-patch+json");
  CHECK(patched.at({"data", "k"}) == "w");
  const auto failed = call(server, verb::patch, path, R"([{"op":"test","path":"/data/k","value":"nope"}])",
                           "application/json-patch+json");
  CHECK(failed.status == 422);
  CHECK(failed.at({"message"}).find("test /data/k") != std::string::npos);
  CHECK(call(server, verb::get, path).at({"data", "k"}) == "w");  // nothing of a failed patch applies
  const auto missing =
      call(server, verb::patch, std::string(config_maps) + "/none", R"({})", "application/merge-patch+json");
  CHECK(missing.status == 404);
}

TEST_CASE("what the fake does not model answers 501 naming it", "[fake_api_server]") {
  FakeApiServer server;
  call(server, verb::post, deployments, deployment("web", 1));
  const auto apply = call(server, verb::patch, std::string(deployments) + "/web?fieldManager=x", deployment("web", 2),
                          "application/apply-patch+yaml");
  CHECK(apply.status == 501);
  CHECK(apply.at({"reason"}) == "NotImplemented");
  CHECK(apply.at({"message"}).find("application/apply-patch+yaml") != std::string::npos);
  CHECK(call(server, verb::get, std::string(deployments) + "/web/scale").status == 501);
}

TEST_CASE("finalizers hold a deleted object until the last one is removed", "[fake_api_server]") {
  FakeApiServer server;
  call(server, verb::post, config_maps, config_map("a", R"(,"finalizers":["example.com/cleanup"])"));
  const std::string path = std::string(config_maps) + "/a";
  const auto deleting = call(server, verb::delete_, path);
  CHECK(deleting.status == 200);
  CHECK(deleting.at({"metadata", "deletionTimestamp"}) != "<missing>");
  CHECK(call(server, verb::get, path).status == 200);
  const auto added =
      call(server, verb::patch, path, R"({"metadata":{"finalizers":["example.com/cleanup","example.com/more"]}})",
           "application/merge-patch+json");
  CHECK(added.status == 422);
  CHECK(added.at({"message"}).find("no new finalizers can be added") != std::string::npos);
  CHECK(call(server, verb::patch, path, R"({"metadata":{"finalizers":null}})", "application/merge-patch+json").status ==
        200);
  CHECK(call(server, verb::get, path).status == 404);
}

TEST_CASE("owner references are garbage-collected: background, orphan and foreground", "[fake_api_server]") {
  FakeApiServer server;
  auto owner_of = [&](const std::string& name) {
    const auto owner = call(server, verb::post, config_maps, config_map(name));
    return R"(,"ownerReferences":[{"apiVersion":"v1","kind":"ConfigMap","name":")" + name + R"(","uid":")" +
           owner.at({"metadata", "uid"}) + R"(","blockOwnerDeletion":true}])";
  };
  call(server, verb::post, config_maps, config_map("child-bg", owner_of("owner-bg")));
  call(server, verb::delete_, std::string(config_maps) + "/owner-bg");
  CHECK(call(server, verb::get, std::string(config_maps) + "/child-bg").status == 404);

  call(server, verb::post, config_maps, config_map("child-orphan", owner_of("owner-orphan")));
  call(server, verb::delete_, std::string(config_maps) + "/owner-orphan", R"({"propagationPolicy":"Orphan"})");
  const auto orphan = call(server, verb::get, std::string(config_maps) + "/child-orphan");
  CHECK(orphan.status == 200);
  CHECK(orphan.at({"metadata", "ownerReferences"}) == "<missing>");

  call(server, verb::post, config_maps, config_map("child-fg", owner_of("owner-fg")));
  auto watch = open(
      server, std::string(config_maps) + "?watch=true&resourceVersion=" + std::to_string(server.resource_version()));
  call(server, verb::delete_, std::string(config_maps) + "/owner-fg", R"({"propagationPolicy":"Foreground"})");
  CHECK(call(server, verb::get, std::string(config_maps) + "/owner-fg").status == 404);
  CHECK(drain(*watch) ==
        std::vector<std::string>{"MODIFIED owner-fg", "DELETED child-fg", "MODIFIED owner-fg", "DELETED owner-fg"});
}

TEST_CASE("list selects by label and field, pages with limit and continue", "[fake_api_server]") {
  FakeApiServer server;
  for (const char* name : {"a", "b", "c", "d"})
    call(server, verb::post, config_maps,
         config_map(name, std::string(R"(,"labels":{"tier":")") + (name[0] < 'c' ? "front" : "back") + "\"}"));
  auto names = [](const Answer& list) {
    std::vector<std::string> out;
    for (const auto& item : list.body.at("items").as_array())
      out.push_back(std::string(item.at("metadata").at("name").as_string()));
    return out;
  };
  CHECK(names(call(server, verb::get, std::string(config_maps) + "?labelSelector=tier%3Dfront")) ==
        std::vector<std::string>{"a", "b"});
  CHECK(names(call(server, verb::get, std::string(config_maps) + "?labelSelector=tier%20notin%20(front)")) ==
        std::vector<std::string>{"c", "d"});
  CHECK(names(call(server, verb::get, std::string(config_maps) + "?fieldSelector=metadata.name%3Dc")) ==
        std::vector<std::string>{"c"});
  const auto unsupported = call(server, verb::get, std::string(config_maps) + "?fieldSelector=spec.x%3Dy");
  CHECK(unsupported.status == 400);
  CHECK(unsupported.at({"message"}) == "field label not supported: spec.x");
  const auto first = call(server, verb::get, std::string(config_maps) + "?limit=3");
  CHECK(names(first) == std::vector<std::string>{"a", "b", "c"});
  const std::string token = first.at({"metadata", "continue"});
  CHECK(names(call(server, verb::get, std::string(config_maps) + "?limit=3&continue=" + token)) ==
        std::vector<std::string>{"d"});
  server.compact();
  call(server, verb::post, config_maps, config_map("e"));
  server.compact();
  const auto expired = call(server, verb::get, std::string(config_maps) + "?limit=3&continue=" + token);
  CHECK(expired.status == 410);
  CHECK(expired.at({"reason"}) == "Expired");
}

TEST_CASE("a watch replays from its resourceVersion and follows selector transitions", "[fake_api_server]") {
  FakeApiServer server;
  const auto a = call(server, verb::post, config_maps, config_map("a", R"(,"labels":{"on":"yes"})"));
  call(server, verb::post, config_maps, config_map("b", R"(,"labels":{"on":"yes"})"));
  auto all =
      open(server, std::string(config_maps) + "?watch=true&resourceVersion=" + a.at({"metadata", "resourceVersion"}));
  auto selected = open(server, std::string(config_maps) + "?watch=true&labelSelector=on%3Dyes");
  CHECK(drain(*all) == std::vector<std::string>{"ADDED b"});
  CHECK(drain(*selected) == std::vector<std::string>{"ADDED a", "ADDED b"});
  call(server, verb::patch, std::string(config_maps) + "/a", R"({"metadata":{"labels":{"on":"no"}}})",
       "application/merge-patch+json");
  call(server, verb::patch, std::string(config_maps) + "/a", R"({"metadata":{"labels":{"on":"yes"}}})",
       "application/merge-patch+json");
  CHECK(drain(*all) == std::vector<std::string>{"MODIFIED a", "MODIFIED a"});
  CHECK(drain(*selected) == std::vector<std::string>{"DELETED a", "ADDED a"});
}

TEST_CASE("a watch from a compacted resourceVersion gets one 410 ERROR and ends", "[fake_api_server]") {
  FakeApiServer server;
  const auto a = call(server, verb::post, config_maps, config_map("a"));
  call(server, verb::post, config_maps, config_map("b"));
  server.compact();
  auto watch =
      open(server, std::string(config_maps) + "?watch=true&resourceVersion=" + a.at({"metadata", "resourceVersion"}));
  CHECK(drain(*watch) == std::vector<std::string>{"ERROR Expired"});
  CHECK(watch->ended());
}

TEST_CASE("initial events end with a bookmark; bookmarks and the end reach the watch", "[fake_api_server]") {
  FakeApiServer server;
  call(server, verb::post, config_maps, config_map("a"));
  auto watch = open(server, std::string(config_maps) +
                                "?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&"
                                "allowWatchBookmarks=true");
  const std::string lines = watch->take();
  CHECK(lines.find(R"("type":"ADDED")") < lines.find(R"("k8s.io/initial-events-end":"true")"));
  int woken = 0;
  watch->on_ready([&] { ++woken; });
  server.send_bookmarks();
  CHECK(woken == 1);
  CHECK(watch->take().find(R"("type":"BOOKMARK")") != std::string::npos);
  server.end_watches();
  CHECK(watch->ended());
}

TEST_CASE("dry-run answers as if written and changes nothing", "[fake_api_server]") {
  FakeApiServer server;
  const auto before = server.resource_version();
  const auto dry = call(server, verb::post, std::string(config_maps) + "?dryRun=All", config_map("a"));
  CHECK(dry.status == 201);
  CHECK(dry.at({"metadata", "name"}) == "a");
  CHECK(call(server, verb::get, std::string(config_maps) + "/a").status == 404);
  CHECK(server.resource_version() == before);
  CHECK(call(server, verb::post, std::string(config_maps) + "?dryRun=Some", config_map("a")).status == 400);
}

TEST_CASE("delete preconditions, delete collection and namespace deletion", "[fake_api_server]") {
  FakeApiServer server;
  call(server, verb::post, "/api/v1/namespaces", R"({"metadata":{"name":"team"}})");
  call(server, verb::post, "/api/v1/namespaces/team/configmaps", config_map("a", R"(,"labels":{"x":"1"})"));
  call(server, verb::post, "/api/v1/namespaces/team/configmaps", config_map("b"));
  const auto precondition =
      call(server, verb::delete_, "/api/v1/namespaces/team/configmaps/a", R"({"preconditions":{"uid":"not-the-uid"}})");
  CHECK(precondition.status == 409);
  CHECK(precondition.at({"message"}).find("Precondition failed: UID in precondition: not-the-uid") !=
        std::string::npos);
  const auto collection = call(server, verb::delete_, "/api/v1/namespaces/team/configmaps?labelSelector=x%3D1");
  CHECK(collection.body.at("items").as_array().size() == 1);
  CHECK(call(server, verb::get, "/api/v1/namespaces/team/configmaps/a").status == 404);
  CHECK(call(server, verb::delete_, "/api/v1/namespaces/team").status == 200);
  CHECK(call(server, verb::get, "/api/v1/namespaces/team/configmaps/b").status == 404);
  CHECK(call(server, verb::get, "/api/v1/namespaces/team").status == 404);
}

TEST_CASE("a CustomResourceDefinition serves its kind with the status subresource", "[fake_api_server]") {
  FakeApiServer server;
  const auto crd = call(server, verb::post, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", R"({
    "apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
    "metadata":{"name":"widgets.example.com"},
    "spec":{"group":"example.com","scope":"Namespaced",
            "names":{"plural":"widgets","singular":"widget","kind":"Widget"},
            "versions":[{"name":"v1","served":true,"storage":true,"subresources":{"status":{}},
                         "schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}]}})");
  REQUIRE(crd.status == 201);
  CHECK(boost::json::serialize(crd.body.at("status")).find(R"("type":"Established","status":"True")") !=
        std::string::npos);
  const std::string widgets = "/apis/example.com/v1/namespaces/default/widgets";
  const auto made =
      call(server, verb::post, widgets,
           R"({"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w"},"spec":{"size":1}})");
  CHECK(made.status == 201);
  const auto listed = call(server, verb::get, widgets);
  CHECK(listed.at({"kind"}) == "WidgetList");
  CHECK(listed.body.at("items").as_array()[0].as_object().contains("kind"));  // custom resources' items keep it
  CHECK(call(server, verb::patch, widgets + "/w", R"({"spec":{"size":2}})", "application/strategic-merge-patch+json")
            .status == 415);
  CHECK(call(server, verb::patch, widgets + "/w/status", R"({"status":{"ready":true}})", "application/merge-patch+json")
            .at({"status", "ready"}) == "true");
  call(server, verb::delete_, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com");
  CHECK(call(server, verb::get, widgets).status == 404);
}
