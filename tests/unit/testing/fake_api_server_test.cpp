// FakeApiServer answers as the kube-apiserver does: discovery, CRUD with metadata
// semantics, the Status bodies of errors, deletion with finalizers and garbage collection,
// watches from a resourceVersion, custom resources once their CRD exists.
#include <kopp/testing/fake_api_server.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <variant>
#include <vector>

namespace {
using boost::beast::http::verb;
using kopp::testing::FakeApiServer;
using kopp::testing::FakeRequest;
using kopp::testing::FakeResponse;
namespace json = boost::json;

FakeResponse send(FakeApiServer& server, verb method, std::string target, std::string body = "",
                  std::string content_type = "application/json") {
  FakeRequest request;
  request.method = method;
  request.target = std::move(target);
  request.body = std::move(body);
  request.content_type = std::move(content_type);
  request.user_agent = "kopp-test/1.0 (linux)";
  return server.handle(request);
}

json::value body_of(const FakeResponse& response) { return json::parse(response.body); }

std::string str(const json::value& v, std::initializer_list<std::string_view> path) {
  const json::value* at = &v;
  for (std::string_view key : path) {
    if (!at->is_object() || !at->get_object().contains(key)) return "<absent>";
    at = &at->get_object().at(key);
  }
  return at->is_string() ? std::string(at->get_string()) : json::serialize(*at);
}

const std::string cm_url = "/api/v1/namespaces/default/configmaps";

FakeResponse create_cm(FakeApiServer& server, std::string name, std::string extra = "") {
  return send(
      server, verb::post, cm_url,
      R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":")" + name + "\"" + extra + R"(},"data":{"k":"v"}})");
}

std::vector<json::value> events(kopp::testing::FakeWatch& watch) {
  std::vector<json::value> out;
  std::istringstream lines(watch.take());
  for (std::string line; std::getline(lines, line);)
    if (!line.empty()) out.push_back(json::parse(line));
  return out;
}

std::shared_ptr<kopp::testing::FakeWatch> open(FakeApiServer& server, std::string target) {
  FakeRequest request;
  request.target = std::move(target);
  auto result = server.open_watch(request);
  REQUIRE(std::holds_alternative<std::shared_ptr<kopp::testing::FakeWatch>>(result));
  return std::get<std::shared_ptr<kopp::testing::FakeWatch>>(result);
}

