#pragma once
// The fidelity harness: each scenario runs against one backend, chosen by the environment
// (KOPP_SCENARIO_BACKEND=real: the local control plane's kube-apiserver, through KUBECONFIG;
// =fake: kopp::testing::FakeCluster), and asserts the same observable results on both.
// CTest runs the suite once per backend (tests/scenarios/CMakeLists.txt), so a difference
// between the fake and the real API server fails one of the two runs.
//
// Where the two differ on purpose, a scenario asks is_fake() and says why in a comment;
// docs/testing.md lists those differences. Nothing is skipped: a missing or unknown backend
// fails every scenario.

#include "support/integration.hpp"

#include <kopp/client.hpp>
#include <kopp/testing/fake_cluster.hpp>
#include <kopp/testing/run.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace scenario {

using boost::asio::awaitable;
using boost::json::object;

inline const kopp::ApiResource config_maps{"", "v1", "ConfigMap", "configmaps", true};
inline const kopp::ApiResource namespaces{"", "v1", "Namespace", "namespaces", false};
inline const kopp::ApiResource deployments{"apps", "v1", "Deployment", "deployments", true};
inline const kopp::ApiResource crds{"apiextensions.k8s.io", "v1", "CustomResourceDefinition",
                                    "customresourcedefinitions", false};
/// The scenarios' own kind: namespaced, with the status subresource.
inline const kopp::ApiResource widgets{"scenarios.kopp.example", "v1", "Widget", "widgets", true};

/// "real" or "fake", from KOPP_SCENARIO_BACKEND; anything else fails the scenario.
inline bool fake_backend() {
  const char* chosen = std::getenv("KOPP_SCENARIO_BACKEND");
  const std::string backend = chosen ? chosen : "";
  if (backend != "real" && backend != "fake")
    FAIL("KOPP_SCENARIO_BACKEND must be \"real\" or \"fake\" (got \"" << backend
                                                                      << "\"): run the scenarios through ctest");
  return backend == "fake";
}

/// What a failed request answered: HTTP status, Status reason and message.
struct Failure {
  unsigned status = 0;  ///< 0: the request succeeded
  std::string reason;
  std::string message;
};

/// A JSON object from its text. Scenarios build request bodies with it (or in named locals)
/// rather than with brace-initialised temporaries, which GCC 12 miscompiles inside co_await
/// (docs/architecture.md).
inline object json(std::string_view text) { return boost::json::parse(text).as_object(); }

/// A JSON merge patch from its text.
inline kopp::Patch merge(std::string_view text) { return kopp::Patch::merge(json(text)); }

inline object namespace_named(std::string_view name) {
  object metadata;
  metadata["name"] = name;
  object ns = json(R"({"apiVersion":"v1","kind":"Namespace"})");
  ns["metadata"] = std::move(metadata);
  return ns;
}

/// A ConfigMap with one data entry and the given labels.
inline object config_map(std::string_view name, std::string_view value = "v", object labels = {}) {
  object metadata{{"name", name}};
  if (!labels.empty()) metadata["labels"] = std::move(labels);
  return object{{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", metadata}, {"data", object{{"k", value}}}};
}

inline object deployment(std::string_view name, int replicas) {
  const object labels{{"app", name}};
  return object{
      {"apiVersion", "apps/v1"},
      {"kind", "Deployment"},
      {"metadata", object{{"name", name}}},
      {"spec",
       object{{"replicas", replicas},
              {"selector", object{{"matchLabels", labels}}},
              {"template",
               object{{"metadata", object{{"labels", labels}}},
                      {"spec", object{{"containers", boost::json::array{object{
                                                         {"name", "web"}, {"image", "registry.invalid/web:1"}}}}}}}}}}};
}

inline object widget(std::string_view name, int size) {
  return object{{"apiVersion", "scenarios.kopp.example/v1"},
                {"kind", "Widget"},
                {"metadata", object{{"name", name}}},
                {"spec", object{{"size", size}}}};
}

/// A member of a JSON object by path, as text ("<missing>" when absent).
inline std::string at(const boost::json::value& value, std::initializer_list<std::string_view> path) {
  const boost::json::value* v = &value;
  for (auto key : path) {
    const auto* o = v->if_object();
    v = o ? o->if_contains(key) : nullptr;
    if (!v) return "<missing>";
  }
  return v->is_string() ? std::string(v->get_string()) : boost::json::serialize(*v);
}

/// One scenario: a backend, a Client on it and a namespace of its own.
class Scenario {
 public:
  explicit Scenario(std::string_view prefix);
  ~Scenario();
  Scenario(const Scenario&) = delete;
  Scenario& operator=(const Scenario&) = delete;

  bool is_fake() const noexcept { return fake_ != nullptr; }
  const std::string& ns() const noexcept { return namespace_; }
  kopp::Client& client() noexcept { return *client_; }
  kopp::DynamicApi api(const kopp::ApiResource& resource) const {
    return kopp::DynamicApi(*client_, resource, resource.namespaced ? namespace_ : std::string());
  }

  /// Runs `body()` (returning awaitable<T>) to completion on this scenario's io_context.
  template <class Body>
  auto run(Body body) {
    return kopp::testing::run(io_, std::move(body), std::chrono::seconds(90));
  }

  /// The Failure `body()` ended with (status 0 when it succeeded).
  template <class Body>
  Failure failure_of(Body body) {
    try {
      run(std::move(body));
    } catch (const kopp::api_error& e) {
      Failure failure;
      failure.status = e.http_status();
      if (e.status()) {
        failure.reason = e.status()->reason;
        failure.message = e.status()->message;
      }
      return failure;
    }
    return Failure{};
  }

  /// Polls `done()` (awaitable<bool>) until it holds, for effects the real cluster makes
  /// asynchronously (garbage collection, namespace deletion). False after `timeout`.
  template <class Pred>
  bool eventually(Pred done, std::chrono::seconds timeout = std::chrono::seconds(60)) {
    return run([&]() -> awaitable<bool> {
      co_return co_await kopp_test::async_eventually(done, timeout, std::chrono::milliseconds(100));
    });
  }

  /// Installs the Widget CustomResourceDefinition and waits until it is Established.
  void install_widgets();

  /// Compacts the history: etcd on the real backend (kube-apiserver restarts), the fake's.
  void compact();

 private:
  boost::asio::io_context io_;
  std::unique_ptr<kopp::testing::FakeCluster> fake_;
  std::unique_ptr<kopp::Client> client_;
  std::string namespace_;
};

}  // namespace scenario
