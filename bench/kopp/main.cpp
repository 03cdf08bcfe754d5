// kopp-bench: kopp's side of the side-by-side benchmarks (bench/README.md). Each workload
// is a subcommand; the program reports what it observed as JSON lines on stdout
// ({"event": ...}) for bench/run.py, which measures CPU and memory from outside. The Go
// (bench/peers/controller-runtime) and Rust (bench/peers/kube-rs) programs implement the same
// subcommands with the same output.
//
//   kopp-bench cache --namespace NS --mode full|strip|meta
//   kopp-bench reconcile --namespace NS --expect N --workers W --run-id ID
//   kopp-bench latency --namespace NS --rate R --seconds S --objects M
//   kopp-bench first --namespace NS
//   kopp-bench load --namespace NS --kind configmap|widget --count N --size BYTES [--prefix P]
//                                                                    (the loader; not measured)
//
// The client of the measured operator uses QPS 500 / burst 1000 in every SDK.

#include "types.hpp"

#include <kopp/kopp.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json.hpp>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace asio = boost::asio;
using kopp_bench::ConfigMap;
using kopp_bench::Namespace;
using kopp_bench::Widget;
using steady = std::chrono::steady_clock;

namespace {

constexpr double kQps = 500;
constexpr int kBurst = 1000;
constexpr const char* kMarkerName = "bench-marker";
constexpr const char* kMarkerAnnotation = "bench.kopp.dev/marker";

struct Args {
  std::map<std::string, std::string> values;
  std::string get(const std::string& key, std::string fallback = {}) const {
    auto it = values.find(key);
    return it == values.end() ? fallback : it->second;
  }
  long number(const std::string& key, long fallback) const {
    auto it = values.find(key);
    return it == values.end() ? fallback : std::stol(it->second);
  }
};

Args parse(int argc, char** argv, int first) {
  Args args;
  for (int i = first; i + 1 < argc; i += 2) {
    std::string key = argv[i];
    if (key.rfind("--", 0) != 0) throw std::invalid_argument("expected --flag value, got " + key);
    args.values[key.substr(2)] = argv[i + 1];
  }
  return args;
}

/// One JSON line on stdout, flushed at once: the runner timestamps lines as they arrive.
void emit(boost::json::object line) {
  static std::mutex mutex;
  const auto text = boost::json::serialize(line);
  std::lock_guard lock(mutex);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

kopp::Config operator_config() {
  auto config = kopp::from_environment();
  config.qps = kQps;
  config.burst = kBurst;
  return config;
}

std::string marker_of(const kopp::ObjectMeta& meta) {
  auto it = meta.annotations.find(kMarkerAnnotation);
  return it == meta.annotations.end() ? std::string() : it->second;
}

// ---------------------------------------------------------------- cache (workloads 1, 4, 5)

/// Informs on the ConfigMaps of one namespace and reports when synced; then reports every
/// new value of the marker ConfigMap's annotation (the relist workload writes it after
/// compacting etcd, so seeing it means the cache converged). Runs until SIGTERM.
template <class K>
void watch_marker(const std::shared_ptr<kopp::Informer<K>>& informer) {
  auto last = std::make_shared<std::string>();
  auto seen = [last](const std::shared_ptr<const K>& obj) {
    if (obj->metadata.name != kMarkerName) return;
    auto value = marker_of(obj->metadata);
    if (value.empty() || value == *last) return;
    *last = value;
    emit({{"event", "marker"}, {"value", value}});
  };
  informer->add_handler(kopp::EventHandlers<K>().on_add(seen).on_update(
      [seen](const std::shared_ptr<const K>&, const std::shared_ptr<const K>& obj) { seen(obj); }));
}

int run_cache(const Args& args) {
  const auto ns = args.get("namespace");
  const auto mode = args.get("mode", "strip");
  asio::io_context io;
  kopp::Client client(io.get_executor(), operator_config());
  kopp::InformerFactory factory(client);
  std::shared_ptr<kopp::InformerBase> informer;
  if (mode == "full") {
    // keep_managed_fields: the server's objects as they are (kopp drops managedFields by default).
    kopp::InformerOptions<ConfigMap> options;
    options.keep_managed_fields();
    auto typed = kopp::Informer<ConfigMap>::create(kopp::ListWatchSource::of<ConfigMap>(client, ns), options);
    watch_marker(typed);
    typed->start(io.get_executor());
    informer = typed;
  } else if (mode == "strip") {
    auto typed = factory.get<ConfigMap>(ns);  // the default: managedFields dropped
    watch_marker(typed);
    informer = typed;
  } else if (mode == "meta") {
    auto typed = factory.get_metadata<ConfigMap>(ns);
    watch_marker(typed);
    informer = typed;
  } else {
    throw std::invalid_argument("--mode must be full, strip or meta");
  }
  factory.start();

  auto wait = [informer]() -> asio::awaitable<void> {
    const bool synced = co_await informer->wait_for_sync(std::chrono::minutes(10));
    if (!synced) {
      emit({{"event", "error"}, {"message", "cache did not sync"}});
      std::exit(1);
    }
    boost::json::object line{
        {"event", "synced"}, {"objects", informer->size()}, {"approx_bytes", informer->approximate_bytes()}};
#if defined(__GLIBC__)
    // Where the RSS goes: live heap blocks, and freed memory malloc keeps (bench/README.md).
    const auto heap = mallinfo2();
    line["heap_in_use"] = heap.uordblks + heap.hblkhd;
    line["heap_free"] = heap.fordblks;
#endif
    emit(std::move(line));
  };
  asio::co_spawn(io, wait(), asio::detached);

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) {
    informer->stop();
    factory.stop();
    io.stop();
  });
  io.run();
  return 0;
}

