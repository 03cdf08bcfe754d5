#pragma once
// Prometheus metrics: counters, gauges and histograms in labelled families, rendered in the
// text exposition format 0.0.4 that every Prometheus server scrapes.
//
// Updates are lock-free (atomics) so hot paths such as the workqueue can count without
// contention; only creating a labelled child or rendering takes a mutex. Look a child up
// once (`family.with(...)`) and keep the reference: children live as long as their family,
// and families live as long as their Registry.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace kopp::metrics {

/// The Content-Type of Registry::render()'s output.
inline constexpr std::string_view text_content_type = "text/plain; version=0.0.4; charset=utf-8";

struct Label {
  std::string name;
  std::string value;
};
/// Label name/value pairs in any order; the family's label names must all be present.
using Labels = std::vector<Label>;

class Counter {
 public:
  /// Counters only go up: a negative or NaN increment is ignored.
  void inc(double amount = 1.0) noexcept;
  double value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Gauge {
 public:
  void set(double v) noexcept { value_.store(v, std::memory_order_relaxed); }
  void inc(double amount = 1.0) noexcept { value_.fetch_add(amount, std::memory_order_relaxed); }
  void dec(double amount = 1.0) noexcept { value_.fetch_sub(amount, std::memory_order_relaxed); }
  double value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Histogram {
 public:
  /// `upper_bounds` must be strictly increasing; the +Inf bucket is implicit.
  explicit Histogram(std::vector<double> upper_bounds);

  void observe(double v) noexcept;

  const std::vector<double>& upper_bounds() const noexcept { return bounds_; }
  /// Cumulative counts, one per upper bound followed by the +Inf bucket (== count()).
  std::vector<std::uint64_t> cumulative_counts() const;
  std::uint64_t count() const noexcept;
  double sum() const noexcept { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  // Per-bucket (not cumulative) counts: observe() touches one counter only.
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;
  std::atomic<double> sum_{0.0};
};

/// `count` bounds: start, start*factor, start*factor^2, ...
std::vector<double> exponential_buckets(double start, double factor, int count);
/// `count` bounds: start, start+width, start+2*width, ...
std::vector<double> linear_buckets(double start, double width, int count);
/// controller-runtime's buckets for workqueue_queue_duration_seconds and
/// workqueue_work_duration_seconds: 1e-8 * 10^n for n = 0..9.
std::vector<double> workqueue_duration_buckets();
/// controller-runtime's buckets for controller_runtime_reconcile_time_seconds.
std::vector<double> reconcile_time_buckets();

enum class MetricType { counter, gauge, histogram };

namespace detail {

class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, MetricType type, std::vector<std::string> label_names);
  virtual ~FamilyBase() = default;
  FamilyBase(const FamilyBase&) = delete;
  FamilyBase& operator=(const FamilyBase&) = delete;

  const std::string& name() const noexcept { return name_; }
  const std::string& help() const noexcept { return help_; }
  MetricType type() const noexcept { return type_; }
  const std::vector<std::string>& label_names() const noexcept { return label_names_; }

  /// Appends `# HELP`, `# TYPE` and every sample, children sorted by label values.
  void render(std::string& out) const;

 protected:
  // Label values in label_names() order; throws std::invalid_argument on a mismatch.
  std::vector<std::string> values_of(const Labels& labels) const;
  virtual void render_samples(std::string& out) const = 0;

  mutable std::mutex mutex_;

 private:
  std::string name_;
  std::string help_;
  MetricType type_;
  std::vector<std::string> label_names_;
};

}  // namespace detail

/// All children of one metric name, one per distinct set of label values.
template <class Metric>
class Family final : public detail::FamilyBase {
 public:
  Family(std::string name, std::string help, std::vector<std::string> label_names, std::vector<double> buckets = {});

  /// The child for these labels, created at zero on first use.
  Metric& with(const Labels& labels);
  /// Drops a child (e.g. a controller that stopped); references to it dangle afterwards.
  void remove(const Labels& labels);

