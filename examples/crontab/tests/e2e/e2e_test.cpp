// End to end: the crontab-operator binary against a real control plane (kopp's local one,
// through kopp::testing::ControlPlane), authenticated as its own ServiceAccount with the RBAC of config/rbac,
// so a missing permission fails the test.
//
// Environment (ctest sets it): KOPP_CONTROLPLANE and KOPP_CONTROLPLANE_DIR (the control
// plane kopp_add_controlplane_test started, which ControlPlane::attach() finds),
// CRONTAB_OPERATOR (the operator binary), CRONTAB_CONFIG_DIR (the project's config/).
//
// The schedules are real (`* * * * *`): the scenarios run side by side on several
// CronTabs and wait for two minute boundaries (75-90 s, at most about 2.5 minutes). A
// control plane without kubelet never runs pods, so Jobs stay active until the test plays
// kubelet and marks their pods Succeeded.

#include <crontab/crd.hpp>
#include <crontab/jobs.hpp>
#include <crontab/plan.hpp>
#include <crontab/rbac.hpp>
#include <crontab/schedule.hpp>
#include <crontab/types.hpp>
#include <crontab/v2beta1.hpp>

#include <kopp/api/core/v1.hpp>
#include <kopp/api/events/v1.hpp>
#include <kopp/client.hpp>
#include <kopp/client/detail/pem.hpp>
#include <kopp/core/crd/yaml.hpp>
#include <kopp/runtime/webhook/serving_certificate.hpp>
#include <kopp/testing/audit_log.hpp>
#include <kopp/testing/control_plane.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern "C" char** environ;

namespace {

using namespace std::chrono_literals;
using boost::asio::awaitable;
using crontab::CronTab;
using crontab::Job;
using Pod = kopp::api::core::v1::Pod;
using Event = kopp::api::events::v1::Event;
namespace fs = std::filesystem;

std::string env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') FAIL(name << " is not set: run the end-to-end test through ctest");
  return value;
}

std::string random_suffix() {
  std::mt19937_64 rng{std::random_device{}()};
  std::string s;
  for (int i = 0; i < 6; ++i) s += "abcdefghijklmnopqrstuvwxyz0123456789"[rng() % 36];
  return s;
}

// ---- processes -------------------------------------------------------------------------

pid_t spawn(const std::vector<std::string>& args, const fs::path& output) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, output.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  errno = rc;
  return rc == 0 ? pid : -1;
}

pid_t spawn_or_fail(const std::vector<std::string>& args, const fs::path& output) {
  const pid_t pid = spawn(args, output);
  if (pid < 0) FAIL("cannot start " << args[0] << ": " << std::strerror(errno));
  return pid;
}

/// Waits for `pid`; its exit code, 128 + signal, or -1 when `timeout` passed first.
int wait_exit(pid_t pid, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::this_thread::sleep_for(50ms);
  }
  return -1;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// ---- the API ---------------------------------------------------------------------------

/// The control plane CTest started for this test (kopp_add_controlplane_test).
const kopp::testing::ControlPlane& control_plane() {
  static const kopp::testing::ControlPlane plane = kopp::testing::ControlPlane::attach();
  return plane;
}

/// Runs one coroutine against the admin client on a fresh io_context.
template <class T>
T api(std::function<awaitable<T>(kopp::Client&)> body) {
  boost::asio::io_context io;
  auto task = [&]() -> awaitable<T> {
    kopp::Client client(co_await boost::asio::this_coro::executor, control_plane().admin_config());
    co_return co_await body(client);
  };
  auto future = boost::asio::co_spawn(io, task(), boost::asio::use_future);
  io.run();
  return future.get();
}

std::vector<Job> jobs_of(const std::string& ns, const std::string& crontab_name) {
  return api<std::vector<Job>>([&](kopp::Client& c) -> awaitable<std::vector<Job>> {
    kopp::ListParams params;
    params.labels(std::string(crontab::crontab_label) + "=" + crontab_name);
    auto list = co_await kopp::Api<Job>(c, ns).list(params);
    co_return std::move(list.items);
  });
}

