// Decoding a 10k-pod PodList: kopp's typed mapping into core::v1::Pod next to raw
// Boost.JSON parsing of the same bytes, and the memory a decoded Pod takes.
//
//   bench_decode [PODLIST.json] [ITERATIONS]
//
// Without a file it runs make_podlist.py (next to this source) into a temporary file.
// Memory is counted by replacing the global operator new/delete in this program: "live
// bytes" is what is allocated and not yet freed, so a decoded list's footprint is the live
// bytes while it is held minus the live bytes before.

#include <kopp/api/core/v1.hpp>
#include <kopp/core/json.hpp>
#include <kopp/core/object_list.hpp>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <new>
#include <sstream>
#include <string>
#include <vector>

namespace {
std::atomic<std::size_t> g_live_bytes{0};
std::atomic<std::size_t> g_allocations{0};
}  // namespace

// Counting allocator: every allocation carries its size in a 16-byte header.
void* operator new(std::size_t n) {
  void* p = std::malloc(n + 16);
  if (!p) throw std::bad_alloc();
  *static_cast<std::size_t*>(p) = n;
  g_live_bytes += n;
  ++g_allocations;
  return static_cast<char*>(p) + 16;
}
void operator delete(void* p) noexcept {
  if (!p) return;
  char* base = static_cast<char*>(p) - 16;
  g_live_bytes -= *reinterpret_cast<std::size_t*>(base);
  std::free(base);
}
void operator delete(void* p, std::size_t) noexcept { operator delete(p); }
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete[](void* p) noexcept { operator delete(p); }
void operator delete[](void* p, std::size_t) noexcept { operator delete(p); }

namespace {

using Pod = kopp::api::core::v1::Pod;
using clock_type = std::chrono::steady_clock;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

template <class F>
double best_seconds(int iterations, F&& f) {
  double best = 1e300;
  for (int i = 0; i < iterations; ++i) {
    const auto start = clock_type::now();
    f();
    best = std::min(best, std::chrono::duration<double>(clock_type::now() - start).count());
  }
  return best;
}

void report(const char* what, double seconds, std::size_t bytes, std::size_t objects) {
  std::printf("%-44s %8.1f ms %9.1f MB/s %11.0f objects/s\n", what, seconds * 1e3,
              static_cast<double>(bytes) / seconds / 1e6, static_cast<double>(objects) / seconds);
}

}  // namespace

int main(int argc, char** argv) {
  std::string path = argc > 1 ? argv[1] : "";
  const int iterations = argc > 2 ? std::atoi(argv[2]) : 5;
  if (path.empty()) {
    path = "/tmp/kopp_bench_podlist.json";
    const std::string cmd = std::string("python3 ") + KOPP_BENCH_DECODE_DIR + "/make_podlist.py " + path + " 10000";
    if (std::system(cmd.c_str()) != 0) {
      std::cerr << "bench_decode: " << cmd << " failed\n";
      return 1;
    }
  }
  const std::string text = read_file(path);

  // Count the pods once (and check the typed decoding works at all).
  std::size_t pods = 0;
  {
    const auto list = kopp::parse_json<kopp::ObjectList<Pod>>(text);
    pods = list.items.size();
  }
  std::printf("input: %s, %zu bytes, %zu pods, %.0f bytes of JSON per pod, best of %d runs\n", path.c_str(),
              text.size(), pods, static_cast<double>(text.size()) / pods, iterations);

  const double raw_default = best_seconds(iterations, [&] {
    const boost::json::value v = boost::json::parse(text);
    if (!v.is_object()) std::abort();
  });
  report("boost::json::parse (default resource)", raw_default, text.size(), pods);

  const double raw_arena = best_seconds(iterations, [&] {
    boost::json::monotonic_resource arena;
    const boost::json::value v = boost::json::parse(text, &arena);
    if (!v.is_object()) std::abort();
  });
  report("boost::json::parse (monotonic_resource)", raw_arena, text.size(), pods);

  const double typed = best_seconds(iterations, [&] {
    const auto list = kopp::parse_json<kopp::ObjectList<Pod>>(text);
    if (list.items.size() != pods) std::abort();
  });
  report("kopp::parse_json<ObjectList<core::v1::Pod>>", typed, text.size(), pods);

  // Memory: the typed list versus the parsed document.
  const std::size_t before = g_live_bytes.load();
  std::size_t typed_bytes = 0, typed_allocs = 0, dom_bytes = 0;
  {
    const std::size_t allocs_before = g_allocations.load();
    const auto list = kopp::parse_json<kopp::ObjectList<Pod>>(text);
    typed_bytes = g_live_bytes.load() - before;
    typed_allocs = g_allocations.load() - allocs_before;
  }
  {
    const boost::json::value v = boost::json::parse(text);
    dom_bytes = g_live_bytes.load() - before;
  }
  std::printf(
      "memory per decoded Pod: %.0f bytes in %.0f allocations (JSON text %.0f bytes; "
      "boost::json::value DOM %.0f bytes)\n",
      static_cast<double>(typed_bytes) / pods, static_cast<double>(typed_allocs) / pods,
      static_cast<double>(text.size()) / pods, static_cast<double>(dom_bytes) / pods);
  std::printf("sizeof(Pod) = %zu, sizeof(PodSpec) = %zu, sizeof(Container) = %zu\n", sizeof(Pod),
              sizeof(kopp::api::core::v1::PodSpec), sizeof(kopp::api::core::v1::Container));
  return 0;
}
