#pragma once
// kopp::testing::ControlPlane: a real local Kubernetes control plane (etcd, kube-apiserver,
// kube-controller-manager; no scheduler, no kubelet) for a project's integration tests —
// what envtest is to controller-runtime, plus the controller manager, so Deployments get
// ReplicaSets and Pods and garbage collection runs.
//
// The control plane is the kopp-controlplane program, built from Go sources installed with
// kopp (share/kopp/controlplane; the CMake function kopp_add_controlplane_test builds it
// and starts one control plane per group of tests, docs/testing.md). This class drives it:
//
//   // In a test registered with kopp_add_controlplane_test: the one CTest started.
//   auto plane = kopp::testing::ControlPlane::attach();
//   plane.install_crds({"config/crd/cache.example.com_memcacheds.yaml"});
//   kopp::Client client(executor, plane.admin_config());
//   const auto pods = plane.with_client([](kopp::Client& c) -> awaitable<PodList> { ... });
//
//   // Or a control plane of the test's own, stopped when `plane` is destroyed.
//   auto plane = kopp::testing::ControlPlane::start();
//
// Every failure throws ControlPlaneError naming the command and what it printed on stderr.

#include <kopp/client/client.hpp>
#include <kopp/client/config.hpp>
#include <kopp/client/detail/subprocess.hpp>
#include <kopp/client/kubeconfig.hpp>
#include <kopp/testing/run.hpp>

#include <boost/asio/this_coro.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <unistd.h>

namespace kopp::testing {

/// A control-plane command failed, or the control plane cannot be found.
class ControlPlaneError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ControlPlaneOptions {
  ControlPlaneOptions() = default;  // not an aggregate: see "Params objects" in docs/architecture.md
  /// The kopp-controlplane program; empty: $KOPP_CONTROLPLANE (kopp_add_controlplane_test
  /// sets it).
  std::filesystem::path binary;
  /// Its state directory (certificates, etcd data, logs, admin.kubeconfig); empty: a new
  /// temporary directory, removed when the control plane stops.
  std::filesystem::path directory;
  /// How long starting may take (a cold start is about 10 s).
  std::chrono::seconds start_timeout{180};
};

class ControlPlane {
 public:
  /// The control plane CTest started for this test: $KOPP_CONTROLPLANE (the program) and
  /// $KOPP_CONTROLPLANE_DIR (its state directory), which kopp_add_controlplane_test sets.
  /// The returned object does not stop it (the fixture does).
  static ControlPlane attach();
  /// Starts a control plane of its own (free loopback ports); the returned object stops it
  /// when destroyed or by stop().
  static ControlPlane start(ControlPlaneOptions options = {});

  ControlPlane(ControlPlane&& other) noexcept;
  ControlPlane& operator=(ControlPlane&& other) noexcept;
  ControlPlane(const ControlPlane&) = delete;
  ControlPlane& operator=(const ControlPlane&) = delete;
  ~ControlPlane();

  const std::filesystem::path& binary() const noexcept { return binary_; }
  const std::filesystem::path& directory() const noexcept { return directory_; }
  /// The cluster-admin kubeconfig (client certificate).
  std::filesystem::path admin_kubeconfig() const { return directory_ / "admin.kubeconfig"; }
  /// kube-apiserver's audit log: the requests of ServiceAccounts outside kube-system, at
  /// level Metadata, one JSON event per line (kopp/testing/audit_log.hpp reads it).
  std::filesystem::path audit_log() const { return directory_ / "audit.log"; }
  /// A Config from the admin kubeconfig, for kopp::Client.
  Config admin_config() const;

  /// Runs `body` — a coroutine taking a kopp::Client& and returning awaitable<T> — to
  /// completion with a cluster-admin client on an io_context of its own
  /// (kopp::testing::run), and returns its T (or rethrows what it threw): a test's steps
  /// from a plain test function, as FakeCluster::with_client does for the fake cluster.
  template <class Body>
  auto with_client(Body body) const {
    return kopp::testing::run([&]() -> decltype(body(std::declval<Client&>())) {
      Client client(co_await boost::asio::this_coro::executor, admin_config());
      co_return co_await body(client);
    });
  }

  /// Runs kubectl as cluster admin and returns what it printed; throws ControlPlaneError
  /// (with kubectl's stderr) when it exits non-zero.
  std::string kubectl(const std::vector<std::string>& args,
                      std::chrono::seconds timeout = std::chrono::seconds(60)) const;

  /// Applies CustomResourceDefinition YAML files (server-side, so re-running updates them)
  /// and waits until each is Established and its resource is served.
  void install_crds(const std::vector<std::filesystem::path>& files,
                    std::chrono::seconds timeout = std::chrono::seconds(60)) const;

  /// Writes to `out` a kubeconfig that authenticates as ServiceAccount namespace/name (both
  /// created when missing) with a token valid for `lifetime`: run an operator under its
  /// own RBAC. Returns `out`.
  std::filesystem::path service_account_kubeconfig(const std::string& namespace_, const std::string& name,
                                                   const std::filesystem::path& out,
                                                   std::chrono::seconds lifetime = std::chrono::hours(1)) const;