std::vector<std::string> names_of(const std::vector<Job>& jobs, bool include_deleting = false) {
  std::vector<std::string> names;
  for (const auto& j : jobs)
    if (include_deleting || !j.metadata.deletionTimestamp) names.push_back(j.metadata.name);
  std::sort(names.begin(), names.end());
  return names;
}

CronTab get_crontab(const std::string& ns, const std::string& name) {
  return api<CronTab>(
      [&](kopp::Client& c) -> awaitable<CronTab> { co_return co_await kopp::Api<CronTab>(c, ns).get(name); });
}

bool has_event(const std::string& ns, const std::string& regarding, const std::string& reason) {
  const auto events = api<std::vector<Event>>([&](kopp::Client& c) -> awaitable<std::vector<Event>> {
    auto list = co_await kopp::Api<Event>(c, ns).list();
    co_return std::move(list.items);
  });
  return std::any_of(events.begin(), events.end(),
                     [&](const Event& e) { return e.regarding.name == regarding && e.reason == reason; });
}

std::string ready_reason(const CronTab& ct) {
  const kopp::Condition* c = kopp::find_status_condition(ct.status.conditions, crontab::condition_ready);
  return c == nullptr ? "<no Ready condition>" : c->status + "/" + c->reason;
}

/// Plays kubelet: every pod of the Job ran to completion.
void complete_job_pods(const std::string& ns, const std::string& job) {
  api<void>([&](kopp::Client& c) -> awaitable<void> {
    kopp::Api<Pod> pods(c, ns);
    kopp::ListParams params;
    params.labels("job-name=" + job);
    const auto list = co_await pods.list(params);
    for (const auto& pod : list.items) {
      const kopp::Patch patch = kopp::Patch::merge(boost::json::parse(R"({"status":{"phase":"Succeeded"}})"));
      co_await pods.patch_status(pod.metadata.name, patch);
    }
  });
}

std::size_t pod_count(const std::string& ns, const std::string& job) {
  return api<std::size_t>([&](kopp::Client& c) -> awaitable<std::size_t> {
    kopp::ListParams params;
    params.labels("job-name=" + job);
    const auto list = co_await kopp::Api<Pod>(c, ns).list(params);
    co_return list.items.size();
  });
}

/// {status, body} of GET http://127.0.0.1:port/target; {0, why} when nothing answers.
std::pair<unsigned, std::string> http_get(unsigned short port, const std::string& target) {
  namespace http = boost::beast::http;
  try {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket socket(io);
    socket.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    http::request<http::empty_body> request(http::verb::get, target, 11);
    http::write(socket, request);
    boost::beast::flat_buffer buffer;
    http::response<http::string_body> response;
    http::read(socket, buffer, response);
    return {response.result_int(), response.body()};
  } catch (const std::exception& e) {
    return {0, e.what()};
  }
}

unsigned short free_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

// ---- waiting ---------------------------------------------------------------------------

/// Polls `check` (which returns "" when satisfied, else what it saw) until `deadline`;
/// fails the test naming what it waited for and what it saw last.
void wait_until(const std::string& what, std::chrono::system_clock::time_point deadline,
                const std::function<std::string()>& check) {
  std::string seen;
  const auto started = std::chrono::system_clock::now();
  while (true) {
    seen = check();
    if (seen.empty()) return;
    if (std::chrono::system_clock::now() >= deadline) break;
    std::this_thread::sleep_for(500ms);
  }
  const auto waited = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now() - started);
  FAIL("timed out after " << waited.count() << " s waiting for: " << what << "\n  last seen: " << seen);
}

std::string join(const std::vector<std::string>& items) {
  std::string out = "[";
  for (const auto& i : items) out += (out.size() > 1 ? ", " : "") + i;
  return out + "]";
}

/// Everything the test made, removed whatever happens; the operator's log is printed when
/// the test fails.
struct Environment {
  fs::path scratch;
  std::string ns;
  fs::path rbac_kustomization;
  fs::path webhook_kustomization;  // cluster-scoped webhook configurations, when registered
  pid_t operator_pid = -1;