// ------------------------------------------------------------ reconcile (workload 2)

/// Patches each Widget's status once per run: status.handledBy = run id.
class StatusReconciler : public kopp::Reconciler<Widget> {
 public:
  StatusReconciler(kopp::Manager& manager, std::string run_id, std::size_t expect)
      : manager_(manager), run_id_(std::move(run_id)), expect_(expect) {}

  asio::awaitable<kopp::Action> reconcile(std::shared_ptr<const Widget> widget, kopp::Context& ctx) override {
    if (widget->status && widget->status->handledBy == run_id_) co_return kopp::Action::done();
    kopp::Api<Widget> api(ctx.client(), widget->metadata.namespace_);
    boost::json::object status;
    status["handledBy"] = run_id_;
    boost::json::object body;
    body["status"] = std::move(status);
    auto patch = kopp::Patch::merge(std::move(body));
    kopp::PatchParams params;
    co_await api.patch_status(widget->metadata.name, patch, params);
    std::size_t done = 0;
    {
      std::lock_guard lock(mutex_);
      handled_.insert(widget->metadata.name);
      done = handled_.size();
    }
    if (done == expect_) {
      emit({{"event", "reconciled"}, {"count", done}});
      manager_.request_stop();
    }
    co_return kopp::Action::done();
  }

 private:
  kopp::Manager& manager_;
  std::string run_id_;
  std::size_t expect_;
  std::mutex mutex_;
  std::set<std::string> handled_;
};

int run_reconcile(const Args& args) {
  kopp::ManagerOptions options;
  options.handle_signals = true;
  kopp::Manager manager(operator_config(), options);
  auto reconciler = std::make_shared<StatusReconciler>(manager, args.get("run-id", "run"),
                                                       static_cast<std::size_t>(args.number("expect", 0)));
  manager.add(manager.controller<Widget>("widgets")
                  .in_namespace(args.get("namespace"))
                  .max_concurrent_reconciles(static_cast<int>(args.number("workers", 1)))
                  .build(reconciler));
  return manager.run();
}

// ------------------------------------------------------------- latency (workload 3)

using Version = std::pair<std::string, std::string>;  // name, resourceVersion

struct VersionHash {
  std::size_t operator()(const Version& v) const {
    return std::hash<std::string>()(v.first) * 31 + std::hash<std::string>()(v.second);
  }
};

/// When each (object, resourceVersion) was seen: by the writer when its update returned,
/// by the reconciler when a reconcile started. Both sides read the same steady clock.
struct Timeline {
  std::mutex mutex;
  std::unordered_map<Version, steady::time_point, VersionHash> written;
  std::unordered_map<Version, steady::time_point, VersionHash> reconciled;
};

class RecordingReconciler : public kopp::Reconciler<ConfigMap> {
 public:
  explicit RecordingReconciler(Timeline& timeline) : timeline_(timeline) {}
  asio::awaitable<kopp::Action> reconcile(std::shared_ptr<const ConfigMap> cm, kopp::Context&) override {
    const auto now = steady::now();
    {
      std::lock_guard lock(timeline_.mutex);
      timeline_.reconciled.emplace(Version(cm->metadata.name, cm->metadata.resourceVersion), now);
    }
    co_return kopp::Action::done();
  }

 private:
  Timeline& timeline_;
};

