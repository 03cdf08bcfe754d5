#pragma once
// Definitions for kopp/runtime/telemetry/metrics.hpp.

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace kopp::metrics {

inline void Counter::inc(double amount) noexcept {
  if (!(amount >= 0.0)) return;  // also rejects NaN
  value_.fetch_add(amount, std::memory_order_relaxed);
}

inline Histogram::Histogram(std::vector<double> upper_bounds) : bounds_(std::move(upper_bounds)) {
  // A trailing +Inf is accepted and dropped: that bucket is always there.
  if (!bounds_.empty() && std::isinf(bounds_.back()) && bounds_.back() > 0) bounds_.pop_back();
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    if (std::isnan(bounds_[i]) || (i > 0 && !(bounds_[i - 1] < bounds_[i])))
      throw std::invalid_argument("histogram buckets must be strictly increasing");
  }
  counts_ = std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1);
}

inline void Histogram::observe(double v) noexcept {
  // Bucket i counts bounds_[i-1] < v <= bounds_[i]; NaN lands in +Inf, as in the Go client.
  const std::size_t index =
      std::isnan(v) ? bounds_.size()
                    : static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
  counts_[index].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

inline std::vector<std::uint64_t> Histogram::cumulative_counts() const {
  std::vector<std::uint64_t> out(bounds_.size() + 1);
  std::uint64_t running = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    out[i] = running;
  }
  return out;
}

inline std::uint64_t Histogram::count() const noexcept {
  std::uint64_t total = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) total += counts_[i].load(std::memory_order_relaxed);
  return total;
}

inline std::vector<double> exponential_buckets(double start, double factor, int count) {
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

inline std::vector<double> linear_buckets(double start, double width, int count) {
  if (count < 1 || !(width > 0)) throw std::invalid_argument("linear_buckets needs count >= 1, width > 0");
  std::vector<double> out;
  out.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) out.push_back(start + width * i);
  return out;
}

inline std::vector<double> workqueue_duration_buckets() {
  return {1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0};
}

inline std::vector<double> reconcile_time_buckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1,  1.25, 1.5,
          1.75,  2,    2.5,   3,    3.5, 4,    4.5, 5,    6,   7,    8,   9,    10,  15,  20,  25,  30,  40, 50,   60};
}

inline std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  // Go's 'g' with shortest precision: scientific when the decimal exponent is < -4 or >= 6
  // (hence "1e-08", "0.0001", "100000", "1e+06"), otherwise plain decimal.
  auto sci = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  const std::string_view s(buf, static_cast<std::size_t>(sci.ptr - buf));
  const auto e = s.find('e');
  int exponent = 0;
  std::from_chars(s.data() + e + (s[e + 1] == '+' ? 2 : 1), s.data() + s.size(), exponent);
  if (exponent < -4 || exponent >= 6) return std::string(s);
  auto fixed = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  return std::string(buf, fixed.ptr);
}

inline std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