  ~Environment() {
    if (operator_pid > 0) {
      kill(operator_pid, SIGKILL);
      wait_exit(operator_pid, 10s);
    }
    if (std::uncaught_exceptions() > 0) {
      const std::string log = read_file(scratch / "operator.log");
      std::fprintf(stderr, "---- operator log (last 6000 bytes) ----\n%s\n----\n",
                   log.substr(log.size() > 6000 ? log.size() - 6000 : 0).c_str());
    }
    // Deleting the namespace removes the CronTabs, Jobs, Pods and Events; the RBAC objects
    // are removed by name. The shared CRD stays: other runs may use it.
    std::vector<std::vector<std::string>> deletes;
    if (!webhook_kustomization.empty())
      deletes.push_back({"delete", "-k", webhook_kustomization.string(), "--ignore-not-found", "--wait=false"});
    if (!rbac_kustomization.empty())
      deletes.push_back({"delete", "-k", rbac_kustomization.string(), "--ignore-not-found", "--wait=false"});
    deletes.push_back({"delete", "namespace", ns, "--ignore-not-found", "--wait=false"});
    for (const auto& args : deletes) {
      try {
        control_plane().kubectl(args);
      } catch (const std::exception& error) {
        std::fprintf(stderr, "cleanup: %s\n", error.what());
      }
    }
    std::error_code ec;
    fs::remove_all(scratch, ec);
  }
};

CronTab make_crontab(const std::string& name, const std::string& schedule) {
  CronTab ct;
  ct.metadata.name = name;
  ct.spec.cronSpec = schedule;
  ct.spec.image = "busybox:1.36";
  return ct;
}

std::chrono::sys_seconds first_run(const CronTab& created) {
  const auto schedule = crontab::CronSchedule::parse(created.spec.cronSpec);
  return schedule.next_after(
      std::chrono::floor<std::chrono::seconds>(created.metadata.creationTimestamp->time_point()));
}

/// A namespace `<name_prefix><random>`, the CRD, and config/rbac for the operator under
/// unique names; returns the operator's kubeconfig (its ServiceAccount's token).
std::string prepare(Environment& e, const std::string& name_prefix) {
  const auto& plane = control_plane();
  const fs::path config = env("CRONTAB_CONFIG_DIR");
  e.ns = name_prefix + random_suffix();
  e.scratch = fs::temp_directory_path() / e.ns;
  fs::create_directories(e.scratch);
  const std::string prefix = e.ns + "-";

  // [doc:control-plane-attach] (docs/testing.md shows this)
  // The CRD (cluster-wide, shared, idempotent) and the RBAC under unique names, so runs in
  // parallel do not collide: a kustomization over config/rbac with a namespace and prefix.
  plane.install_crds({config / "crd" / "example.com_crontabs.yaml"});
  plane.kubectl({"create", "namespace", e.ns});
  e.rbac_kustomization = e.scratch / "rbac";
  fs::create_directories(e.rbac_kustomization);
  std::ofstream(e.rbac_kustomization / "kustomization.yaml")
      << "namespace: " << e.ns << "\nnamePrefix: " << prefix << "\nresources:\n- "
      << fs::relative(config / "rbac", e.rbac_kustomization).string() << "\n";
  plane.kubectl({"apply", "-k", e.rbac_kustomization.string()});
  const std::string operator_kubeconfig =
      plane.service_account_kubeconfig(e.ns, prefix + "crontab-operator", e.scratch / "operator.kubeconfig").string();
  // [/doc]
  return operator_kubeconfig;
}

/// Waits until the operator's /readyz answers 200.
void wait_ready(unsigned short health_port) {
  wait_until("the operator's /readyz to answer 200", std::chrono::system_clock::now() + 60s, [&] {
    const auto [status, body] = http_get(health_port, "/readyz");
    return status == 200 ? std::string() : "HTTP " + std::to_string(status) + " " + body;
  });
}

}  // namespace