  /// Restarts kube-apiserver on the same port (etcd keeps the data): what an operator
  /// sees during an API server upgrade. Returns once it is ready again.
  void restart_apiserver() const;
  /// Compacts etcd at its current revision and restarts kube-apiserver, so every older
  /// resourceVersion is gone: watches and continue tokens from before get 410 Expired.
  void compact() const;

  /// Stops a control plane this object started (idempotent). An attached one belongs to
  /// CTest's fixture: stopping it is a ControlPlaneError.
  void stop();

 private:
  ControlPlane(std::filesystem::path binary, std::filesystem::path directory, bool owned, bool temporary)
      : binary_(std::move(binary)), directory_(std::move(directory)), owned_(owned), temporary_(temporary) {}

  /// Runs `kopp-controlplane <args...>`; returns stdout, throws naming `what` on failure.
  std::string run(const std::vector<std::string>& args, std::chrono::seconds timeout) const;

  std::filesystem::path binary_;
  std::filesystem::path directory_;
  bool owned_ = false;      // started here and running: stop() and the destructor stop it
  bool stopped_ = false;    // started here and stopped: stop() again does nothing
  bool temporary_ = false;  // the directory was created here: removed after stopping
};

// ---------------------------------------------------------------------------------------

namespace control_plane_detail {

inline std::string environment_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value ? std::string(value) : std::string();
}

inline std::filesystem::path program_from(std::filesystem::path binary) {
  if (binary.empty()) binary = environment_or_empty("KOPP_CONTROLPLANE");
  if (binary.empty())
    throw ControlPlaneError(
        "kopp::testing::ControlPlane: no kopp-controlplane program: set KOPP_CONTROLPLANE or "
        "ControlPlaneOptions::binary (tests registered with kopp_add_controlplane_test get KOPP_CONTROLPLANE)");
  std::error_code ec;
  if (!std::filesystem::is_regular_file(binary, ec) || ::access(binary.c_str(), X_OK) != 0)
    throw ControlPlaneError("kopp::testing::ControlPlane: " + binary.string() +
                            " is not an executable file (KOPP_CONTROLPLANE or ControlPlaneOptions::binary)");
  return binary;
}

/// The last `limit` bytes of a command's stderr: enough to name the problem, bounded.
inline std::string tail(const std::string& text, std::size_t limit = 4096) {
  std::string out = text.size() > limit ? "..." + text.substr(text.size() - limit) : text;
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

inline std::string describe(const std::vector<std::string>& args) {
  std::string out;
  for (const auto& a : args) {
    if (!out.empty()) out += ' ';
    out += a;
  }
  return out;
}

}  // namespace control_plane_detail

inline ControlPlane ControlPlane::attach() {
  std::filesystem::path binary = control_plane_detail::program_from({});
  const std::string directory = control_plane_detail::environment_or_empty("KOPP_CONTROLPLANE_DIR");
  if (directory.empty())
    throw ControlPlaneError(
        "kopp::testing::ControlPlane::attach: KOPP_CONTROLPLANE_DIR is not set: run the test through ctest "
        "(kopp_add_controlplane_test), or use ControlPlane::start()");
  ControlPlane plane(std::move(binary), directory, false, false);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(plane.admin_kubeconfig(), ec))
    throw ControlPlaneError("kopp::testing::ControlPlane::attach: " + plane.admin_kubeconfig().string() +
                            " does not exist: the control plane in " + directory + " is not up");
  return plane;
}