const char* crd = R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
  "metadata":{"name":"widgets.example.com"},
  "spec":{"group":"example.com","scope":"Namespaced","names":{"plural":"widgets","kind":"Widget"},
   "versions":[{"name":"v1","served":true,"storage":true,
     "subresources":{"status":{},"scale":{"specReplicasPath":".spec.replicas","statusReplicasPath":".status.replicas"}},
     "schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}]}})";
}  // namespace

TEST_CASE("discovery lists the core version, the groups and each group version's resources", "[testing][fake]") {
  FakeApiServer server;
  auto core = body_of(send(server, verb::get, "/api"));
  CHECK(core.at("kind") == "APIVersions");
  CHECK(core.at("versions") == json::array{"v1"});
  auto v1 = body_of(send(server, verb::get, "/api/v1"));
  CHECK(v1.at("kind") == "APIResourceList");
  bool pods = false, pod_status = false;
  for (const auto& r : v1.at("resources").get_array()) {
    if (r.at("name") == "pods") pods = r.at("namespaced").as_bool() && r.at("kind") == "Pod";
    if (r.at("name") == "pods/status") pod_status = true;
  }
  CHECK(pods);
  CHECK(pod_status);
  auto groups = body_of(send(server, verb::get, "/apis"));
  CHECK(groups.at("kind") == "APIGroupList");
  bool apps = false;
  for (const auto& g : groups.at("groups").get_array())
    if (g.at("name") == "apps") apps = str(g, {"preferredVersion", "groupVersion"}) == "apps/v1";
  CHECK(apps);
  auto apps_v1 = body_of(send(server, verb::get, "/apis/apps/v1"));
  bool scale = false;
  for (const auto& r : apps_v1.at("resources").get_array())
    if (r.at("name") == "deployments/scale") scale = r.at("group") == "autoscaling" && r.at("kind") == "Scale";
  CHECK(scale);
  CHECK(send(server, verb::get, "/apis/nope.example.com/v1").status == 404);
}

TEST_CASE("create sets uid, creationTimestamp and resourceVersion; get returns the object", "[testing][fake]") {
  FakeApiServer server;
  const auto before = server.resource_version();
  auto created = create_cm(server, "a");
  REQUIRE(created.status == 201);
  auto object = body_of(created);
  CHECK(str(object, {"metadata", "uid"}).size() == 36);
  CHECK(str(object, {"metadata", "creationTimestamp"}).size() == 20);
  CHECK(str(object, {"metadata", "resourceVersion"}) == std::to_string(before + 1));
  CHECK(str(object, {"metadata", "generation"}) == "<absent>");  // configmaps have no generation
  CHECK(str(object, {"metadata", "namespace"}) == "default");
  auto got = body_of(send(server, verb::get, cm_url + "/a"));
  CHECK(got == object);
  CHECK(got.at("kind") == "ConfigMap");
  CHECK(server.object(cm_url + "/a") == object);
}

TEST_CASE("create errors answer the real server's Status", "[testing][fake]") {
  FakeApiServer server;
  REQUIRE(create_cm(server, "a").status == 201);
  auto again = create_cm(server, "a");
  CHECK(again.status == 409);
  auto e = body_of(again);
  CHECK(e.at("kind") == "Status");
  CHECK(e.at("apiVersion") == "v1");
  CHECK(e.at("status") == "Failure");
  CHECK(e.at("reason") == "AlreadyExists");
  CHECK(e.at("message") == "configmaps \"a\" already exists");
  CHECK(str(e, {"details", "kind"}) == "configmaps");
  CHECK(e.at("code") == 409);

  auto bad = body_of(create_cm(server, "Bad_Name"));
  CHECK(bad.at("code") == 422);
  CHECK(bad.at("reason") == "Invalid");
  CHECK(str(bad, {"message"})
            .starts_with("ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a lowercase "
                         "RFC 1123 subdomain"));
  CHECK(str(bad.at("details").at("causes").at(0), {"field"}) == "metadata.name");
  CHECK(str(bad.at("details").at("causes").at(0), {"reason"}) == "FieldValueInvalid");

  auto missing_ns = send(server, verb::post, "/api/v1/namespaces/nope/configmaps", R"({"metadata":{"name":"x"}})");
  CHECK(missing_ns.status == 404);
  CHECK(body_of(missing_ns).at("message") == "namespaces \"nope\" not found");

  auto mismatch = send(server, verb::post, cm_url, R"({"metadata":{"name":"x","namespace":"kube-system"}})");
  CHECK(mismatch.status == 400);
  CHECK(body_of(mismatch).at("reason") == "BadRequest");
  CHECK(body_of(mismatch).at("message") ==
        "the namespace of the provided object does not match the namespace sent on the request");

  auto no_name = send(server, verb::post, cm_url, R"({"metadata":{}})");
  CHECK(no_name.status == 422);
  CHECK(str(body_of(no_name), {"message"}).find("metadata.name: Required value") != std::string::npos);

  auto wrong_kind = send(server, verb::post, cm_url, R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"x"}})");
  CHECK(wrong_kind.status == 400);
  CHECK(str(body_of(wrong_kind), {"message"}).find("Secret") != std::string::npos);

  auto dry = send(server, verb::post, cm_url + "?dryRun=Some", R"({"metadata":{"name":"x"}})");
  CHECK(dry.status == 422);
  CHECK(str(body_of(dry), {"message"}) ==
        "CreateOptions.meta.k8s.io \"\" is invalid: dryRun: Unsupported value: []string{\"Some\"}: supported values: "
        "\"All\"");
}

TEST_CASE("generateName appends five random characters", "[testing][fake]") {
  FakeApiServer server;
  auto created = send(server, verb::post, cm_url, R"({"metadata":{"generateName":"job-"}})");
  REQUIRE(created.status == 201);
  const std::string name = str(body_of(created), {"metadata", "name"});
  CHECK(name.size() == 9);
  CHECK(name.starts_with("job-"));
}

TEST_CASE("dry-run create validates and stores nothing", "[testing][fake]") {
  FakeApiServer server;
  const auto rv = server.resource_version();
  auto dry = send(server, verb::post, cm_url + "?dryRun=All", R"({"metadata":{"name":"x"}})");
  CHECK(dry.status == 201);
  CHECK(server.resource_version() == rv);
  CHECK_FALSE(server.object(cm_url + "/x"));
}

