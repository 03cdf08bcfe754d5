#pragma once

// Runs a short-lived helper program (an exec credential plugin) and collects its output:
// posix_spawnp with stdin from /dev/null, stdout and stderr on pipes, a deadline after
// which the whole process group is killed, and a cap on how much output is kept.
// Pipes are created close-on-exec so concurrent spawns in other threads do not inherit
// them (a leaked write end would keep our read from ever seeing EOF).

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

extern "C" char** environ;

namespace kopp::detail {

struct SubprocessResult {
  int exit_code = -1;      // valid when exited normally
  int signal = 0;          // the terminating signal, 0 when it exited
  bool timed_out = false;  // killed because the deadline passed
  bool output_truncated = false;
  std::string out;
  std::string err;
};

// The variables of this process, as "NAME=value" strings.
inline std::vector<std::string> current_environment() {
  std::vector<std::string> env;
  for (char** p = environ; p != nullptr && *p != nullptr; ++p) env.emplace_back(*p);
  return env;
}

// Sets NAME=value in `env`, replacing an existing NAME.
inline void set_environment_variable(std::vector<std::string>& env, const std::string& name, const std::string& value) {
  const std::string prefix = name + "=";
  for (auto& entry : env) {
    if (entry.compare(0, prefix.size(), prefix) == 0) {
      entry = prefix + value;
      return;
    }
  }
  env.push_back(prefix + value);
}

namespace subprocess_detail {

struct fd_guard {
  int fd = -1;
  fd_guard() = default;
  explicit fd_guard(int f) : fd(f) {}
  fd_guard(const fd_guard&) = delete;
  fd_guard& operator=(const fd_guard&) = delete;
  ~fd_guard() { reset(); }
  void reset() noexcept {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

struct spawn_resources {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  bool have_actions = false, have_attr = false;
  ~spawn_resources() {
    if (have_actions) posix_spawn_file_actions_destroy(&actions);
    if (have_attr) posix_spawnattr_destroy(&attr);
  }
};

inline void throw_errno(int error, const char* what) { throw std::system_error(error, std::generic_category(), what); }

}  // namespace subprocess_detail

// Runs `argv[0]` (looked up in this process's PATH when it contains no '/') with `argv` and
// exactly the environment `env`. Throws std::system_error when the program cannot be
// started (ENOENT: not found, EACCES: not executable); everything after a successful
// start is reported in the result.
inline SubprocessResult run_subprocess(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                                       std::chrono::milliseconds timeout, std::size_t max_output_bytes = 4u << 20) {
  using namespace subprocess_detail;
  using clock = std::chrono::steady_clock;
  if (argv.empty()) throw_errno(EINVAL, "run_subprocess: empty argv");

  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) throw_errno(errno, "pipe2");
  fd_guard out_read(out_pipe[0]), out_write(out_pipe[1]);
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) throw_errno(errno, "pipe2");
  fd_guard err_read(err_pipe[0]), err_write(err_pipe[1]);

  spawn_resources res;
  if (int rc = posix_spawn_file_actions_init(&res.actions); rc != 0) throw_errno(rc, "posix_spawn_file_actions_init");
  res.have_actions = true;
  posix_spawn_file_actions_addopen(&res.actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&res.actions, out_write.fd, 1);
  posix_spawn_file_actions_adddup2(&res.actions, err_write.fd, 2);

  if (int rc = posix_spawnattr_init(&res.attr); rc != 0) throw_errno(rc, "posix_spawnattr_init");
  res.have_attr = true;
  // Own process group, so a timeout kills the plugin's children too; default signal
  // dispositions and an empty mask, whatever this process (a server ignoring SIGPIPE) uses.
  sigset_t empty_mask, default_signals;
  sigemptyset(&empty_mask);
  sigemptyset(&default_signals);
  sigaddset(&default_signals, SIGPIPE);
  sigaddset(&default_signals, SIGINT);
  sigaddset(&default_signals, SIGTERM);
  sigaddset(&default_signals, SIGHUP);
  posix_spawnattr_setsigmask(&res.attr, &empty_mask);
  posix_spawnattr_setsigdefault(&res.attr, &default_signals);
  posix_spawnattr_setpgroup(&res.attr, 0);
  posix_spawnattr_setflags(&res.attr,
                           static_cast<short>(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF));

  std::vector<char*> c_argv, c_env;
  for (const auto& a : argv) c_argv.push_back(const_cast<char*>(a.c_str()));
  c_argv.push_back(nullptr);
  for (const auto& e : env) c_env.push_back(const_cast<char*>(e.c_str()));
  c_env.push_back(nullptr);

  pid_t pid = -1;
  if (int rc = ::posix_spawnp(&pid, c_argv[0], &res.actions, &res.attr, c_argv.data(), c_env.data()); rc != 0)
    throw_errno(rc, "posix_spawnp");
  out_write.reset();
  err_write.reset();

  SubprocessResult result;
  const auto deadline = clock::now() + timeout;
  auto kill_group = [&] {
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
  };

  pollfd fds[2] = {{out_read.fd, POLLIN, 0}, {err_read.fd, POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_count = 2;
  char buffer[8192];
  while (open_count > 0) {
    const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    if (remaining.count() <= 0) {
      result.timed_out = true;
      kill_group();
      break;
    }
    const int ready = ::poll(fds, 2, static_cast<int>(std::min<long long>(remaining.count(), 1000)));
    if (ready < 0) {
      const int poll_error = errno;
      if (poll_error == EINTR) continue;
      kill_group();
      ::waitpid(pid, nullptr, 0);
      throw_errno(poll_error, "poll");
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) {
        fds[i].fd = -1;  // poll ignores negative descriptors
        --open_count;
        continue;
      }
      std::string& sink = *sinks[i];
      const std::size_t room = max_output_bytes > sink.size() ? max_output_bytes - sink.size() : 0;
      if (static_cast<std::size_t>(n) > room) result.output_truncated = true;
      sink.append(buffer, std::min(room, static_cast<std::size_t>(n)));
    }
  }

  // Output closed (or deadline hit): reap, still bounded by the deadline.
  int status = 0;
  for (;;) {
    const pid_t r = ::waitpid(pid, &status, result.timed_out ? 0 : WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) throw_errno(errno, "waitpid");
    if (clock::now() >= deadline) {
      result.timed_out = true;
      kill_group();
      continue;  // next waitpid blocks
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

}  // namespace kopp::detail
