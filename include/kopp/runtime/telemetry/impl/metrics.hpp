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

}  // namespace kopp::metrics
