#include "tools/stream_stats/statistics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <utility>

namespace stream_stats {

std::string quantile_error_text() { return coflow::kll_sketch<double>().error_statement(); }

std::string distinct_error_text() {
  const coflow::hyperloglog<double> sketch(distinct_precision);
  return fmt::format("relative standard error {:.2g}% (HyperLogLog p={})",
                     100 * sketch.relative_standard_error(), distinct_precision);
}

void column_statistics::add(double x) {
  moments_.add(x);
  extrema_.add(x);
  if (moments_.count() == 1) {
    ewma_ = first_ = x;
  } else {
    ewma_ = alpha_ == 1 ? x : alpha_ * x + (1 - alpha_) * ewma_;
  }
  if (!extras_) return;
  if (config_->sum) sum_.add(x);
  if (!config_->quantiles.empty()) {
    if (!config_->approx) {
      quantiles_.add(x);
    } else {
      if (!quantile_sketch_) quantile_sketch_.emplace();
      quantile_sketch_->add(x);
    }
  }
  if (config_->distinct) {
    if (!config_->approx) {
      distinct_.insert(x + 0.0);  // -0 + 0 is 0: one value
    } else {
      if (!sketch_) sketch_.emplace(distinct_precision);
      sketch_->add(x);
    }
  }
}

void column_statistics::merge(const column_statistics& other) {
  if (other.moments_.count() == 0) return;
  if (moments_.count() == 0) {
    *this = other;
    return;
  }
  // other's EWMA was seeded by its first value; seeded by this state's EWMA instead, it differs
  // by (1 - alpha)^k (ewma - first) after its k values (to rounding).
  ewma_ = other.ewma_ + std::pow(1 - alpha_, static_cast<double>(other.moments_.count())) *
                            (ewma_ - other.first_);
  moments_.merge(other.moments_);
  extrema_.merge(other.extrema_);
  sum_.merge(other.sum_);
  quantiles_.merge(other.quantiles_);
  if (other.quantile_sketch_) {
    if (quantile_sketch_) {
      quantile_sketch_->merge(*other.quantile_sketch_);
    } else {
      quantile_sketch_ = other.quantile_sketch_;
    }
  }
  distinct_.insert(other.distinct_.begin(), other.distinct_.end());
  if (other.sketch_) {
    if (sketch_) {
      sketch_->merge(*other.sketch_);
    } else {
      sketch_ = other.sketch_;
    }
  }
}

summary column_statistics::result() const {
  summary s;
  s.count = moments_.count();
  if (config_ && config_->sum) s.sum = sum_.result();
  if (config_ && config_->distinct) s.distinct = sketch_ ? sketch_->result() : distinct_.size();
  if (config_) s.quantiles.resize(config_->quantiles.size());
  if (s.count == 0) return s;
  s.mean = moments_.mean();
  s.min = extrema_.min();
  s.max = extrema_.max();
  s.ewma = ewma_;
  if (s.count >= 2) s.stddev = moments_.stddev();
  if (config_) {
    for (std::size_t i = 0; i < config_->quantiles.size(); ++i) {
      const double q = config_->quantiles[i];
      s.quantiles[i] = quantile_sketch_ ? quantile_sketch_->quantile(q) : quantiles_.quantile(q);
    }
  }
  return s;
}

void row_statistics::add(const sample_values& values) {
  ++count_;
  const std::size_t n = std::min(values.size(), columns_.size());
  for (std::size_t i = 0; i < n; ++i) columns_[i].add(values[i]);
}

void row_statistics::merge(const row_statistics& other) {
  if (columns_.empty()) {
    *this = other;
    return;
  }
  count_ += other.count_;
  const std::size_t n = std::min(other.columns_.size(), columns_.size());
  for (std::size_t i = 0; i < n; ++i) columns_[i].merge(other.columns_[i]);
}

std::vector<summary> row_statistics::result() const {
  std::vector<summary> summaries;
  summaries.reserve(columns_.size());
  for (const column_statistics& column : columns_) summaries.push_back(column.result());
  return summaries;
}

}  // namespace stream_stats