/// One update of the writer; records when its response arrived, with the new resourceVersion.
asio::awaitable<void> write_one(kopp::Client& client, std::string ns, std::string name, long seq, Timeline& timeline,
                                std::atomic<long>& sent, std::atomic<long>& failed,
                                std::shared_ptr<std::atomic<long>> in_flight) {
  kopp::Api<ConfigMap> api(client, ns);
  boost::json::object data;
  data["seq"] = std::to_string(seq);
  boost::json::object body;
  body["data"] = std::move(data);
  auto patch = kopp::Patch::merge(std::move(body));
  kopp::PatchParams params;
  try {
    auto updated = co_await api.patch(name, patch, params);
    const auto now = steady::now();
    std::lock_guard lock(timeline.mutex);
    timeline.written.emplace(Version(name, updated.metadata.resourceVersion), now);
    sent.fetch_add(1);
  } catch (const std::exception&) {
    failed.fetch_add(1);
  }
  in_flight->fetch_sub(1);
}

/// Updates `objects` ConfigMaps round-robin at `rate` per second for `seconds`, with its own
/// client (no client-side rate limit) on its own thread: the writer is the workload, not
/// part of the operator.
asio::awaitable<void> write_updates(kopp::Client& client, std::string ns, long objects, double rate, double seconds,
                                    Timeline& timeline, std::atomic<long>& sent, std::atomic<long>& failed) {
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer timer(executor);
  const auto start = steady::now();
  const long total = static_cast<long>(rate * seconds);
  long issued = 0;
  auto in_flight = std::make_shared<std::atomic<long>>(0);
  constexpr long kMaxInFlight = 32;  // the same cap in every SDK's writer
  while (issued < total) {
    const double elapsed = std::chrono::duration<double>(steady::now() - start).count();
    const long due = std::min(total, static_cast<long>(elapsed * rate) + 1);
    while (issued < due && in_flight->load() < kMaxInFlight) {
      const long seq = issued++;
      in_flight->fetch_add(1);
      asio::co_spawn(
          executor,
          write_one(client, ns, "lat-" + std::to_string(seq % objects), seq, timeline, sent, failed, in_flight),
          asio::detached);
    }
    timer.expires_after(std::chrono::microseconds(500));
    co_await timer.async_wait(asio::use_awaitable);
  }
  while (in_flight->load() > 0) {
    timer.expires_after(std::chrono::milliseconds(5));
    co_await timer.async_wait(asio::use_awaitable);
  }
}

