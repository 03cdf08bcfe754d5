// kopp::testing::audited_requests and unused_grants on audit logs written here: which
// events count as a user's requests, and which grants of a role they leave unused. (The
// examples' end-to-end tests read the real kube-apiserver's log.)
#include <kopp/testing/audit_log.hpp>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace {

std::string event(const std::string& user, const std::string& verb, const std::string& group,
                  const std::string& resource, const std::string& subresource, int code) {
  std::string ref = R"({"resource":")" + resource + R"(","namespace":"ns","apiGroup":")" + group + "\"";
  if (!subresource.empty()) ref += R"(,"subresource":")" + subresource + "\"";
  ref += "}";
  return R"({"kind":"Event","stage":"ResponseComplete","verb":")" + verb + R"(","user":{"username":")" + user +
         R"("},"objectRef":)" + ref + R"(,"responseStatus":{"code":)" + std::to_string(code) + "}}";
}

struct TemporaryLog {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("kopp-audit-test-" + std::to_string(std::random_device()()) + ".log");
  ~TemporaryLog() { std::filesystem::remove(path); }
};

}  // namespace

TEST_CASE("audit log: a user's resource requests, with subresources, codes and groups", "[testing][audit]") {
  const std::string op = "system:serviceaccount:ns:op";
  TemporaryLog log;
  {
    std::ofstream out(log.path);
    out << event(op, "list", "apps", "deployments", "", 200) << "\n"
        << event("system:serviceaccount:ns:other", "delete", "apps", "deployments", "", 200) << "\n"
        << event(op, "patch", "cache.example.com", "memcacheds", "status", 200) << "\n"
        << R"({"kind":"Event","verb":"get","user":{"username":")" << op << R"("},"requestURI":"/healthz"})"
        << "\n"
        << event(op, "get", "", "secrets", "", 403) << "\n"
        << R"({"kind":"Event","verb":"watch","user":{"userna)";  // a line being written
  }
  const auto requests = kopp::testing::audited_requests(log.path, op);
  REQUIRE(requests.size() == 3);  // not the other user's, not /healthz, not the cut line
  CHECK(requests[0].verb == "list");
  CHECK(requests[0].api_group == "apps");
  CHECK(requests[0].resource == "deployments");
  CHECK(requests[0].namespace_ == "ns");
  CHECK(requests[1].resource == "memcacheds/status");
  CHECK(requests[2].code == 403);

  const auto role = boost::json::parse(R"({"kind":"ClusterRole","rules":[
      {"apiGroups":["apps"],"resources":["deployments"],"verbs":["list","watch"]},
      {"apiGroups":["cache.example.com"],"resources":["memcacheds/status"],"verbs":["patch"]},
      {"apiGroups":[""],"resources":["secrets"],"verbs":["get"]},
      {"apiGroups":[""],"resources":["configmaps"],"resourceNames":["x"],"verbs":["get"]},
      {"apiGroups":["*"],"resources":["*"],"verbs":["*"]}]})")
                        .as_object();
  // The watch was never made; the forbidden GET used nothing; resourceNames and "*" rules
  // are not named.
  CHECK(kopp::testing::unused_grants(role, requests) ==
        std::vector<std::string>{"apps/deployments watch", "core/secrets get"});
  CHECK(kopp::testing::unused_grants(role, {}).size() == 4);
}

TEST_CASE("audit log: an unreadable file or an overlong line is an error that names the file", "[testing][audit]") {
  CHECK_THROWS_WITH(kopp::testing::audited_requests("/nonexistent/audit.log", "u"),
                    Catch::Contains("/nonexistent/audit.log"));
  TemporaryLog log;
  std::ofstream(log.path) << std::string((1u << 20) + 1, 'x') << "\n";
  CHECK_THROWS_WITH(kopp::testing::audited_requests(log.path, "u"),
                    Catch::Contains(log.path.string() + ":1") && Catch::Contains("1 MiB"));
}
