#pragma once
// kopp::json_error and kopp::json_path: how JSON mapping failures name the place they
// happened. Separate from json.hpp so that types with their own JSON hooks (Time,
// IntOrString, user types) need only this small header.

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace kopp {

/// Thrown when JSON text cannot be parsed or a JSON value does not fit the C++ type.
///
/// what() reads `kopp: JSON at $.spec.containers[0].ports[1].containerPort: expected an
/// integer, got string`, or for unparsable text `kopp: invalid JSON at offset 17: syntax
/// error`.
class json_error : public std::runtime_error {
 public:
  /// A value at `path` (as formatted by json_path::str()) did not fit: `problem` says why.
  json_error(std::string path, std::string_view problem);

  /// The text could not be parsed; `offset` is the byte offset where parsing stopped.
  static json_error parse_failure(std::size_t offset, std::string_view problem);

  /// JSON path of the offending value, e.g. `$.metadata.labels["app"]`; `$` for the root.
  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  /// What was wrong, without the path, e.g. `expected an integer, got string`.
  [[nodiscard]] const std::string& problem() const noexcept { return problem_; }
  /// Byte offset in the input text for parse failures; empty for mapping failures.
  [[nodiscard]] std::optional<std::size_t> offset() const noexcept { return offset_; }

 private:
  json_error(std::string message, std::string path, std::string_view problem, std::optional<std::size_t> offset);

  std::string path_;
  std::string problem_;
  std::optional<std::size_t> offset_;
};

/// The position inside the JSON document being decoded: a stack of object keys and array
/// indices. Decoding pushes and pops segments; the path is only formatted when a
/// json_error is thrown, so the happy path costs no string building. Keys are held as
/// views: they must outlive their segment (they point into the JSON being decoded, or
/// are static member names).
class json_path {
 public:
  json_path() { segments_.reserve(16); }

  void push(std::string_view key) { segments_.push_back(segment{key, 0, false}); }
  void push(std::size_t index) { segments_.push_back(segment{{}, index, true}); }
  void pop() noexcept { segments_.pop_back(); }
  [[nodiscard]] std::size_t depth() const noexcept { return segments_.size(); }

  /// `$`, `$.spec.replicas`, `$.items[3]`, `$.metadata.labels["app.kubernetes.io/name"]`.
  [[nodiscard]] std::string str() const;

  /// Throws json_error(str(), problem).
  [[noreturn]] void fail(std::string_view problem) const;

  /// Pushes a segment for the lifetime of the guard (pops it on unwinding too).
  class guard {
   public:
    guard(json_path& path, std::string_view key) : path_(path) { path_.push(key); }
    guard(json_path& path, std::size_t index) : path_(path) { path_.push(index); }
    ~guard() { path_.pop(); }
    guard(const guard&) = delete;
    guard& operator=(const guard&) = delete;

   private:
    json_path& path_;
  };

 private:
  struct segment {
    std::string_view key;
    std::size_t index;
    bool is_index;
  };
  std::vector<segment> segments_;
};

// ---------------------------------------------------------------------------------------

inline json_error::json_error(std::string path, std::string_view problem)
    : std::runtime_error("kopp: JSON at " + path + ": " + std::string(problem)),
      path_(std::move(path)),
      problem_(problem) {}

inline json_error::json_error(std::string message, std::string path, std::string_view problem,
                              std::optional<std::size_t> offset)
    : std::runtime_error(message), path_(std::move(path)), problem_(problem), offset_(offset) {}

inline json_error json_error::parse_failure(std::size_t offset, std::string_view problem) {
  return json_error("kopp: invalid JSON at offset " + std::to_string(offset) + ": " + std::string(problem), "$",
                    problem, offset);
}

namespace detail {
inline bool json_path_is_identifier(std::string_view key) noexcept {
  if (key.empty()) return false;
  for (char c : key) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$';
    if (!ok) return false;
  }
  return !(key.front() >= '0' && key.front() <= '9');
}
}  // namespace detail

inline std::string json_path::str() const {
  std::string out = "$";
  for (const segment& s : segments_) {
    if (s.is_index) {
      out += '[';
      out += std::to_string(s.index);
      out += ']';
    } else if (detail::json_path_is_identifier(s.key)) {
      out += '.';
      out += s.key;
    } else {
      out += "[\"";
      for (char c : s.key) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
      }
      out += "\"]";
    }
  }
  return out;
}

inline void json_path::fail(std::string_view problem) const { throw json_error(str(), problem); }

}  // namespace kopp
