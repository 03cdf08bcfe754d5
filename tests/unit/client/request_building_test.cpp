#include <kopp/client/api_resource.hpp>
#include <kopp/client/error.hpp>
#include <kopp/client/params.hpp>

#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

TEST_CASE("resource URLs: core and named groups, namespaced and cluster-scoped", "[client][url]") {
  kopp::ApiResource configmaps{"", "v1", "ConfigMap", "configmaps", true};
  CHECK(configmaps.url("default").buffer() == "/api/v1/namespaces/default/configmaps");
  CHECK(configmaps.url("").buffer() == "/api/v1/configmaps");
  CHECK(configmaps.url("ns", "name").buffer() == "/api/v1/namespaces/ns/configmaps/name");
  kopp::ApiResource deployments{"apps", "v1", "Deployment", "deployments", true};
  CHECK(deployments.url("a", "b", "status").buffer() == "/apis/apps/v1/namespaces/a/deployments/b/status");
  kopp::ApiResource namespaces{"", "v1", "Namespace", "namespaces", false};
  CHECK(namespaces.url("ignored", "kube-system").buffer() == "/api/v1/namespaces/kube-system");
  CHECK(namespaces.api_version() == "v1");
  CHECK(deployments.api_version() == "apps/v1");
}

TEST_CASE("resource URLs: path segments are percent-encoded", "[client][url]") {
  kopp::ApiResource configmaps{"", "v1", "ConfigMap", "configmaps", true};
  CHECK(configmaps.url("default", "a b?c#d").buffer() == "/api/v1/namespaces/default/configmaps/a%20b%3Fc%23d");
}

TEST_CASE("resource URLs: a name or namespace that is not one path segment is refused", "[client][url][names]") {
  kopp::ApiResource configmaps{"", "v1", "ConfigMap", "configmaps", true};
  for (const char* name : {".", "..", "a/b", "a%2Fb"}) {
    INFO(name);
    CHECK_THROWS_AS(configmaps.url("default", name), std::invalid_argument);
  }
  CHECK_THROWS_AS(configmaps.url("../kube-system", "a"), std::invalid_argument);
  CHECK(configmaps.url("default").buffer() == "/api/v1/namespaces/default/configmaps");  // the collection
  CHECK_THROWS_WITH(kopp::check_object_name("", "delete"),
                    "delete: the object name \"\" is empty, which would address the whole collection; it "
                    "cannot name one object");
}

TEST_CASE("list and watch parameters become an escaped query", "[client][url]") {
  kopp::ApiResource pods{"", "v1", "Pod", "pods", true};
  kopp::ListParams params;
  params.label_selector = "app in (a,b),tier!=db";
  params.field_selector = "status.phase=Running";
  params.page_size = 2;
  params.continue_token = "abc+/=";
  auto url = pods.url("x");
  params.append_list_query(url);
  CHECK(url.buffer() ==
        "/api/v1/namespaces/x/pods?labelSelector=app%20in%20%28a%2Cb%29%2Ctier%21%3Ddb"
        "&fieldSelector=status.phase%3DRunning&limit=2&continue=abc%2B%2F%3D");
  auto decoded = url.params();
  CHECK((*decoded.find("labelSelector")).value == "app in (a,b),tier!=db");
  CHECK((*decoded.find("continue")).value == "abc+/=");

  kopp::ListParams watch;
  watch.resource_version = "42";
  watch.timeout_seconds = 290;
  auto w = pods.url("");
  watch.append_watch_query(w);
  CHECK(w.buffer() == "/api/v1/pods?watch=1&resourceVersion=42&allowWatchBookmarks=true&timeoutSeconds=290");
}

TEST_CASE("delete options become a DeleteOptions body", "[client][url]") {
  kopp::DeleteParams params;
  params.propagation_policy = kopp::PropagationPolicy::foreground;
  params.grace_period_seconds = 0;
  params.precondition_resource_version = "7";
  CHECK(boost::json::serialize(params.to_body()) ==
        R"({"apiVersion":"v1","kind":"DeleteOptions","propagationPolicy":"Foreground","gracePeriodSeconds":0,)"
        R"("preconditions":{"resourceVersion":"7"}})");
}

TEST_CASE("patch types choose their content type", "[client][url]") {
  CHECK(kopp::Patch::merge({}).content_type() == "application/merge-patch+json");
  CHECK(kopp::Patch::json(boost::json::array{}).content_type() == "application/json-patch+json");
  CHECK(kopp::Patch::strategic({}).content_type() == "application/strategic-merge-patch+json");
  CHECK(kopp::Patch::apply({}).content_type() == "application/apply-patch+yaml");
  kopp::PatchParams pp = kopp::PatchParams::apply("me").forced();
  auto url = boost::urls::url("/x");
  pp.append_query(url);
  CHECK(url.buffer() == "/x?fieldManager=me&force=true");
}

TEST_CASE("HTTP statuses map to kopp error codes", "[client][error]") {
  CHECK(kopp::errc_from_http(404, "NotFound") == kopp::errc::not_found);
  CHECK(kopp::errc_from_http(409, "AlreadyExists") == kopp::errc::already_exists);
  CHECK(kopp::errc_from_http(409, "Conflict") == kopp::errc::conflict);
  CHECK(kopp::errc_from_http(410, "Expired") == kopp::errc::gone);
  CHECK(kopp::errc_from_http(500, "Expired") == kopp::errc::gone);
  CHECK(kopp::errc_from_http(429, "TooManyRequests") == kopp::errc::too_many_requests);
  CHECK(kopp::errc_from_http(503, "") == kopp::errc::server_error);
  CHECK(kopp::errc_from_http(418, "") == kopp::errc::unexpected_status);
  kopp::api_error e(kopp::make_error_code(kopp::errc::not_found), "GET /x: 404");
  CHECK(kopp::is_not_found(e));
  CHECK_FALSE(kopp::is_conflict(e));
  CHECK_NOTHROW(kopp::ignore_not_found(e));
  kopp::api_error c(kopp::make_error_code(kopp::errc::conflict), "PUT /x: 409");
  CHECK_THROWS_AS(kopp::ignore_not_found(c), kopp::api_error);
  CHECK(std::string(e.code().category().name()) == "kopp");
}