TEST_CASE("PUT replaces, conflicts on a stale resourceVersion, keeps uid", "[testing][fake]") {
  FakeApiServer server;
  auto created = body_of(create_cm(server, "a"));
  json::value changed = created;
  changed.at("data").at("k") = "w";
  auto put = send(server, verb::put, cm_url + "/a", json::serialize(changed));
  REQUIRE(put.status == 200);
  auto updated = body_of(put);
  CHECK(str(updated, {"data", "k"}) == "w");
  CHECK(str(updated, {"metadata", "uid"}) == str(created, {"metadata", "uid"}));
  CHECK(std::stoull(str(updated, {"metadata", "resourceVersion"})) >
        std::stoull(str(created, {"metadata", "resourceVersion"})));

  auto stale = send(server, verb::put, cm_url + "/a", json::serialize(changed));
  CHECK(stale.status == 409);
  CHECK(body_of(stale).at("reason") == "Conflict");
  CHECK(body_of(stale).at("message") ==
        "Operation cannot be fulfilled on configmaps \"a\": the object has been modified; please apply your changes "
        "to the latest version and try again");

  changed.at("metadata").as_object().erase("resourceVersion");
  changed.at("data").at("k") = "x";
  CHECK(send(server, verb::put, cm_url + "/a", json::serialize(changed)).status == 200);  // unconditional

  auto missing = send(server, verb::put, cm_url + "/zz", R"({"metadata":{"name":"zz"}})");
  CHECK(missing.status == 404);
  CHECK(body_of(missing).at("message") == "configmaps \"zz\" not found");
  auto wrong_name = send(server, verb::put, cm_url + "/a", R"({"metadata":{"name":"b"}})");
  CHECK(wrong_name.status == 400);
  CHECK(body_of(wrong_name).at("message") == "the name of the object (b) does not match the name on the URL (a)");
}

TEST_CASE("a no-op PUT writes nothing", "[testing][fake]") {
  FakeApiServer server;
  auto created = create_cm(server, "a");
  const auto rv = server.resource_version();
  CHECK(send(server, verb::put, cm_url + "/a", created.body).status == 200);
  CHECK(server.resource_version() == rv);
}

TEST_CASE("generation and the status subresource of a Deployment", "[testing][fake]") {
  FakeApiServer server;
  const std::string url = "/apis/apps/v1/namespaces/default/deployments";
  auto created = body_of(send(
      server, verb::post, url,
      R"({"metadata":{"name":"d"},"spec":{"replicas":2,"selector":{"matchLabels":{"app":"d"}}},"status":{"replicas":9}})"));
  CHECK(str(created, {"metadata", "generation"}) == "1");
  CHECK(str(created, {"status"}) == "{}");  // status written with create is dropped

  json::value labelled = created;
  labelled.at("metadata").as_object()["labels"] = json::object{{"x", "y"}};
  auto after_labels = body_of(send(server, verb::put, url + "/d", json::serialize(labelled)));
  CHECK(str(after_labels, {"metadata", "generation"}) == "1");

  json::value spec = after_labels;
  spec.at("spec").at("replicas") = 3;
  spec.as_object()["status"] = json::object{{"replicas", 7}};
  auto after_spec = body_of(send(server, verb::put, url + "/d", json::serialize(spec)));
  CHECK(str(after_spec, {"metadata", "generation"}) == "2");
  CHECK(str(after_spec, {"status"}) == "{}");  // a main-resource write keeps the old status

  json::value status = after_spec;
  status.as_object()["status"] = json::object{{"replicas", 3}};
  status.at("spec").at("replicas") = 10;
  auto after_status = body_of(send(server, verb::put, url + "/d/status", json::serialize(status)));
  CHECK(str(after_status, {"status", "replicas"}) == "3");
  CHECK(str(after_status, {"spec", "replicas"}) == "3");  // a status write changes only status
  CHECK(str(after_status, {"metadata", "generation"}) == "2");

  auto scale = body_of(send(server, verb::get, url + "/d/scale"));
  CHECK(scale.at("kind") == "Scale");
  CHECK(scale.at("apiVersion") == "autoscaling/v1");
  CHECK(str(scale, {"spec", "replicas"}) == "3");
  CHECK(str(scale, {"status", "replicas"}) == "3");
  CHECK(str(scale, {"status", "selector"}) == "app=d");
  scale.at("spec").at("replicas") = 5;
  auto scaled = send(server, verb::put, url + "/d/scale", json::serialize(scale));
  REQUIRE(scaled.status == 200);
  CHECK(str(body_of(scaled), {"spec", "replicas"}) == "5");
  CHECK(str(*server.object(url + "/d"), {"spec", "replicas"}) == "5");
  CHECK(str(*server.object(url + "/d"), {"metadata", "generation"}) == "3");
  CHECK(send(server, verb::put, url + "/d/scale", json::serialize(scale)).status == 409);  // stale
}