inline ControlPlane ControlPlane::start(ControlPlaneOptions options) {
  std::filesystem::path binary = control_plane_detail::program_from(std::move(options.binary));
  bool temporary = false;
  std::filesystem::path directory = std::move(options.directory);
  if (directory.empty()) {
    std::string pattern = (std::filesystem::temp_directory_path() / "kopp-controlplane-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
      throw ControlPlaneError("kopp::testing::ControlPlane::start: cannot create a directory from " + pattern + ": " +
                              std::generic_category().message(errno));
    directory = pattern;
    temporary = true;
  }
  ControlPlane plane(std::move(binary), std::move(directory), true, temporary);
  // A failed start stops what did start (the destructor), and says why.
  plane.run({"up", "--dir", plane.directory_.string()}, options.start_timeout);
  return plane;
}

inline ControlPlane::ControlPlane(ControlPlane&& other) noexcept
    : binary_(std::move(other.binary_)),
      directory_(std::move(other.directory_)),
      owned_(std::exchange(other.owned_, false)),
      stopped_(std::exchange(other.stopped_, false)),
      temporary_(std::exchange(other.temporary_, false)) {
  other.binary_.clear();
  other.directory_.clear();
}

inline ControlPlane& ControlPlane::operator=(ControlPlane&& other) noexcept {
  if (this != &other) {
    try {
      if (owned_) stop();
    } catch (...) {
      // Best effort, as in the destructor.
    }
    binary_ = std::move(other.binary_);
    directory_ = std::move(other.directory_);
    owned_ = std::exchange(other.owned_, false);
    stopped_ = std::exchange(other.stopped_, false);
    temporary_ = std::exchange(other.temporary_, false);
    other.binary_.clear();
    other.directory_.clear();
  }
  return *this;
}

inline ControlPlane::~ControlPlane() {
  try {
    if (owned_) stop();
  } catch (...) {
    // A destructor must not throw; `down` failing leaves the processes it names in its
    // own log, and the next `up` in the same directory stops them first.
  }
}

inline Config ControlPlane::admin_config() const {
  KubeconfigOptions options;
  options.path = admin_kubeconfig();
  return load_kubeconfig(options);
}

inline std::string ControlPlane::run(const std::vector<std::string>& args, std::chrono::seconds timeout) const {
  std::vector<std::string> argv{binary_.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  const auto result = kopp::detail::run_subprocess(argv, kopp::detail::current_environment(),
                                                   std::chrono::duration_cast<std::chrono::milliseconds>(timeout));
  if (result.timed_out)
    throw ControlPlaneError("kopp-controlplane " + control_plane_detail::describe(args) + ": no result within " +
                            std::to_string(timeout.count()) + " s; stderr: " + control_plane_detail::tail(result.err));
  if (result.signal != 0 || result.exit_code != 0)
    throw ControlPlaneError("kopp-controlplane " + control_plane_detail::describe(args) +
                            (result.signal != 0 ? " was killed by signal " + std::to_string(result.signal)
                                                : " exited with " + std::to_string(result.exit_code)) +
                            ": " + control_plane_detail::tail(result.err.empty() ? result.out : result.err));
  return result.out;
}

inline std::string ControlPlane::kubectl(const std::vector<std::string>& args, std::chrono::seconds timeout) const {
  std::vector<std::string> full{"kubectl", "--kubeconfig", admin_kubeconfig().string()};
  full.insert(full.end(), args.begin(), args.end());
  return run(full, timeout);
}

inline void ControlPlane::install_crds(const std::vector<std::filesystem::path>& files,
                                       std::chrono::seconds timeout) const {
  if (files.empty()) return;
  std::vector<std::string> file_args;
  for (const auto& file : files) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec))
      throw ControlPlaneError("kopp::testing::ControlPlane::install_crds: " + file.string() + " is not a file");
    file_args.push_back("-f");
    file_args.push_back(file.string());
  }
  const auto with_files = [&](std::vector<std::string> args) {
    args.insert(args.end(), file_args.begin(), file_args.end());
    return args;
  };
  kubectl(with_files({"apply", "--server-side", "--force-conflicts", "--field-manager=kopp-testing"}), timeout);
  kubectl(with_files({"wait", "--for=condition=Established", "--timeout=" + std::to_string(timeout.count()) + "s"}),
          timeout + std::chrono::seconds(10));
  // Established is set before every apiserver handler serves the new resource: the first
  // request can still 404 for a moment. Wait until each resource lists.
  // kubectl names each "customresourcedefinition.apiextensions.k8s.io/<plural>.<group>",
  // and <plural>.<group> is the resource's name for kubectl get.
  const std::string resources = kubectl(with_files({"get", "-o", "name"}));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::size_t start = 0;
  while (start < resources.size()) {
    const std::size_t end = resources.find('\n', start);
    const std::string line = resources.substr(start, end == std::string::npos ? std::string::npos : end - start);
    start = end == std::string::npos ? resources.size() : end + 1;
    const std::string resource = line.substr(line.find('/') + 1);
    if (resource.empty()) continue;
    for (;;) {
      try {
        kubectl({"get", resource, "--all-namespaces", "--chunk-size=1", "-o", "name"});
        break;
      } catch (const ControlPlaneError& e) {
        if (std::chrono::steady_clock::now() >= deadline)
          throw ControlPlaneError("kopp::testing::ControlPlane::install_crds: " + resource + " is not served within " +
                                  std::to_string(timeout.count()) + " s: " + e.what());
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
  }
}

inline std::filesystem::path ControlPlane::service_account_kubeconfig(const std::string& namespace_,
                                                                      const std::string& name,
                                                                      const std::filesystem::path& out,
                                                                      std::chrono::seconds lifetime) const {
  run({"mint-kubeconfig", "--dir", directory_.string(), "--namespace", namespace_, "--serviceaccount", name, "--out",
       out.string(), "--duration", std::to_string(lifetime.count()) + "s"},
      std::chrono::seconds(90));
  return out;
}

inline void ControlPlane::restart_apiserver() const {
  run({"restart-apiserver", "--dir", directory_.string()}, std::chrono::seconds(180));
}

inline void ControlPlane::compact() const { run({"compact", "--dir", directory_.string()}, std::chrono::seconds(180)); }

inline void ControlPlane::stop() {
  if (!owned_) {
    if (stopped_ || directory_.empty()) return;  // stopped already, or moved from
    throw ControlPlaneError("kopp::testing::ControlPlane::stop: the control plane in " + directory_.string() +
                            " was attached to, not started here: CTest's fixture stops it");
  }
  run({"down", "--dir", directory_.string()}, std::chrono::seconds(120));
  owned_ = false;
  stopped_ = true;
  if (temporary_) {
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
    temporary_ = false;
  }
}

}  // namespace kopp::testing
