#pragma once

#include <kopp/runtime/telemetry/metrics.hpp>
// Definitions for kopp/runtime/telemetry/metrics.hpp.

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace kopp::metrics {

KOPP_DECL void Counter::inc(double amount) noexcept {
  if (!(amount >= 0.0)) return;  // also rejects NaN
  value_.fetch_add(amount, std::memory_order_relaxed);
}

KOPP_DECL Histogram::Histogram(std::vector<double> upper_bounds) : bounds_(std::move(upper_bounds)) {
  // A trailing +Inf is accepted and dropped: that bucket is always there.
  if (!bounds_.empty() && std::isinf(bounds_.back()) && bounds_.back() > 0) bounds_.pop_back();
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    if (std::isnan(bounds_[i]) || (i > 0 && !(bounds_[i - 1] < bounds_[i])))
      throw std::invalid_argument("histogram buckets must be strictly increasing");
  }
  counts_ = std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1);
}

KOPP_DECL void Histogram::observe(double v) noexcept {
  // Bucket i counts bounds_[i-1] < v <= bounds_[i]; NaN lands in +Inf, as in the Go client.
  const std::size_t index =
      std::isnan(v) ? bounds_.size()
                    : static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
  counts_[index].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

KOPP_DECL std::vector<std::uint64_t> Histogram::cumulative_counts() const {
  std::vector<std::uint64_t> out(bounds_.size() + 1);
  std::uint64_t running = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    out[i] = running;
  }
  return out;
}

KOPP_DECL std::uint64_t Histogram::count() const noexcept {
  std::uint64_t total = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) total += counts_[i].load(std::memory_order_relaxed);
  return total;
}

KOPP_DECL std::vector<double> exponential_buckets(double start, double factor, int count) {
  if (count < 1 || !(start > 0) || !(factor > 1))
    throw std::invalid_argument("exponential_buckets needs count >= 1, start > 0, factor > 1");
  std::vector<double> out;
  out.reserve(static_cast<std::size_t>(count));
  // Each bound is computed from start, not by repeated multiplication, so rounding errors do
  // not accumulate: 1e-8 * 10^n renders as "1e-05", where repeated products (as in the Go
  // client) give "9.999999999999999e-06".
  for (int i = 0; i < count; ++i) out.push_back(start * std::pow(factor, i));
  return out;
}

KOPP_DECL std::vector<double> linear_buckets(double start, double width, int count) {
  if (count < 1 || !(width > 0)) throw std::invalid_argument("linear_buckets needs count >= 1, width > 0");
  std::vector<double> out;
  out.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) out.push_back(start + width * i);
  return out;
}

KOPP_DECL std::vector<double> workqueue_duration_buckets() {
  return {1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0};
}