  /// The bucket bounds children get; empty unless Metric is Histogram.
  const std::vector<double>& buckets() const noexcept { return buckets_; }

 private:
  void render_samples(std::string& out) const override;

  std::vector<double> buckets_;
  std::map<std::vector<std::string>, std::unique_ptr<Metric>> children_;
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

class GaugeCallbackFamily;

/// Keeps a scrape-time callback registered; destroying it unregisters the callback, after
/// any render that is calling it has finished.
class CallbackRegistration {
 public:
  CallbackRegistration() = default;
  CallbackRegistration(CallbackRegistration&& other) noexcept;
  CallbackRegistration& operator=(CallbackRegistration&& other) noexcept;
  ~CallbackRegistration();

  void reset();
  explicit operator bool() const noexcept { return family_ != nullptr; }

 private:
  friend class GaugeCallbackFamily;
  CallbackRegistration(GaugeCallbackFamily* family, std::vector<std::string> key, std::uint64_t id)
      : family_(family), key_(std::move(key)), id_(id) {}

  GaugeCallbackFamily* family_ = nullptr;
  std::vector<std::string> key_;
  std::uint64_t id_ = 0;
};

/// Gauges whose value is computed when scraped, for values that change continuously
/// (how long the oldest item has been processing) or live elsewhere (a cache's size).
class GaugeCallbackFamily final : public detail::FamilyBase {
 public:
  GaugeCallbackFamily(std::string name, std::string help, std::vector<std::string> label_names);

  /// Registers `compute` for these labels, replacing an earlier callback for the same labels.
  /// `compute` runs during render() under this family's lock: it must not register or
  /// unregister callbacks of this family.
  [[nodiscard]] CallbackRegistration set(const Labels& labels, std::function<double()> compute);

 private:
  friend class CallbackRegistration;
  struct Entry {
    std::uint64_t id;
    std::function<double()> compute;
  };
  void unregister(const std::vector<std::string>& key, std::uint64_t id);
  void render_samples(std::string& out) const override;

  std::uint64_t next_id_ = 1;
  std::map<std::vector<std::string>, Entry> callbacks_;
};

/// A set of metric families rendered together, e.g. on one /metrics endpoint.
///
/// Registering a name again returns the existing family when the type, label names (and
/// buckets) agree, so independent components can share a family such as workqueue_depth;
/// a disagreement throws std::invalid_argument.
class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  /// The process-wide registry that kopp's components use unless given another.
  static Registry& global();

  CounterFamily& counter(std::string name, std::string help, std::vector<std::string> label_names = {});
  GaugeFamily& gauge(std::string name, std::string help, std::vector<std::string> label_names = {});
  HistogramFamily& histogram(std::string name, std::string help, std::vector<std::string> label_names,
                             std::vector<double> buckets);
  GaugeCallbackFamily& gauge_callback(std::string name, std::string help, std::vector<std::string> label_names = {});

  /// Every family in the text format 0.0.4, sorted by metric name.
  std::string render() const;

 private:
  template <class F, class... Args>
  F& get_or_create(MetricType type, std::string name, std::string help, std::vector<std::string> label_names,
                   Args&&... args);

  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<detail::FamilyBase>, std::less<>> families_;
};

/// Formats a sample value as Prometheus' Go client does (strconv 'g', shortest), so that
/// `le` label values such as "1e-08" and "0.005" match what dashboards query for.
std::string format_value(double v);
/// Escapes a label value: backslash, double quote and newline.
std::string escape_label_value(std::string_view value);

}  // namespace kopp::metrics

#include <kopp/core/detail/config.hpp>
#include <kopp/runtime/telemetry/impl/metrics.hpp>
#if KOPP_HEADER_ONLY
#include <kopp/runtime/telemetry/impl/metrics.ipp>
#endif
