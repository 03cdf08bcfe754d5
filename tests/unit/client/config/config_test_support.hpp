#pragma once

// Helpers shared by the [config] tests: a temporary directory that cleans up after itself,
// an injectable environment, fixture paths and error capture.

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include <kopp/client/config.hpp>
#include <kopp/client/detail/file.hpp>

namespace kopp_test {

namespace fs = std::filesystem;

inline fs::path fixture(const std::string& relative) { return fs::path(KOPP_TEST_DATA_DIR) / "kubeconfig" / relative; }

inline std::string read_text(const fs::path& path) {
  std::error_code ec;
  std::string text = kopp::detail::read_file(path, ec);
  if (ec) FAIL("cannot read " << path << ": " << ec.message());
  return text;
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "kopp-config-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) FAIL("mkdtemp failed");
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& relative) const { return path_ / relative; }

  fs::path write(const std::string& relative, const std::string& content,
                 fs::perms perms = fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                                   fs::perms::others_read) const {
    const fs::path file = path_ / relative;
    fs::create_directories(file.parent_path());
    {
      std::ofstream out(file, std::ios::binary | std::ios::trunc);
      out << content;
    }
    fs::permissions(file, perms);
    return file;
  }

  fs::path write_executable(const std::string& relative, const std::string& content) const {
    return write(relative, content,
                 fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec | fs::perms::others_read |
                     fs::perms::others_exec);
  }

 private:
  fs::path path_;
};

// An environment for KubeconfigOptions/InClusterOptions::getenv.
struct FakeEnv {
  std::map<std::string, std::string> vars;
  std::function<std::optional<std::string>(const char*)> fn() const {
    auto copy = vars;
    return [copy](const char* name) -> std::optional<std::string> {
      auto it = copy.find(name);
      if (it == copy.end()) return std::nullopt;
      return it->second;
    };
  }
};

// The message of the config_error that `f` throws; fails the test when it throws nothing.
template <class F>
std::string config_error_of(F&& f) {
  try {
    f();
  } catch (const kopp::config_error& e) {
    return e.what();
  }
  FAIL("expected kopp::config_error");
  return {};
}

}  // namespace kopp_test