TEST_CASE("list filters by label and field selectors and pages with continue", "[testing][fake]") {
  FakeApiServer server;
  for (const char* name : {"a", "b", "c", "d"})
    create_cm(server, name, std::string(R"(,"labels":{"tier":")") + (name[0] < 'c' ? "web" : "db") + "\"}");
  auto list = body_of(send(server, verb::get, cm_url + "?labelSelector=tier%3Dweb"));
  CHECK(list.at("kind") == "ConfigMapList");
  CHECK(list.at("apiVersion") == "v1");
  REQUIRE(list.at("items").as_array().size() == 2);
  CHECK_FALSE(list.at("items").at(0).as_object().contains("kind"));
  CHECK(str(list, {"metadata", "resourceVersion"}) == std::to_string(server.resource_version()));
  CHECK(
      body_of(send(server, verb::get, cm_url + "?labelSelector=tier%20notin%20(web)")).at("items").as_array().size() ==
      2);
  CHECK(body_of(send(server, verb::get, cm_url + "?fieldSelector=metadata.name%3Dc")).at("items").as_array().size() ==
        1);
  CHECK(body_of(send(server, verb::get, cm_url + "?fieldSelector=metadata.name!%3Dc")).at("items").as_array().size() ==
        3);
  auto unsupported = send(server, verb::get, cm_url + "?fieldSelector=spec.x%3D1");
  CHECK(unsupported.status == 400);
  CHECK(body_of(unsupported).at("message") ==
        R"("spec.x" is not a known field selector: only "metadata.name", "metadata.namespace")");

  auto page1 = body_of(send(server, verb::get, cm_url + "?limit=3"));
  REQUIRE(page1.at("items").as_array().size() == 3);
  const std::string token = str(page1, {"metadata", "continue"});
  CHECK(str(page1, {"metadata", "remainingItemCount"}) == "1");
  create_cm(server, "e");  // not in the snapshot of the first page
  auto page2 = body_of(send(server, verb::get, cm_url + "?limit=3&continue=" + token));
  REQUIRE(page2.at("items").as_array().size() == 1);
  CHECK(str(page2.at("items").at(0), {"metadata", "name"}) == "d");
  CHECK(str(page2, {"metadata", "continue"}) == "<absent>");

  server.compact();
  auto expired = send(server, verb::get, cm_url + "?limit=3&continue=" + token);
  CHECK(expired.status == 410);
  CHECK(body_of(expired).at("reason") == "Expired");
  CHECK(str(body_of(expired), {"message"}).starts_with("The provided continue parameter is too old"));
}

TEST_CASE("DELETE answers Status for configmaps; preconditions conflict", "[testing][fake]") {
  FakeApiServer server;
  auto created = body_of(create_cm(server, "a"));
  auto wrong_uid = send(server, verb::delete_, cm_url + "/a", R"({"preconditions":{"uid":"nope"}})");
  CHECK(wrong_uid.status == 409);
  CHECK(str(body_of(wrong_uid), {"message"})
            .starts_with("Operation cannot be fulfilled on ConfigMap \"a\": the UID in the precondition (nope) "
                         "does not match the UID in record ("));
  auto deleted = send(server, verb::delete_, cm_url + "/a");
  CHECK(deleted.status == 200);
  auto status = body_of(deleted);
  CHECK(status.at("kind") == "Status");
  CHECK(status.at("status") == "Success");
  CHECK(str(status, {"details", "name"}) == "a");
  CHECK(str(status, {"details", "kind"}) == "configmaps");
  CHECK(str(status, {"details", "uid"}) == str(created, {"metadata", "uid"}));
  CHECK_FALSE(server.object(cm_url + "/a"));
  CHECK(send(server, verb::delete_, cm_url + "/a").status == 404);
}

TEST_CASE("finalizers keep a deleted object until the last one is removed", "[testing][fake]") {
  FakeApiServer server;
  create_cm(server, "a", R"(,"finalizers":["example.com/keep"])");
  auto deleted = body_of(send(server, verb::delete_, cm_url + "/a"));
  CHECK(str(deleted, {"metadata", "deletionTimestamp"}) != "<absent>");
  CHECK(str(deleted, {"metadata", "deletionGracePeriodSeconds"}) == "0");
  json::value more = deleted;
  more.at("metadata").at("finalizers").as_array().push_back("example.com/other");
  auto refused = send(server, verb::put, cm_url + "/a", json::serialize(more));
  CHECK(refused.status == 422);
  CHECK(str(body_of(refused), {"message"}).find("no new finalizers can be added if the object is being deleted") !=
        std::string::npos);
  json::value none = deleted;
  none.at("metadata").as_object().erase("finalizers");
  CHECK(send(server, verb::put, cm_url + "/a", json::serialize(none)).status == 200);
  CHECK_FALSE(server.object(cm_url + "/a"));
}