TEST_CASE("crontab-operator end to end: schedules, policies, history, suspend, restart", "[e2e]") {
  Environment e;
  const std::string operator_binary = env("CRONTAB_OPERATOR");
  const std::string operator_kubeconfig = prepare(e, "crontab-e2e-");

  const unsigned short health_port = free_port();
  const unsigned short metrics_port = free_port();
  const auto start_operator = [&] {
    // Cluster-wide (no --namespace), as the Deployment runs it, with leader election in
    // the test's namespace: every permission of config/rbac is exercised.
    e.operator_pid = spawn_or_fail({operator_binary, "--kubeconfig", operator_kubeconfig, "--leader-elect",
                                    "--leader-election-id", "crontab-operator", "--leader-election-namespace", e.ns,
                                    "--health-probe-bind-address", "127.0.0.1:" + std::to_string(health_port),
                                    "--metrics-bind-address", "127.0.0.1:" + std::to_string(metrics_port),
                                    // The webhooks are the next test case's.
                                    "--webhook-bind-address", "0"},
                                   e.scratch / "operator.log");
    wait_ready(health_port);
  };
  const auto stop_operator = [&] {
    kill(e.operator_pid, SIGTERM);
    const int code = wait_exit(e.operator_pid, 45s);
    INFO("operator exit code (-1: still running 45 s after SIGTERM)");
    REQUIRE(code == 0);
    e.operator_pid = -1;
  };
  start_operator();

  // The scenarios, side by side.
  CronTab allow = make_crontab("allow", "* * * * *");
  allow.spec.successfulJobsHistoryLimit = 1;
  CronTab forbid = make_crontab("forbid", "* * * * *");
  forbid.spec.concurrencyPolicy = crontab::ConcurrencyPolicy::Forbid;
  CronTab replace = make_crontab("replace", "* * * * *");
  replace.spec.concurrencyPolicy = crontab::ConcurrencyPolicy::Replace;
  CronTab suspended = make_crontab("suspended", "* * * * *");
  suspended.spec.suspend = true;
  CronTab invalid = make_crontab("invalid", "0 0 30 2 *");  // the CRD's pattern lets it through
  std::map<std::string, CronTab> created;
  for (CronTab* ct : {&allow, &forbid, &replace, &suspended, &invalid}) {
    const CronTab result = api<CronTab>(
        [&](kopp::Client& c) -> awaitable<CronTab> { co_return co_await kopp::Api<CronTab>(c, e.ns).create(*ct); });
    created[result.metadata.name] = result;
  }
  // The server applied the CRD's defaults.
  CHECK(created["allow"].spec.concurrencyPolicy == crontab::ConcurrencyPolicy::Allow);
  CHECK(created["forbid"].spec.failedJobsHistoryLimit == 1);
  CHECK(created["forbid"].spec.successfulJobsHistoryLimit == 3);

  // An invalid spec is reported, not retried; a suspended one waits.
  wait_until("invalid to be Ready=False/InvalidSpec with a Warning event", std::chrono::system_clock::now() + 30s, [&] {
    const CronTab ct = get_crontab(e.ns, "invalid");
    if (ready_reason(ct) != "False/InvalidSpec") return "Ready " + ready_reason(ct);
    return has_event(e.ns, "invalid", "InvalidSpec") ? std::string() : std::string("no InvalidSpec event");
  });
  wait_until("suspended to be Ready=False/Suspended", std::chrono::system_clock::now() + 30s, [&] {
    const std::string r = ready_reason(get_crontab(e.ns, "suspended"));
    return r == "False/Suspended" ? std::string() : "Ready " + r;
  });

  // First minute boundary: one Job each, named after the run's minute.
  std::map<std::string, std::string> first_job;
  for (const char* name : {"allow", "forbid", "replace"}) {
    const auto run_time = first_run(created[name]);
    first_job[name] = crontab::job_name(name, run_time);
    wait_until(std::string(name) + "'s Job " + first_job[name] + " for " + kopp::Time(run_time).to_string(),
               run_time + 30s, [&] {
                 const auto jobs = names_of(jobs_of(e.ns, name));
                 return jobs == std::vector<std::string>{first_job[name]} ? std::string() : "jobs " + join(jobs);
               });
    wait_until(std::string(name) + "'s status to list its active Job", run_time + 40s, [&] {
      const CronTab ct = get_crontab(e.ns, name);
      std::vector<std::string> active;
      for (const auto& ref : ct.status.active) active.push_back(ref.name);
      const std::string last = ct.status.lastScheduleTime ? ct.status.lastScheduleTime->to_string() : "none";
      if (active == std::vector<std::string>{first_job[name]} && last == kopp::Time(run_time).to_string())
        return std::string();
      return "active " + join(active) + ", lastScheduleTime " + last;
    });
  }

  // A restarted operator (SIGTERM: graceful, exit 0) creates no second Job for a run.
  stop_operator();
  start_operator();
  wait_until("the restarted operator to reconcile", std::chrono::system_clock::now() + 30s, [&] {
    const auto [status, body] = http_get(metrics_port, "/metrics");
    return body.find("controller_runtime_reconcile_total{controller=\"crontab\",result=\"success\"}") !=
                   std::string::npos
               ? std::string()
               : "no successful reconcile in /metrics (HTTP " + std::to_string(status) + ")";
  });
  std::this_thread::sleep_for(2s);
  {
    INFO("the restart must be checked before the second run; it took too long");
    REQUIRE(std::chrono::system_clock::now() + 1s < first_run(created["allow"]) + std::chrono::minutes(1));
  }
  for (const char* name : {"allow", "forbid", "replace"}) {
    INFO(name << " after the restart");
    CHECK(names_of(jobs_of(e.ns, name), true) == std::vector<std::string>{first_job[name]});
  }
  CHECK(jobs_of(e.ns, "suspended").empty());
  CHECK(jobs_of(e.ns, "invalid").empty());

  // Play kubelet for allow's first run; the job controller completes the Job, the
  // operator records lastSuccessfulTime.
  wait_until("the pod of " + first_job["allow"], std::chrono::system_clock::now() + 30s,
             [&] { return pod_count(e.ns, first_job["allow"]) > 0 ? std::string() : std::string("no pod yet"); });
  complete_job_pods(e.ns, first_job["allow"]);
  wait_until("allow's lastSuccessfulTime, and its first Job no longer active", std::chrono::system_clock::now() + 40s,
             [&] {
               const CronTab ct = get_crontab(e.ns, "allow");
               std::vector<std::string> active;
               for (const auto& ref : ct.status.active) active.push_back(ref.name);
               const bool first_active = std::find(active.begin(), active.end(), first_job["allow"]) != active.end();
               if (ct.status.lastSuccessfulTime && !first_active) return std::string();
               return "lastSuccessfulTime " +
                      (ct.status.lastSuccessfulTime ? ct.status.lastSuccessfulTime->to_string() : std::string("none")) +
                      ", active " + join(active);
             });

  // Second minute boundary.
  const auto second = [&](const std::string& name) { return first_run(created[name]) + std::chrono::minutes(1); };
  const std::string allow_second = crontab::job_name("allow", second("allow"));
  const std::string replace_second = crontab::job_name("replace", second("replace"));
  wait_until("allow's second Job " + allow_second, second("allow") + 30s, [&] {
    const auto jobs = names_of(jobs_of(e.ns, "allow"));
    return jobs == std::vector<std::string>{first_job["allow"], allow_second} ? std::string() : "jobs " + join(jobs);
  });
  wait_until("replace's second Job " + replace_second + " to replace the first", second("replace") + 30s, [&] {
    const auto jobs = names_of(jobs_of(e.ns, "replace"));
    return jobs == std::vector<std::string>{replace_second} ? std::string() : "jobs " + join(jobs);
  });
  wait_until("replace's status to list only the new Job", second("replace") + 40s, [&] {
    std::vector<std::string> active;
    for (const auto& ref : get_crontab(e.ns, "replace").status.active) active.push_back(ref.name);
    return active == std::vector<std::string>{replace_second} ? std::string() : "active " + join(active);
  });
  // Forbid: the first run is still active (no kubelet), so the second is skipped.
  wait_until("forbid to skip its second run (JobAlreadyActive)", second("forbid") + 30s, [&] {
    if (std::chrono::system_clock::now() < second("forbid") + 5s) return std::string("before the second run");
    return has_event(e.ns, "forbid", "JobAlreadyActive") ? std::string() : std::string("no JobAlreadyActive event");
  });
  CHECK(names_of(jobs_of(e.ns, "forbid"), true) == std::vector<std::string>{first_job["forbid"]});
  CHECK(jobs_of(e.ns, "suspended").empty());

  // History: allow keeps one successful Job; completing the second deletes the first.
  wait_until("the pod of " + allow_second, std::chrono::system_clock::now() + 30s,
             [&] { return pod_count(e.ns, allow_second) > 0 ? std::string() : std::string("no pod yet"); });
  complete_job_pods(e.ns, allow_second);
  wait_until("allow's history to keep only " + allow_second, std::chrono::system_clock::now() + 40s, [&] {
    const auto jobs = names_of(jobs_of(e.ns, "allow"), true);
    // A third run may have started meanwhile; the first must be gone.
    const bool first_gone = std::find(jobs.begin(), jobs.end(), first_job["allow"]) == jobs.end();
    const bool second_kept = std::find(jobs.begin(), jobs.end(), allow_second) != jobs.end();
    return first_gone && second_kept ? std::string() : "jobs " + join(jobs);
  });
  wait_until("allow's SuccessfulCreate and SuccessfulDelete events", std::chrono::system_clock::now() + 15s, [&] {
    if (!has_event(e.ns, "allow", "SuccessfulCreate")) return std::string("no SuccessfulCreate event");
    return has_event(e.ns, "allow", "SuccessfulDelete") ? std::string() : std::string("no SuccessfulDelete event");
  });

  stop_operator();

  // [doc:role-minimal] (docs/testing.md shows this)
  // config/rbac/role.yaml (generated from make_controller's declaration) is minimal: the
  // API server's audit log shows the operator's ServiceAccount using every verb on every
  // resource it grants, but for these, each for a reason this run cannot show.
  const auto requests = kopp::testing::audited_requests(
      control_plane().audit_log(), "system:serviceaccount:" + e.ns + ":" + e.ns + "-crontab-operator");
  REQUIRE_FALSE(requests.empty());
  const std::vector<std::string> exceptions{
      // Read back only when a run's create finds its Job already there (a retried
      // reconcile, a restarted operator whose cache has not seen the Job yet).
      "batch/jobs get",
      // owns<Job>() grants server-side apply (create, patch), the way kopp writes owned
      // objects; CronTab creates each run's Job once and never patches one.
      "batch/jobs patch",
      // A repeated Event's series; this run emits each Event once.
      "events.k8s.io/events patch",
      // Not a request: the OwnerReferencesPermissionEnforcement admission plugin (off in the
      // local control plane, on in some distributions) checks it when a Job's owner
      // reference blocks the CronTab's deletion.
      "example.com/crontabs/finalizers update",
  };
  CHECK(kopp::testing::unused_grants(crontab::rbac_manifest(), requests) == exceptions);
  // The leader-election Role: the run creates, reads and renews the Lease.
  CHECK(kopp::testing::unused_grants(crontab::leader_election_manifest(), requests).empty());
  // [/doc]
}

