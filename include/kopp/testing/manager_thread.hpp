#pragma once
// kopp::testing::ManagerThread: runs a Manager (Manager::run, which blocks) on a thread of
// its own for the length of a test, and stops it however the test ends.
//
//   kopp::testing::FakeCluster cluster;
//   kopp::ManagerOptions options;
//   options.transport = cluster.transport_factory();
//   options.handle_signals = false;
//   kopp::Manager manager(kopp::testing::FakeCluster::config(), options);
//   memcached::make_controller(manager, {});
//   kopp::testing::ManagerThread running(manager);   // started; ready() once synced
//   REQUIRE(running.wait_ready());
//   ... drive the cluster, assert with kopp::testing::eventually ...
//   CHECK(running.stop() == 0);                       // the exit code of run()
//
// The destructor requests a stop and joins, so a failed REQUIRE does not leave a thread
// running (std::terminate) or a manager writing into a destroyed cluster. A manager that
// threw from run() rethrows from stop().

#include <kopp/runtime/manager/manager.hpp>

#include <atomic>
#include <chrono>
#include <exception>
#include <optional>
#include <thread>

namespace kopp::testing {

class ManagerThread {
 public:
  explicit ManagerThread(Manager& manager) : manager_(manager) {
    thread_ = std::thread([this] {
      try {
        exit_code_ = manager_.run();
      } catch (...) {
        failure_ = std::current_exception();
      }
      finished_ = true;
    });
  }
  ~ManagerThread() {
    if (!thread_.joinable()) return;
    manager_.request_stop();
    thread_.join();
  }
  ManagerThread(const ManagerThread&) = delete;
  ManagerThread& operator=(const ManagerThread&) = delete;

  /// True once the manager is ready (caches synced, controllers started; with leader
  /// election, leading); false when `timeout` passed first or run() already returned.
  bool wait_ready(std::chrono::steady_clock::duration timeout = std::chrono::seconds(10)) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (manager_.ready()) return true;
      if (finished_ || std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  /// Requests a graceful stop, waits for run() to return and gives its exit code; rethrows
  /// what run() threw. Later calls give the same answer.
  int stop() {
    if (thread_.joinable()) {
      manager_.request_stop();
      thread_.join();
    }
    if (failure_) std::rethrow_exception(failure_);
    return exit_code_.value_or(-1);
  }

 private:
  Manager& manager_;
  std::optional<int> exit_code_;
  std::exception_ptr failure_;
  std::atomic<bool> finished_{false};
  std::thread thread_;  // last: started after the members it writes exist
};

}  // namespace kopp::testing
