#pragma once

// Small file helpers for configuration loading: whole-file reads with an error code
// (callers put the path and the entry that named it into their own message) and a cheap
// change stamp for files that are re-read when they rotate.

#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include <sys/stat.h>

namespace kopp::detail {

// Reads a whole file. Files larger than max_bytes fail with EFBIG so a misconfigured path
// (a device, a huge log) cannot exhaust memory.
inline std::string read_file(const std::filesystem::path& path, std::error_code& ec,
                             std::uintmax_t max_bytes = 16u << 20) {
  ec.clear();
  struct ::stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    ec = std::error_code(errno, std::generic_category());
    return {};
  }
  if (S_ISDIR(st.st_mode)) {
    ec = std::make_error_code(std::errc::is_a_directory);
    return {};
  }
  if (S_ISREG(st.st_mode) && static_cast<std::uintmax_t>(st.st_size) > max_bytes) {
    ec = std::make_error_code(std::errc::file_too_large);
    return {};
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ec = std::error_code(errno != 0 ? errno : EACCES, std::generic_category());
    return {};
  }
  std::string data;
  char buffer[8192];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    data.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (data.size() > max_bytes) {
      ec = std::make_error_code(std::errc::file_too_large);
      return {};
    }
  }
  if (in.bad()) {
    ec = std::make_error_code(std::errc::io_error);
    return {};
  }
  return data;
}

// Identifies one version of a file's content well enough to notice a rewrite: modification
// time (nanoseconds), size and inode (an atomic rename, as the kubelet does for projected
// service-account tokens, changes the inode even when size and mtime collide).
struct FileStamp {
  std::int64_t mtime_ns = 0;
  std::int64_t size = -1;
  std::uint64_t inode = 0;
  friend bool operator==(const FileStamp&, const FileStamp&) = default;
};

inline std::optional<FileStamp> file_stamp(const std::filesystem::path& path) {
  struct ::stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  FileStamp stamp;
  stamp.mtime_ns =
      static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + static_cast<std::int64_t>(st.st_mtim.tv_nsec);
  stamp.size = static_cast<std::int64_t>(st.st_size);
  stamp.inode = static_cast<std::uint64_t>(st.st_ino);
  return stamp;
}

inline std::string_view trim_whitespace(std::string_view text) {
  constexpr std::string_view blanks = " \t\r\n\f\v";
  const auto first = text.find_first_not_of(blanks);
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(blanks);
  return text.substr(first, last - first + 1);
}

}  // namespace kopp::detail