TEST_CASE("garbage collection: background, foreground and orphan", "[testing][fake]") {
  FakeApiServer server;
  auto owner_ref = [&](const std::string& uid) {
    return R"(,"ownerReferences":[{"apiVersion":"v1","kind":"ConfigMap","name":"owner","uid":")" + uid +
           R"(","blockOwnerDeletion":true}])";
  };
  SECTION("background deletes dependents after the owner") {
    const std::string uid = str(body_of(create_cm(server, "owner")), {"metadata", "uid"});
    create_cm(server, "dep", owner_ref(uid));
    auto watch = open(server, cm_url + "?watch=1&resourceVersion=" + std::to_string(server.resource_version()));
    send(server, verb::delete_, cm_url + "/owner");
    auto seen = events(*watch);
    REQUIRE(seen.size() == 2);
    CHECK(str(seen[0], {"object", "metadata", "name"}) == "owner");
    CHECK(str(seen[1], {"object", "metadata", "name"}) == "dep");
    CHECK(seen[1].at("type") == "DELETED");
  }
  SECTION("foreground deletes dependents before the owner") {
    const std::string uid = str(body_of(create_cm(server, "owner")), {"metadata", "uid"});
    create_cm(server, "dep", owner_ref(uid));
    auto watch = open(server, cm_url + "?watch=1&resourceVersion=" + std::to_string(server.resource_version()));
    auto response = body_of(send(server, verb::delete_, cm_url + "/owner?propagationPolicy=Foreground"));
    CHECK(str(response, {"metadata", "finalizers"}) == R"(["foregroundDeletion"])");
    auto seen = events(*watch);
    REQUIRE(seen.size() == 3);
    CHECK(seen[0].at("type") == "MODIFIED");
    CHECK(str(seen[1], {"object", "metadata", "name"}) == "dep");
    CHECK(str(seen[2], {"object", "metadata", "name"}) == "owner");
    CHECK(seen[2].at("type") == "DELETED");
  }
  SECTION("orphan keeps dependents without the owner reference") {
    const std::string uid = str(body_of(create_cm(server, "owner")), {"metadata", "uid"});
    create_cm(server, "dep", owner_ref(uid));
    send(server, verb::delete_, cm_url + "/owner", R"({"propagationPolicy":"Orphan"})");
    CHECK_FALSE(server.object(cm_url + "/owner"));
    REQUIRE(server.object(cm_url + "/dep"));
    CHECK(str(*server.object(cm_url + "/dep"), {"metadata", "ownerReferences"}) == "<absent>");
  }
}

TEST_CASE("deleting a namespace terminates it, deletes its contents, then it", "[testing][fake]") {
  FakeApiServer server;
  REQUIRE(send(server, verb::post, "/api/v1/namespaces", R"({"metadata":{"name":"team"}})").status == 201);
  send(server, verb::post, "/api/v1/namespaces/team/configmaps",
       R"({"metadata":{"name":"held","finalizers":["example.com/keep"]}})");
  auto response = body_of(send(server, verb::delete_, "/api/v1/namespaces/team"));
  CHECK(str(response, {"status", "phase"}) == "Terminating");
  REQUIRE(server.object("/api/v1/namespaces/team"));
  auto refused = send(server, verb::post, "/api/v1/namespaces/team/configmaps", R"({"metadata":{"name":"x"}})");
  CHECK(refused.status == 403);
  CHECK(body_of(refused).at("message") ==
        "configmaps \"x\" is forbidden: unable to create new content in namespace team because it is being terminated");
  json::value held = *server.object("/api/v1/namespaces/team/configmaps/held");
  held.at("metadata").as_object().erase("finalizers");
  send(server, verb::put, "/api/v1/namespaces/team/configmaps/held", json::serialize(held));
  CHECK_FALSE(server.object("/api/v1/namespaces/team/configmaps/held"));
  CHECK_FALSE(server.object("/api/v1/namespaces/team"));
}

