// kubeconfig files: loading never crashes and fails only with config_error; a loaded config
// names a server. The input is written to a file of its own and loaded as --kubeconfig;
// the environment is empty (no $KUBECONFIG, no $HOME). Paths inside the file may name any
// file of the machine (kopp reads those bounded); exec plugins are not run by loading.
#include "../fuzz_check.hpp"

#include <kopp/client/kubeconfig.hpp>

#include <filesystem>
#include <fstream>
#include <system_error>
#include <unistd.h>

namespace {
// The input's file, removed when the fuzzer exits (libFuzzer ends with exit()).
struct InputFile {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("kopp-fuzz-kubeconfig-" + std::to_string(::getpid()) + ".yaml");
  ~InputFile() {
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
  }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const InputFile input;
  const std::filesystem::path& file = input.path;
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  kopp::KubeconfigOptions options;
  options.path = file;
  options.getenv = [](const char*) -> std::optional<std::string> { return std::nullopt; };
  try {
    const kopp::Config config = kopp::load_kubeconfig(options);
    KOPP_FUZZ_CHECK(!config.server.empty());
  } catch (const kopp::config_error&) {
  }
  return 0;
}