namespace {

/// "" when the create is accepted, else the HTTP status and the API server's message.
std::string create_refusal(const std::string& ns, const CronTab& crontab, bool dry_run = false) {
  return api<std::string>([&](kopp::Client& c) -> awaitable<std::string> {
    kopp::PostParams params;
    params.dry_run = dry_run;
    try {
      co_await kopp::Api<CronTab>(c, ns).create(crontab, params);
      co_return std::string();
    } catch (const kopp::api_error& e) {
      co_return std::to_string(e.http_status()) + " " + e.what();
    }
  });
}

/// Reads `name` as K, applies `change` and replaces it, again on a conflict (the operator
/// writes the status meanwhile). "" when accepted, else the API server's refusal.
template <class K>
awaitable<std::string> change_and_replace(kopp::Api<K>& api, const std::string& name, std::function<void(K&)> change) {
  for (int attempt = 0;; ++attempt) {
    K object = co_await api.get(name);
    change(object);
    try {
      co_await api.replace(object);
      co_return std::string();
    } catch (const kopp::api_error& error) {
      if (error.http_status() != 409 || attempt == 10) co_return std::string(error.what());
    }
  }
}

}  // namespace

TEST_CASE("crontab-operator webhooks: defaulting, validation, v1 and v2beta1 through the conversion webhook",
          "[e2e][webhook]") {
  Environment e;
  const auto& plane = control_plane();
  const std::string operator_binary = env("CRONTAB_OPERATOR");
  const fs::path config = env("CRONTAB_CONFIG_DIR");
  const std::string operator_kubeconfig = prepare(e, "crontab-webhooks-");

  // A CA and a serving certificate for 127.0.0.1, in a directory as cert-manager's Secret
  // volume has them (tls.crt, tls.key, ca.crt).
  const auto certificate = kopp::make_self_signed_certificate({"127.0.0.1"});
  kopp::write_certificate_directory(certificate, e.scratch / "certs");
  const std::string ca_bundle = kopp::detail::base64_encode(certificate.ca_pem);
  const unsigned short health_port = free_port();
  const unsigned short webhook_port = free_port();
  const std::string webhook_url = "https://127.0.0.1:" + std::to_string(webhook_port);
  e.operator_pid = spawn_or_fail({operator_binary,
                                  "--kubeconfig",
                                  operator_kubeconfig,
                                  "--namespace",
                                  e.ns,
                                  "--leader-elect",
                                  "--leader-election-id",
                                  "crontab-operator",
                                  "--leader-election-namespace",
                                  e.ns,
                                  "--health-probe-bind-address",
                                  "127.0.0.1:" + std::to_string(health_port),
                                  "--metrics-bind-address",
                                  "0",
                                  "--webhook-bind-address",
                                  "127.0.0.1:" + std::to_string(webhook_port),
                                  "--webhook-cert-dir",
                                  (e.scratch / "certs").string(),
                                  "--default-image",
                                  "busybox:1.36"},
                                 e.scratch / "operator.log");
  wait_ready(health_port);

  // config/webhook's generated configurations, pointed at the operator and scoped to this
  // test's namespace (other tests share the control plane); the CRD's conversion too.
  e.webhook_kustomization = e.scratch / "webhook";
  fs::create_directories(e.webhook_kustomization);
  {
    std::ofstream out(e.webhook_kustomization / "kustomization.yaml");
    out << "namespace: " << e.ns << "\nnameSuffix: -" << e.ns << "\nresources:\n- "
        << fs::relative(config / "webhook", e.webhook_kustomization).string() << "\npatches:\n";
    for (const auto& [kind, path] :
         {std::pair<std::string, std::string>{"ValidatingWebhookConfiguration", "/validate-example-com-v1-crontab"},
          {"MutatingWebhookConfiguration", "/mutate-example-com-v1-crontab"}})
      out << "- target: {kind: " << kind << "}\n  patch: |-\n"
          << "    - {op: remove, path: /webhooks/0/clientConfig/service}\n"
          << "    - {op: add, path: /webhooks/0/clientConfig/url, value: \"" << webhook_url << path << "\"}\n"
          << "    - {op: add, path: /webhooks/0/clientConfig/caBundle, value: \"" << ca_bundle << "\"}\n"
          << "    - {op: add, path: /webhooks/0/namespaceSelector, value: {matchLabels: "
          << "{kubernetes.io/metadata.name: " << e.ns << "}}}\n";
  }
  plane.kubectl({"apply", "-k", e.webhook_kustomization.string()});
  // The CRD as config/crd has it, its conversion at the operator's URL instead of the
  // Service, applied by the same field manager as install_crds(): the next install_crds()
  // (another test, another run) puts the Service back rather than adding it beside the URL.
  {
    auto crd = crontab::custom_resource_definition();
    auto& client_config = crd.at("spec").at("conversion").at("webhook").at("clientConfig").as_object();
    client_config.erase("service");
    client_config["url"] = webhook_url + "/convert";
    client_config["caBundle"] = ca_bundle;
    std::ofstream(e.scratch / "crd.yaml") << kopp::crd::to_yaml(crd);
  }
  plane.install_crds({e.scratch / "crd.yaml"});

  // Validation: what the CRD's pattern lets through is refused, naming the field. Until the
  // API server's webhook cache has the configuration a write may pass: probe with dry runs.
  const CronTab february = make_crontab("february", "0 0 30 2 *");
  wait_until("a dry run of a CronTab for February 30th to be refused", std::chrono::system_clock::now() + 30s, [&] {
    const std::string refusal = create_refusal(e.ns, february, true);
    return refusal.find("spec.cronSpec") != std::string::npos ? std::string() : "got: " + refusal;
  });
  const std::string refusal = create_refusal(e.ns, february);
  CHECK_THAT(refusal, Catch::StartsWith("422 "));
  CHECK_THAT(refusal, Catch::Contains("spec.cronSpec") && Catch::Contains("never"));

  // Defaulting: no image -> the operator's --default-image; an update into an invalid
  // schedule is refused.
  CronTab imageless = make_crontab("imageless", "*/5 * * * *");
  imageless.spec.image.clear();
  const CronTab defaulted = api<CronTab>(
      [&](kopp::Client& c) -> awaitable<CronTab> { co_return co_await kopp::Api<CronTab>(c, e.ns).create(imageless); });
  CHECK(defaulted.spec.image == "busybox:1.36");
  const std::string update_refusal = api<std::string>([&](kopp::Client& c) -> awaitable<std::string> {
    kopp::Api<CronTab> crontabs(c, e.ns);
    co_return co_await change_and_replace<CronTab>(crontabs, "imageless",
                                                   [](CronTab& ct) { ct.spec.cronSpec = "61 * * * *"; });
  });
  CHECK_THAT(update_refusal, Catch::Contains("spec.cronSpec") && Catch::Contains("61"));

  api<void>([&](kopp::Client& c) -> awaitable<void> {
    kopp::Api<CronTab> v1(c, e.ns);
    kopp::Api<crontab::v2beta1::CronTab> v2(c, e.ns);

    // Written in v2beta1 without an image: converted to v1, defaulted, validated, stored.
    crontab::v2beta1::CronTab office;
    office.metadata.name = "office-hours";
    office.spec.schedule.minute = "*/5";
    office.spec.schedule.hour = "9-17";
    co_await v2.create(office);
    const CronTab office_v1 = co_await v1.get("office-hours");
    CHECK(office_v1.spec.cronSpec == "*/5 9-17 * * *");
    CHECK(office_v1.spec.image == "busybox:1.36");
    const auto office_v2 = co_await v2.get("office-hours");
    CHECK(office_v2.spec.schedule.minute == std::optional<std::string>("*/5"));
    CHECK_FALSE(office_v2.spec.schedule.dayOfWeek);  // unset in v2beta1, "*" in v1, unset again

    // Written in v1 as a macro v2beta1 cannot hold; edited through v2beta1; still a macro.
    co_await v1.create(make_crontab("hourly", "@hourly"));
    const auto hourly = co_await v2.get("hourly");
    CHECK(hourly.spec.schedule.minute == std::optional<std::string>("0"));
    CHECK(hourly.spec.schedule.hour == std::optional<std::string>("*"));
    CHECK(co_await change_and_replace<crontab::v2beta1::CronTab>(
              v2, "hourly", [](crontab::v2beta1::CronTab& ct) { ct.spec.image = "alpine:3.20"; }) == "");
    const CronTab hourly_v1 = co_await v1.get("hourly");
    CHECK(hourly_v1.spec.cronSpec == "@hourly");
    CHECK(hourly_v1.spec.image == "alpine:3.20");

    // v2beta1's invalid schedule is refused after conversion, by the v1 validator.
    crontab::v2beta1::CronTab bad;
    bad.metadata.name = "bad-minute";
    bad.spec.schedule.minute = "61";
    bad.spec.image = "busybox";
    std::string bad_refusal = "accepted";
    try {
      co_await v2.create(bad);
    } catch (const kopp::api_error& error) {
      bad_refusal = error.what();
    }
    CHECK_THAT(bad_refusal, Catch::Contains("spec.cronSpec"));
  });

  // The operator reconciles what was written in v2beta1 (it reads v1).
  wait_until("office-hours to be Ready=True", std::chrono::system_clock::now() + 30s, [&] {
    const std::string r = ready_reason(get_crontab(e.ns, "office-hours"));
    return r.starts_with("True/") ? std::string() : "Ready " + r;
  });
}