TEST_CASE("watch: initial ADDED, changes, selectors, history, 410, bookmarks", "[testing][fake]") {
  FakeApiServer server;
  create_cm(server, "a", R"(,"labels":{"app":"x"})");
  auto all = open(server, cm_url + "?watch=1");
  auto selected = open(server, cm_url + "?watch=1&labelSelector=app%3Dx&allowWatchBookmarks=true");
  CHECK(events(*all).size() == 1);
  CHECK(events(*selected).at(0).at("type") == "ADDED");
  const auto rv = server.resource_version();

  json::value relabelled = *server.object(cm_url + "/a");
  relabelled.at("metadata").at("labels").at("app") = "y";
  send(server, verb::put, cm_url + "/a", json::serialize(relabelled));
  auto seen = events(*all);
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].at("type") == "MODIFIED");
  CHECK(seen[0].at("object").at("kind") == "ConfigMap");
  auto left = events(*selected);
  REQUIRE(left.size() == 1);
  CHECK(left[0].at("type") == "DELETED");  // stopped matching the selector

  server.send_bookmarks();
  auto bookmark = events(*selected);
  REQUIRE(bookmark.size() == 1);
  CHECK(bookmark[0].at("type") == "BOOKMARK");
  CHECK(str(bookmark[0], {"object", "metadata", "resourceVersion"}) == std::to_string(server.resource_version()));
  CHECK(events(*all).empty());  // did not ask for bookmarks

  auto resumed = open(server, cm_url + "?watch=1&resourceVersion=" + std::to_string(rv));
  auto replay = events(*resumed);
  REQUIRE(replay.size() == 1);
  CHECK(replay[0].at("type") == "MODIFIED");

  server.compact();
  auto old = open(server, cm_url + "?watch=1&resourceVersion=" + std::to_string(rv));
  auto error = events(*old);
  REQUIRE(error.size() == 1);
  CHECK(error[0].at("type") == "ERROR");
  CHECK(error[0].at("object").at("code") == 410);
  CHECK(error[0].at("object").at("reason") == "Expired");
  CHECK(str(error[0], {"object", "message"}) ==
        "too old resource version: " + std::to_string(rv) + " (" + std::to_string(server.resource_version()) + ")");
  CHECK(old->ended());

  auto initial = open(
      server, cm_url + "?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true");
  auto init = events(*initial);
  REQUIRE(init.size() == 2);
  CHECK(init[1].at("type") == "BOOKMARK");
  CHECK(str(init[1], {"object", "metadata", "annotations", "k8s.io/initial-events-end"}) == "true");

  bool called = false;
  all->on_ready([&] { called = true; });
  server.end_watches();
  CHECK(called);
  CHECK(all->ended());
}

TEST_CASE("a CRD serves its custom resources with status and scale", "[testing][fake]") {
  FakeApiServer server;
  auto created = send(server, verb::post, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd);
  REQUIRE(created.status == 201);
  auto established = *server.object("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com");
  CHECK(str(established, {"status", "acceptedNames", "singular"}) == "widget");
  CHECK(str(established, {"status", "acceptedNames", "listKind"}) == "WidgetList");
  CHECK(str(established, {"status", "storedVersions"}) == R"(["v1"])");
  CHECK(str(established.at("status").at("conditions").at(1), {"type"}) == "Established");

  auto list = body_of(send(server, verb::get, "/apis/example.com/v1"));
  CHECK(list.at("resources").as_array().size() == 3);  // widgets, widgets/status, widgets/scale

  const std::string url = "/apis/example.com/v1/namespaces/default/widgets";
  auto w = send(
      server, verb::post, url,
      R"({"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w"},"spec":{"replicas":1},"status":{"x":1}})");
  REQUIRE(w.status == 201);
  CHECK(str(body_of(w), {"status"}) == "<absent>");
  CHECK(str(body_of(w), {"metadata", "generation"}) == "1");
  auto wrong =
      send(server, verb::post, url, R"({"apiVersion":"example.com/v2","kind":"Widget","metadata":{"name":"v"}})");
  CHECK(wrong.status == 400);
  CHECK(str(body_of(wrong), {"message"}).find("example.com/v2") != std::string::npos);
  auto items = body_of(send(server, verb::get, url));
  CHECK(items.at("kind") == "WidgetList");
  CHECK(items.at("items").at(0).at("kind") == "Widget");  // custom list items keep their type

  json::value unconditional = body_of(w);
  unconditional.at("metadata").as_object().erase("resourceVersion");
  auto refused = send(server, verb::put, url + "/w", json::serialize(unconditional));
  CHECK(refused.status == 422);
  CHECK(str(body_of(refused), {"message"}) ==
        "Widget.example.com \"w\" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an "
        "update");

  auto scale = body_of(send(server, verb::get, url + "/w/scale"));
  CHECK(str(scale, {"spec", "replicas"}) == "1");

  auto deleted = body_of(
      send(server, verb::delete_, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com"));
  CHECK(str(deleted, {"metadata", "finalizers"}) == R"(["customresourcecleanup.apiextensions.k8s.io"])");
  CHECK_FALSE(server.object(url + "/w"));
  CHECK_FALSE(server.object("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com"));
  CHECK(send(server, verb::get, url).status == 404);
}

TEST_CASE("PATCH: merge and JSON patch, 404, unsupported media type, apply requires fieldManager", "[testing][fake]") {
  FakeApiServer server;
  create_cm(server, "a");
  auto merged =
      send(server, verb::patch, cm_url + "/a", R"({"data":{"k":null,"n":"1"}})", "application/merge-patch+json");
  REQUIRE(merged.status == 200);
  CHECK(str(body_of(merged), {"data"}) == R"({"n":"1"})");
  auto jp = send(server, verb::patch, cm_url + "/a", R"([{"op":"add","path":"/data/m","value":"2"}])",
                 "application/json-patch+json");
  REQUIRE(jp.status == 200);
  CHECK(str(body_of(jp), {"data", "m"}) == "2");
  auto missing = send(server, verb::patch, cm_url + "/zz", "{}", "application/merge-patch+json");
  CHECK(missing.status == 404);
  CHECK(body_of(missing).at("message") == "configmaps \"zz\" not found");
  auto media = send(server, verb::patch, cm_url + "/a", "{}", "text/plain");
  CHECK(media.status == 415);
  CHECK(body_of(media).at("reason") == "UnsupportedMediaType");
  auto apply =
      send(server, verb::patch, cm_url + "/a", R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}})",
           "application/apply-patch+yaml");
  CHECK(apply.status == 422);
  CHECK(body_of(apply).at("message") ==
        "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch");
  auto force = send(server, verb::patch, cm_url + "/a?force=true", "{}", "application/merge-patch+json");
  CHECK(force.status == 422);
  CHECK(str(body_of(force), {"message"}).find("force: Forbidden: may not be specified for non-apply patch") !=
        std::string::npos);
}