KOPP_DECL std::vector<double> reconcile_time_buckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1,  1.25, 1.5,
          1.75,  2,    2.5,   3,    3.5, 4,    4.5, 5,    6,   7,    8,   9,    10,  15,  20,  25,  30,  40, 50,   60};
}
namespace detail {

KOPP_DECL bool valid_metric_name(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

KOPP_DECL bool valid_label_name(std::string_view name) {
  // Names starting with "__" are reserved for Prometheus itself.
  return valid_metric_name(name) && name.find(':') == std::string_view::npos && name.substr(0, 2) != "__";
}

KOPP_DECL std::string escape_help(std::string_view help) {
  std::string out;
  for (char c : help) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

KOPP_DECL FamilyBase::FamilyBase(std::string name, std::string help, MetricType type,
                                 std::vector<std::string> label_names)
    : name_(std::move(name)), help_(std::move(help)), type_(type), label_names_(std::move(label_names)) {
  if (!valid_metric_name(name_)) throw std::invalid_argument("invalid metric name: " + name_);
  for (std::size_t i = 0; i < label_names_.size(); ++i) {
    const auto& label = label_names_[i];
    if (!valid_label_name(label)) throw std::invalid_argument("invalid label name: " + label);
    if (type_ == MetricType::histogram && label == "le")
      throw std::invalid_argument("a histogram cannot have a label named le");
    if (std::find(label_names_.begin(), label_names_.begin() + static_cast<std::ptrdiff_t>(i), label) !=
        label_names_.begin() + static_cast<std::ptrdiff_t>(i))
      throw std::invalid_argument("duplicate label name: " + label);
  }
}

KOPP_DECL std::vector<std::string> FamilyBase::values_of(const Labels& labels) const {
  if (labels.size() != label_names_.size()) throw std::invalid_argument("metric " + name_ + ": wrong number of labels");
  std::vector<std::string> values(label_names_.size());
  std::vector<bool> seen(label_names_.size(), false);
  for (const auto& label : labels) {
    const auto it = std::find(label_names_.begin(), label_names_.end(), label.name);
    if (it == label_names_.end()) throw std::invalid_argument("metric " + name_ + ": unknown label " + label.name);
    const auto index = static_cast<std::size_t>(it - label_names_.begin());
    if (seen[index]) throw std::invalid_argument("metric " + name_ + ": label given twice: " + label.name);
    seen[index] = true;
    values[index] = label.value;
  }
  return values;
}

KOPP_DECL void FamilyBase::render(std::string& out) const {
  std::string samples;
  render_samples(samples);
  // A labelled family without children is left out entirely, as the Go client does.
  if (samples.empty()) return;
  out += "# HELP ";
  out += name_;
  out += ' ';
  out += escape_help(help_);
  out += "\n# TYPE ";
  out += name_;
  switch (type_) {
    case MetricType::counter:
      out += " counter\n";
      break;
    case MetricType::gauge:
      out += " gauge\n";
      break;
    case MetricType::histogram:
      out += " histogram\n";
      break;
  }
  out += samples;
}
}  // namespace detail

KOPP_DECL CallbackRegistration::CallbackRegistration(CallbackRegistration&& other) noexcept
    : family_(std::exchange(other.family_, nullptr)), key_(std::move(other.key_)), id_(other.id_) {}

KOPP_DECL CallbackRegistration& CallbackRegistration::operator=(CallbackRegistration&& other) noexcept {
  if (this != &other) {
    reset();
    family_ = std::exchange(other.family_, nullptr);
    key_ = std::move(other.key_);
    id_ = other.id_;
  }
  return *this;
}

KOPP_DECL CallbackRegistration::~CallbackRegistration() { reset(); }

KOPP_DECL void CallbackRegistration::reset() {
  if (family_ != nullptr) std::exchange(family_, nullptr)->unregister(key_, id_);
}

KOPP_DECL GaugeCallbackFamily::GaugeCallbackFamily(std::string name, std::string help,
                                                   std::vector<std::string> label_names)
    : detail::FamilyBase(std::move(name), std::move(help), MetricType::gauge, std::move(label_names)) {}

KOPP_DECL CallbackRegistration GaugeCallbackFamily::set(const Labels& labels, std::function<double()> compute) {
  auto key = values_of(labels);
  std::lock_guard lock(mutex_);
  const auto id = next_id_++;
  callbacks_.insert_or_assign(key, Entry{id, std::move(compute)});
  return CallbackRegistration(this, std::move(key), id);
}

KOPP_DECL void GaugeCallbackFamily::unregister(const std::vector<std::string>& key, std::uint64_t id) {
  std::lock_guard lock(mutex_);
  // Only our own entry: a later set() for the same labels replaced it and owns it now.
  if (auto it = callbacks_.find(key); it != callbacks_.end() && it->second.id == id) callbacks_.erase(it);
}

KOPP_DECL void GaugeCallbackFamily::render_samples(std::string& out) const {
  std::lock_guard lock(mutex_);
  for (const auto& [values, entry] : callbacks_) {
    double v;
    try {
      v = entry.compute();
    } catch (...) {
      continue;  // one failing callback must not break the whole scrape
    }
    detail::write_series(out, name(), label_names(), values);
    out += format_value(v);
    out += '\n';
  }
}

KOPP_DECL Registry& Registry::global() {
  // Never destroyed: components holding families may outlive static destruction order.
  static Registry* const registry = new Registry();
  return *registry;
}

KOPP_DECL CounterFamily& Registry::counter(std::string name, std::string help, std::vector<std::string> label_names) {
  return get_or_create<CounterFamily>(MetricType::counter, std::move(name), std::move(help), std::move(label_names));
}

KOPP_DECL GaugeFamily& Registry::gauge(std::string name, std::string help, std::vector<std::string> label_names) {
  return get_or_create<GaugeFamily>(MetricType::gauge, std::move(name), std::move(help), std::move(label_names));
}

KOPP_DECL HistogramFamily& Registry::histogram(std::string name, std::string help, std::vector<std::string> label_names,
                                               std::vector<double> buckets) {
  // Normalise first so that a re-registration compares like with like.
  buckets = Histogram(std::move(buckets)).upper_bounds();
  return get_or_create<HistogramFamily>(MetricType::histogram, std::move(name), std::move(help), std::move(label_names),
                                        std::move(buckets));
}

KOPP_DECL GaugeCallbackFamily& Registry::gauge_callback(std::string name, std::string help,
                                                        std::vector<std::string> label_names) {
  return get_or_create<GaugeCallbackFamily>(MetricType::gauge, std::move(name), std::move(help),
                                            std::move(label_names));
}

KOPP_DECL std::string Registry::render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& [name, family] : families_) family->render(out);
  return out;
}
}  // namespace kopp::metrics
