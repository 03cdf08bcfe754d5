#pragma once
// Runs another copy of the current test executable as a child process (one hidden test
// case of it), so integration tests can kill a real process with SIGKILL or SIGTERM.

#include <catch2/catch.hpp>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace kopp_test {

class ChildProcess {
 public:
  /// Starts `/proc/self/exe <test name>` with `extra_env` ("K=V") added to our environment.
  ChildProcess(const std::string& test_name, const std::vector<std::string>& extra_env) {
    char exe[4096] = {};
    const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
    REQUIRE(n > 0);
    std::vector<std::string> env(extra_env);
    for (char** e = environ; *e; ++e) env.emplace_back(*e);
    std::vector<char*> envp;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::string name = test_name;
    std::vector<char*> argv{exe, name.data(), nullptr};
    const int rc = ::posix_spawn(&pid_, exe, nullptr, nullptr, argv.data(), envp.data());
    REQUIRE(rc == 0);
  }
  ~ChildProcess() {
    if (pid_ > 0 && !exit_status_) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  void signal(int sig) { ::kill(pid_, sig); }

  /// The wait status once the child ended within `timeout`, else nullopt.
  std::optional<int> wait_for(std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (!exit_status_) {
      int status = 0;
      const pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        exit_status_ = status;
        break;
      }
      if (std::chrono::steady_clock::now() >= until) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return exit_status_;
  }

  pid_t pid() const noexcept { return pid_; }

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_status_;
};

}  // namespace kopp_test