TEST_CASE("apply creates a missing object and updates it, recording managedFields", "[testing][fake]") {
  FakeApiServer server;
  const std::string applied = R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"s"},"data":{"a":"1"}})";
  auto created = send(server, verb::patch, cm_url + "/s?fieldManager=me", applied, "application/apply-patch+yaml");
  REQUIRE(created.status == 201);
  CHECK(str(body_of(created), {"data", "a"}) == "1");
  CHECK(str(body_of(created).at("metadata").at("managedFields").at(0), {"manager"}) == "me");
  auto updated = send(server, verb::patch, cm_url + "/s?fieldManager=me",
                      R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"s"},"data":{"a":"2"}})",
                      "application/apply-patch+yaml");
  REQUIRE(updated.status == 200);
  CHECK(str(body_of(updated), {"data", "a"}) == "2");
  auto status_missing =
      send(server, verb::patch, "/api/v1/namespaces/default/pods/none/status?fieldManager=me",
           R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"none"}})", "application/apply-patch+yaml");
  CHECK(status_missing.status == 404);
}

TEST_CASE("a merge patch of /status changes only status", "[testing][fake]") {
  FakeApiServer server;
  const std::string url = "/apis/batch/v1/namespaces/default/jobs";
  REQUIRE(send(server, verb::post, url, R"({"metadata":{"name":"j"},"spec":{"parallelism":1}})").status == 201);
  auto patched = send(server, verb::patch, url + "/j/status", R"({"spec":{"parallelism":5},"status":{"active":1}})",
                      "application/merge-patch+json");
  REQUIRE(patched.status == 200);
  CHECK(str(body_of(patched), {"status", "active"}) == "1");
  CHECK(str(body_of(patched), {"spec", "parallelism"}) == "1");
  CHECK(str(body_of(patched), {"metadata", "generation"}) == "1");
}

TEST_CASE("unknown paths and methods answer 404 and 405", "[testing][fake]") {
  FakeApiServer server;
  CHECK(send(server, verb::get, "/api/v1/widgets").status == 404);
  CHECK(send(server, verb::get, "/api/v1/namespaces/default/configmaps/a/scale").status == 404);
  auto post = send(server, verb::post, cm_url + "/a", "{}");
  CHECK(post.status == 405);
  CHECK(body_of(post).at("reason") == "MethodNotAllowed");
}