namespace detail {

inline bool valid_metric_name(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

inline bool valid_label_name(std::string_view name) {
  // Names starting with "__" are reserved for Prometheus itself.
  return valid_metric_name(name) && name.find(':') == std::string_view::npos && name.substr(0, 2) != "__";
}

inline std::string escape_help(std::string_view help) {
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

// Writes `name{a="x",b="y"[,extra]} ` (the braces only when there is a label).
inline void write_series(std::string& out, std::string_view name, const std::vector<std::string>& label_names,
                         const std::vector<std::string>& values, std::string_view extra_label = {}) {
  out += name;
  if (!label_names.empty() || !extra_label.empty()) {
    out += '{';
    for (std::size_t i = 0; i < label_names.size(); ++i) {
      if (i > 0) out += ',';
      out += label_names[i];
      out += "=\"";
      out += escape_label_value(values[i]);
      out += '"';
    }
    if (!extra_label.empty()) {
      if (!label_names.empty()) out += ',';
      out += extra_label;
    }
    out += '}';
  }
  out += ' ';
}

inline FamilyBase::FamilyBase(std::string name, std::string help, MetricType type, std::vector<std::string> label_names)
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

inline std::vector<std::string> FamilyBase::values_of(const Labels& labels) const {
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

inline void FamilyBase::render(std::string& out) const {
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

template <class Metric>
Family<Metric>::Family(std::string name, std::string help, std::vector<std::string> label_names,
                       std::vector<double> buckets)
    : detail::FamilyBase(std::move(name), std::move(help),
                         std::is_same_v<Metric, Counter> ? MetricType::counter
                         : std::is_same_v<Metric, Gauge> ? MetricType::gauge
                                                         : MetricType::histogram,
                         std::move(label_names)),
      buckets_(std::move(buckets)) {
  static_assert(std::is_same_v<Metric, Counter> || std::is_same_v<Metric, Gauge> || std::is_same_v<Metric, Histogram>);
  // Validates and normalises the buckets now rather than at the first with().
  if constexpr (std::is_same_v<Metric, Histogram>) buckets_ = Histogram(std::move(buckets_)).upper_bounds();
  // An unlabelled metric is exposed (at zero) from the start, as the Go client does.
  if (this->label_names().empty()) with({});
}

template <class Metric>
Metric& Family<Metric>::with(const Labels& labels) {
  auto key = values_of(labels);
  std::lock_guard lock(mutex_);
  auto it = children_.find(key);
  if (it == children_.end()) {
    std::unique_ptr<Metric> child;
    if constexpr (std::is_same_v<Metric, Histogram>)
      child = std::make_unique<Histogram>(buckets_);
    else
      child = std::make_unique<Metric>();
    it = children_.emplace(std::move(key), std::move(child)).first;
  }
  return *it->second;
}

template <class Metric>
void Family<Metric>::remove(const Labels& labels) {
  const auto key = values_of(labels);
  std::lock_guard lock(mutex_);
  children_.erase(key);
}

template <class Metric>
void Family<Metric>::render_samples(std::string& out) const {
  std::lock_guard lock(mutex_);
  for (const auto& [values, metric] : children_) {
    if constexpr (std::is_same_v<Metric, Histogram>) {
      const auto counts = metric->cumulative_counts();
      const auto& bounds = metric->upper_bounds();
      const std::string bucket_name = name() + "_bucket";
      for (std::size_t i = 0; i < counts.size(); ++i) {
        const std::string le = "le=\"" + (i < bounds.size() ? format_value(bounds[i]) : std::string("+Inf")) + '"';
        detail::write_series(out, bucket_name, label_names(), values, le);
        out += std::to_string(counts[i]);
        out += '\n';
      }
      detail::write_series(out, name() + "_sum", label_names(), values);
      out += format_value(metric->sum());
      out += '\n';
      detail::write_series(out, name() + "_count", label_names(), values);
      out += std::to_string(counts.back());
      out += '\n';
    } else {
      detail::write_series(out, name(), label_names(), values);
      out += format_value(metric->value());
      out += '\n';
    }
  }
}

inline CallbackRegistration::CallbackRegistration(CallbackRegistration&& other) noexcept
    : family_(std::exchange(other.family_, nullptr)), key_(std::move(other.key_)), id_(other.id_) {}

inline CallbackRegistration& CallbackRegistration::operator=(CallbackRegistration&& other) noexcept {
  if (this != &other) {
    reset();
    family_ = std::exchange(other.family_, nullptr);
    key_ = std::move(other.key_);
    id_ = other.id_;
  }
  return *this;
}

inline CallbackRegistration::~CallbackRegistration() { reset(); }

inline void CallbackRegistration::reset() {
  if (family_ != nullptr) std::exchange(family_, nullptr)->unregister(key_, id_);
}

inline GaugeCallbackFamily::GaugeCallbackFamily(std::string name, std::string help,
                                                std::vector<std::string> label_names)
    : detail::FamilyBase(std::move(name), std::move(help), MetricType::gauge, std::move(label_names)) {}

inline CallbackRegistration GaugeCallbackFamily::set(const Labels& labels, std::function<double()> compute) {
  auto key = values_of(labels);
  std::lock_guard lock(mutex_);
  const auto id = next_id_++;
  callbacks_.insert_or_assign(key, Entry{id, std::move(compute)});
  return CallbackRegistration(this, std::move(key), id);
}

inline void GaugeCallbackFamily::unregister(const std::vector<std::string>& key, std::uint64_t id) {
  std::lock_guard lock(mutex_);
  // Only our own entry: a later set() for the same labels replaced it and owns it now.
  if (auto it = callbacks_.find(key); it != callbacks_.end() && it->second.id == id) callbacks_.erase(it);
}

inline void GaugeCallbackFamily::render_samples(std::string& out) const {
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

inline Registry& Registry::global() {
  // Never destroyed: components holding families may outlive static destruction order.
  static Registry* const registry = new Registry();
  return *registry;
}

template <class F, class... Args>
F& Registry::get_or_create(MetricType type, std::string name, std::string help, std::vector<std::string> label_names,
                           Args&&... args) {
  std::lock_guard lock(mutex_);
  if (auto it = families_.find(name); it != families_.end()) {
    auto* existing = dynamic_cast<F*>(it->second.get());
    if (existing == nullptr || existing->type() != type || existing->label_names() != label_names)
      throw std::invalid_argument("metric " + name + " is already registered with another type or labels");
    if constexpr (std::is_same_v<F, HistogramFamily>) {
      if (((existing->buckets() != args) || ...))
        throw std::invalid_argument("metric " + name + " is already registered with other buckets");
    }
    return *existing;
  }
  auto family = std::make_unique<F>(name, std::move(help), std::move(label_names), std::forward<Args>(args)...);
  auto& ref = *family;
  families_.emplace(std::move(name), std::move(family));
  return ref;
}

inline CounterFamily& Registry::counter(std::string name, std::string help, std::vector<std::string> label_names) {
  return get_or_create<CounterFamily>(MetricType::counter, std::move(name), std::move(help), std::move(label_names));
}

inline GaugeFamily& Registry::gauge(std::string name, std::string help, std::vector<std::string> label_names) {
  return get_or_create<GaugeFamily>(MetricType::gauge, std::move(name), std::move(help), std::move(label_names));
}

inline HistogramFamily& Registry::histogram(std::string name, std::string help, std::vector<std::string> label_names,
                                            std::vector<double> buckets) {
  // Normalise first so that a re-registration compares like with like.
  buckets = Histogram(std::move(buckets)).upper_bounds();
  return get_or_create<HistogramFamily>(MetricType::histogram, std::move(name), std::move(help), std::move(label_names),
                                        std::move(buckets));
}

inline GaugeCallbackFamily& Registry::gauge_callback(std::string name, std::string help,
                                                     std::vector<std::string> label_names) {
  return get_or_create<GaugeCallbackFamily>(MetricType::gauge, std::move(name), std::move(help),
                                            std::move(label_names));
}

inline std::string Registry::render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& [name, family] : families_) family->render(out);
  return out;
}

}  // namespace kopp::metrics
