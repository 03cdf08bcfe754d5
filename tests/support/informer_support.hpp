#pragma once
// Helpers for the informer's integration tests: an io_context on its own thread for the
// informers (so that the test's own steps, and fault commands, may block), handler
// recording, and comparisons of a cache with a fresh LIST.

#include "support/integration.hpp"

#include <kopp/runtime/cache/informer.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace kopp_test {

/// An io_context running on a background thread with a Client bound to it.
class BackgroundIo {
 public:
  BackgroundIo() : guard_(io_.get_executor()), client_(io_.get_executor(), admin_config()) {
    thread_ = std::thread([this] { io_.run(); });
  }
  ~BackgroundIo() {
    guard_.reset();
    thread_.join();  // returns once every informer started on it has stopped
  }
  BackgroundIo(const BackgroundIo&) = delete;
  BackgroundIo& operator=(const BackgroundIo&) = delete;

  boost::asio::any_io_executor executor() { return io_.get_executor(); }
  kopp::Client& client() { return client_; }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  kopp::Client client_;
  std::thread thread_;
};

/// Stops an informer when the test's scope ends (pass or fail).
template <class K>
struct StopOnExit {
  std::shared_ptr<kopp::Informer<K>> informer;
  ~StopOnExit() {
    if (informer) informer->stop();
  }
};

/// Handler calls as "add:name@rv", "update:name@old->new", "delete:name@rv"; thread-safe.
template <class K>
class HandlerLog {
 public:
  kopp::EventHandlers<K> handlers() {
    return kopp::EventHandlers<K>()
        .on_add([this](const auto& o) { push("add:" + o->metadata.name + "@" + o->metadata.resourceVersion); })
        .on_update([this](const auto& old, const auto& now) {
          push("update:" + now->metadata.name + "@" + old->metadata.resourceVersion + "->" +
               now->metadata.resourceVersion);
        })
        .on_delete([this](const auto& o) { push("delete:" + o->metadata.name + "@" + o->metadata.resourceVersion); });
  }
  std::vector<std::string> calls() const {
    std::lock_guard lock(mutex_);
    return calls_;
  }
  /// The calls about one object, in order, as "add", "update", "delete".
  std::vector<std::string> calls_for(const std::string& name) const {
    std::vector<std::string> out;
    for (const auto& c : calls()) {
      const auto colon = c.find(':');
      const auto at = c.find('@');
      if (c.substr(colon + 1, at - colon - 1) == name) out.push_back(c.substr(0, colon));
    }
    return out;
  }

 private:
  void push(std::string s) {
    std::lock_guard lock(mutex_);
    calls_.push_back(std::move(s));
  }
  mutable std::mutex mutex_;
  std::vector<std::string> calls_;
};

/// "name@resourceVersion" of every cached object, sorted.
template <class K>
std::vector<std::string> cache_state(const kopp::Informer<K>& informer) {
  std::vector<std::string> out;
  for (const auto& o : informer.store().list())
    out.push_back(o->metadata.name + "@" + std::string(kopp::server_resource_version(o->metadata)));
  std::sort(out.begin(), out.end());
  return out;
}

/// "name@resourceVersion" of a fresh LIST of ConfigMaps in `ns`, sorted.
inline std::vector<std::string> listed_configmaps(const std::string& ns) {
  return run<std::vector<std::string>>([&]() -> boost::asio::awaitable<std::vector<std::string>> {
    kopp::Client client(co_await boost::asio::this_coro::executor, admin_config());
    auto list = co_await kopp::Api<ConfigMap>(client, ns).list();
    std::vector<std::string> out;
    for (const auto& cm : list.items) out.push_back(cm.metadata.name + "@" + cm.metadata.resourceVersion);
    std::sort(out.begin(), out.end());
    co_return out;
  });
}

/// Runs `kopp-controlplane <command> --dir $KOPP_CONTROLPLANE_DIR`; fails the test if it fails.
inline void controlplane(const std::string& command) {
  const char* exe = std::getenv("KOPP_CONTROLPLANE");
  const char* dir = std::getenv("KOPP_CONTROLPLANE_DIR");
  if (!exe || !dir) FAIL("KOPP_CONTROLPLANE / KOPP_CONTROLPLANE_DIR are not set: run through ctest");
  const std::string line = "\"" + std::string(exe) + "\" " + command + " --dir \"" + std::string(dir) + "\"";
  const int rc = std::system(line.c_str());
  INFO(line);
  REQUIRE(rc == 0);
}

/// Runs a coroutine with a fresh Client, retrying it for up to `timeout` while it fails
/// with a connection error (the API server is restarting).
inline void with_client_retrying(std::function<boost::asio::awaitable<void>(kopp::Client&)> body,
                                 std::chrono::seconds timeout = std::chrono::seconds(90)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    try {
      run<void>([&]() -> boost::asio::awaitable<void> {
        kopp::Client client(co_await boost::asio::this_coro::executor, admin_config());
        co_await body(client);
      });
      return;
    } catch (const std::exception& e) {
      if (std::chrono::steady_clock::now() > deadline) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  }
}

}  // namespace kopp_test