TEST_CASE("a CRD's deletion waits for instances held by finalizers", "[testing][fake]") {
  FakeApiServer server;
  const std::string crd_url = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
  REQUIRE(send(server, verb::post, crd_url, crd).status == 201);
  const std::string url = "/apis/example.com/v1/namespaces/default/widgets";
  REQUIRE(
      send(server, verb::post, url,
           R"({"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w","finalizers":["example.com/f"]}})")
          .status == 201);
  auto watch = open(server, url + "?watch=1&resourceVersion=" + std::to_string(server.resource_version()));
  send(server, verb::delete_, crd_url + "/widgets.example.com");
  REQUIRE(server.object(crd_url + "/widgets.example.com"));
  json::value held = *server.object(url + "/w");
  CHECK(str(held, {"metadata", "deletionTimestamp"}) != "<absent>");
  auto seen = events(*watch);
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].at("type") == "MODIFIED");
  CHECK(seen[0].at("object").at("apiVersion") == "example.com/v1");
  held.at("metadata").as_object().erase("finalizers");
  CHECK(send(server, verb::put, url + "/w", json::serialize(held)).status == 200);
  CHECK_FALSE(server.object(crd_url + "/widgets.example.com"));
  CHECK(send(server, verb::get, url).status == 404);
}

TEST_CASE("metadata-only requests answer PartialObjectMetadata", "[testing][fake]") {
  FakeApiServer server;
  create_cm(server, "a", R"(,"labels":{"app":"x"})");
  const std::string accept_one = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1";
  const std::string accept_list = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";
  FakeRequest get;
  get.target = cm_url + "/a";
  get.accept = accept_one;
  const auto one = body_of(server.handle(get));
  CHECK(str(one, {"kind"}) == "PartialObjectMetadata");
  CHECK(str(one, {"apiVersion"}) == "meta.k8s.io/v1");
  CHECK(str(one, {"metadata", "labels", "app"}) == "x");
  CHECK(str(one, {"data"}) == "<absent>");

  FakeRequest list;
  list.target = cm_url;
  list.accept = accept_list;
  const auto items = body_of(server.handle(list));
  CHECK(str(items, {"kind"}) == "PartialObjectMetadataList");
  REQUIRE(items.at("items").as_array().size() == 1);
  CHECK(str(items.at("items").at(0), {"kind"}) == "PartialObjectMetadata");
  CHECK(str(items.at("items").at(0), {"data"}) == "<absent>");

  FakeRequest watch_request;
  watch_request.target = cm_url + "?watch=true";
  watch_request.accept = accept_one;
  auto opened = server.open_watch(watch_request);
  REQUIRE(std::holds_alternative<std::shared_ptr<kopp::testing::FakeWatch>>(opened));
  auto watch = std::get<std::shared_ptr<kopp::testing::FakeWatch>>(opened);
  send(server, verb::patch, cm_url + "/a", R"({"data":{"k":"w"}})", "application/merge-patch+json");
  const auto seen = events(*watch);
  REQUIRE(seen.size() == 2);
  CHECK(str(seen[1], {"type"}) == "MODIFIED");
  CHECK(str(seen[1], {"object", "kind"}) == "PartialObjectMetadata");
  CHECK(str(seen[1], {"object", "data"}) == "<absent>");
}

TEST_CASE("objects come back as the server encodes them: sorted map keys, no empty labels", "[testing][fake]") {
  FakeApiServer server;
  auto created = send(server, verb::post, cm_url,
                      R"({"metadata":{"name":"a","labels":{"z":"1","a":"2"}},"data":{"b":"1","a":"2"}})");
  REQUIRE(created.status == 201);
  CHECK(json::serialize(body_of(created).at("data")) == R"({"a":"2","b":"1"})");
  CHECK(json::serialize(body_of(created).at("metadata").at("labels")) == R"({"a":"2","z":"1"})");
  auto emptied = send(server, verb::patch, cm_url + "/a", R"({"metadata":{"labels":{"z":null,"a":null}}})",
                      "application/merge-patch+json");
  CHECK(str(body_of(emptied), {"metadata", "labels"}) == "<absent>");
}

TEST_CASE("a DELETE's dryRun in its DeleteOptions body deletes nothing", "[testing][fake]") {
  FakeApiServer server;
  create_cm(server, "a");
  CHECK(send(server, verb::delete_, cm_url + "/a", R"({"dryRun":["All"]})").status == 200);
  CHECK(send(server, verb::get, cm_url + "/a").status == 200);
  CHECK(send(server, verb::delete_, cm_url + "/a", R"({"dryRun":["Some"]})").status == 422);
}