int run_latency(const Args& args) {
  const auto ns = args.get("namespace");
  const double rate = static_cast<double>(args.number("rate", 100));
  const double seconds = static_cast<double>(args.number("seconds", 5));
  const long objects = args.number("objects", 200);
  Timeline timeline;

  kopp::ManagerOptions options;
  kopp::Manager manager(operator_config(), options);
  manager.add(
      manager.controller<ConfigMap>("latency").in_namespace(ns).build(std::make_shared<RecordingReconciler>(timeline)));

  std::thread writer([&] {
    while (!manager.ready()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    emit({{"event", "synced"}});
    asio::io_context io;
    auto config = kopp::from_environment();
    config.qps = 0;  // the writer is not rate limited
    kopp::Client client(io.get_executor(), config);
    std::atomic<long> sent{0}, failed{0};
    const auto started = steady::now();
    asio::co_spawn(io, write_updates(client, ns, objects, rate, seconds, timeline, sent, failed), asio::detached);
    io.run();
    const double took = std::chrono::duration<double>(steady::now() - started).count();
    // Let the last events arrive, then join writes and reconciles.
    std::this_thread::sleep_for(std::chrono::seconds(2));
    boost::json::array latencies;
    std::size_t matched = 0;
    {
      std::lock_guard lock(timeline.mutex);
      for (const auto& [version, written_at] : timeline.written) {
        auto it = timeline.reconciled.find(version);
        if (it == timeline.reconciled.end()) continue;
        ++matched;
        latencies.push_back(std::chrono::duration_cast<std::chrono::microseconds>(it->second - written_at).count());
      }
    }
    emit({{"event", "latency"},
          {"writes", sent.load()},
          {"failed", failed.load()},
          {"write_seconds", took},
          {"matched", matched},
          {"latency_us", std::move(latencies)}});
    manager.request_stop();
  });
  const int rc = manager.run();
  writer.join();
  return rc;
}

// ----------------------------------------------------- first reconcile (workload 4)

class FirstReconciler : public kopp::Reconciler<ConfigMap> {
 public:
  explicit FirstReconciler(kopp::Manager& manager) : manager_(manager) {}
  asio::awaitable<kopp::Action> reconcile(std::shared_ptr<const ConfigMap> cm, kopp::Context&) override {
    if (!done_.exchange(true)) {
      emit({{"event", "reconciled"}, {"name", cm->metadata.name}});
      manager_.request_stop();
    }
    co_return kopp::Action::done();
  }

 private:
  kopp::Manager& manager_;
  std::atomic<bool> done_{false};
};

int run_first(const Args& args) {
  kopp::ManagerOptions options;
  kopp::Manager manager(operator_config(), options);
  manager.add(manager.controller<ConfigMap>("first")
                  .in_namespace(args.get("namespace"))
                  .build(std::make_shared<FirstReconciler>(manager)));
  return manager.run();
}

// ------------------------------------------------------------------ load (not measured)

/// Creates the namespace and `count` objects of about `size` bytes with server-side apply
/// (so they carry managedFields like objects written by real controllers).
asio::awaitable<void> load(std::string ns, std::string kind, std::string prefix, long count, long size,
                           long concurrency, long offset) {
  auto executor = co_await asio::this_coro::executor;
  auto config = kopp::from_environment();
  config.qps = 0;
  kopp::Client client(executor, config);
  {
    Namespace object;
    object.metadata.name = ns;
    kopp::PatchParams params = kopp::PatchParams::apply("bench-loader");
    params.force = true;
    auto namespaces = kopp::Api<Namespace>::all(client);
    co_await namespaces.apply(object, params);
  }
  std::atomic<long> next{offset};
  const long end = offset + count;
  auto worker = [&]() -> asio::awaitable<void> {
    kopp::PatchParams params = kopp::PatchParams::apply("bench-loader");
    params.force = true;
    for (long i = next++; i < end; i = next++) {
      const std::string filler(static_cast<std::size_t>(std::max(0L, size)), 'x');
      if (kind == "configmap") {
        ConfigMap cm;
        cm.apiVersion = "v1";
        cm.kind = "ConfigMap";
        cm.metadata.name = prefix + std::to_string(i);
        cm.metadata.namespace_ = ns;
        cm.metadata.labels["app"] = "bench";
        cm.metadata.labels["index"] = std::to_string(i);
        cm.data["payload"] = filler;
        cm.data["index"] = std::to_string(i);
        kopp::Api<ConfigMap> api(client, ns);
        co_await api.apply(cm, params);
      } else {
        Widget widget;
        widget.apiVersion = "bench.kopp.dev/v1";
        widget.kind = "Widget";
        widget.metadata.name = "w-" + std::to_string(i);
        widget.metadata.namespace_ = ns;
        widget.spec.value = i;
        widget.spec.payload = filler;
        kopp::Api<Widget> api(client, ns);
        co_await api.apply(widget, params);
      }
    }
  };
  std::atomic<long> running{concurrency};
  asio::steady_timer timer(executor);
  std::exception_ptr failure;
  for (long w = 0; w < concurrency; ++w)
    asio::co_spawn(executor, worker(), [&](std::exception_ptr e) {
      if (e && !failure) failure = e;
      --running;
    });
  while (running > 0) {
    timer.expires_after(std::chrono::milliseconds(20));
    co_await timer.async_wait(asio::use_awaitable);
  }
  if (failure) std::rethrow_exception(failure);
}

int run_load(const Args& args) {
  asio::io_context io;
  std::exception_ptr failure;
  const auto started = steady::now();
  asio::co_spawn(
      io,
      load(args.get("namespace"), args.get("kind", "configmap"), args.get("prefix", "cm-"), args.number("count", 0),
           args.number("size", 2048), args.number("concurrency", 32), args.number("offset", 0)),
      [&](std::exception_ptr e) { failure = e; });
  io.run();
  if (failure) std::rethrow_exception(failure);
  emit({{"event", "loaded"},
        {"count", args.number("count", 0)},
        {"seconds", std::chrono::duration<double>(steady::now() - started).count()}});
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: kopp-bench cache|reconcile|latency|first|load --flag value ...\n";
    return 2;
  }
  try {
    kopp::LogSink::global().set_level(kopp::LogLevel::warn);
    const std::string command = argv[1];
    const Args args = parse(argc, argv, 2);
    if (command == "cache") return run_cache(args);
    if (command == "reconcile") return run_reconcile(args);
    if (command == "latency") return run_latency(args);
    if (command == "first") return run_first(args);
    if (command == "load") return run_load(args);
    std::cerr << "unknown command " << command << "\n";
    return 2;
  } catch (const std::exception& e) {
    emit({{"event", "error"}, {"message", e.what()}});
    return 1;
  }
}
