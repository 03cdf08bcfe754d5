#pragma once
// How the scaffolder writes: a new file only where none is, or where the one there is what
// it would write anyway (so re-running a command is safe and says so); an edited file is
// kept unless --force. Registrations (a kind's sources in CMakeLists.txt, its controller in
// src/setup.cpp, its CRD in config/crd/kustomization.yaml) go in before a marker comment,
// as kubebuilder's `+kubebuilder:scaffold:` markers do, once: a second run finds them there.
//
// render() and insert_before_marker() are pure (unit-tested); FileWriter does the I/O.

#include "names.hpp"

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace kopp_scaffold {

/// `text` with every {{key}} replaced by its value. An unknown key is a bug in a template:
/// it throws std::logic_error naming it.
inline std::string render(std::string_view text, const std::map<std::string, std::string>& values) {
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (true) {
    const std::size_t open = text.find("{{", pos);
    if (open == std::string_view::npos) break;
    const std::size_t close = text.find("}}", open);
    if (close == std::string_view::npos) throw std::logic_error("template: unclosed {{");
    out.append(text.substr(pos, open - pos));
    const std::string key(text.substr(open + 2, close - open - 2));
    const auto found = values.find(key);
    if (found == values.end()) throw std::logic_error("template: no value for {{" + key + "}}");
    out += found->second;
    pos = close + 2;
  }
  out.append(text.substr(pos));
  return out;
}

/// What insert_before_marker did.
enum class Insertion { inserted, already_there, no_marker };

/// Puts `block` (whole lines) before the line that holds `marker`, with that line's
/// indentation, unless `text` already holds `block`.
inline Insertion insert_before_marker(std::string& text, std::string_view marker, std::string_view block) {
  if (text.find(block) != std::string::npos) return Insertion::already_there;
  const std::size_t at = text.find(marker);
  if (at == std::string::npos) return Insertion::no_marker;
  const std::size_t line_start = text.rfind('\n', at) == std::string::npos ? 0 : text.rfind('\n', at) + 1;
  text.insert(line_start, block);
  return Insertion::inserted;
}

/// Writes files under a project root and reports each: created, unchanged, kept (edited,
/// not overwritten without --force), overwrote, updated (a registration added), or exists.
class FileWriter {
 public:
  FileWriter(std::filesystem::path root, bool force) : root_(std::move(root)), force_(force) {}

  /// Writes `relative` with `content`, unless an edited file is there (see the header).
  void write(const std::filesystem::path& relative, const std::string& content, bool executable = false) {
    const std::filesystem::path path = root_ / relative;
    if (std::filesystem::exists(path)) {
      if (read(path) == content) {
        report("unchanged  ", relative);
        return;
      }
      if (!force_) {
        report("kept       ", relative, " (it differs from what kopp writes: yours is kept; --force overwrites)");
        ++kept_;
        return;
      }
      store(path, content, executable);
      report("overwrote  ", relative);
      return;
    }
    store(path, content, executable);
    report("created    ", relative);
  }

  /// Writes `relative` unless a file is there, whatever it holds: `kopp init` again on its
  /// project restores missing files, while the ones later commands registered into (or you
  /// edited) stay as they are.
  void write_if_missing(const std::filesystem::path& relative, const std::string& content) {
    if (std::filesystem::exists(root_ / relative)) {
      report("exists     ", relative);
      return;
    }
    write(relative, content);
  }

  /// Writes `relative` (a file the commands own, like PROJECT) whatever it holds.
  void update(const std::filesystem::path& relative, const std::string& content) {
    const std::filesystem::path path = root_ / relative;
    if (std::filesystem::exists(path) && read(path) == content) {
      report("unchanged  ", relative);
      return;
    }
    store(path, content, false);
    report("updated    ", relative);
  }

  /// Inserts `block` before `marker` in `relative` (see insert_before_marker). A file
  /// without the marker is left alone and the block is printed, to add by hand.
  void register_at(const std::filesystem::path& relative, std::string_view marker, const std::string& block) {
    const std::filesystem::path path = root_ / relative;
    if (!std::filesystem::exists(path)) throw usage_error(relative.string() + " is missing: run `kopp init` first");
    std::string text = read(path);
    switch (insert_before_marker(text, marker, block)) {
      case Insertion::already_there:
        report("unchanged  ", relative);
        return;
      case Insertion::inserted:
        store(path, text, false);
        report("updated    ", relative);
        return;
      case Insertion::no_marker:
        report("kept       ", relative,
               " (no line with \"" + std::string(marker) + "\" to add before; add this yourself:\n" + block + ")");
        ++kept_;
        return;
    }
  }

  [[nodiscard]] const std::vector<std::string>& lines() const noexcept { return lines_; }
  /// How many files were left as they were although kopp had something else to write.
  [[nodiscard]] int kept() const noexcept { return kept_; }
  [[nodiscard]] const std::filesystem::path& root() const noexcept { return root_; }

  static std::string read(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path.string());
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }

 private:
  void store(const std::filesystem::path& path, const std::string& content, bool executable) {
    std::filesystem::create_directories(path.parent_path());
    const std::filesystem::path temporary = path.string() + ".kopp-tmp";
    {
      std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
      out << content;
      if (!out.flush()) throw std::runtime_error("cannot write " + path.string());
    }
    if (executable)
      std::filesystem::permissions(
          temporary,
          std::filesystem::perms::owner_exec | std::filesystem::perms::group_exec | std::filesystem::perms::others_exec,
          std::filesystem::perm_options::add);
    std::filesystem::rename(temporary, path);
  }

  void report(std::string_view what, const std::filesystem::path& relative, const std::string& note = {}) {
    lines_.push_back(std::string(what) + relative.string() + note);
  }

  std::filesystem::path root_;
  bool force_ = false;
  int kept_ = 0;
  std::vector<std::string> lines_;
};

}  // namespace kopp_scaffold
