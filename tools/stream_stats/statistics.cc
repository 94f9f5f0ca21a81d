#include "tools/stream_stats/statistics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <utility>

namespace stream_stats {

namespace {

// The mean of n values from the mean of the first n - 1 and the n-th, without a running total
// that could overflow (the formula of coflow's averager, so that the means agree).
double next_mean(double mean, double x, std::uint64_t n) {
  if (n == 1) return x;
  const double delta = x - mean;
  if (std::isfinite(delta)) return mean + delta / static_cast<double>(n);
  return mean - mean / static_cast<double>(n) + x / static_cast<double>(n);
}

// Neumaier's compensated addition: sum + compensation holds the total far more accurately than
// a plain running sum (exactly, for integers below 2^53).
void add_compensated(double& sum, double& compensation, double x) {
  const double t = sum + x;
  if (!std::isfinite(t)) {
    // Beyond a double's range: the sum is that infinity from now on (inf - inf would be NaN).
    sum = t;
    return;
  }
  if (std::abs(sum) >= std::abs(x)) {
    compensation += (sum - t) + x;
  } else {
    compensation += (x - t) + sum;
  }
  sum = t;
}

}  // namespace

std::string quantile_error_text() { return coflow::kll_sketch<double>().error_statement(); }

std::string distinct_error_text() {
  const coflow::hyperloglog<double> sketch(distinct_precision);
  return fmt::format("relative standard error {:.2g}% (HyperLogLog p={})",
                     100 * sketch.relative_standard_error(), distinct_precision);
}

void column_statistics::add(double x) {
  ++count_;
  const double old_mean = mean_;
  mean_ = next_mean(mean_, x, count_);
  m2_ += (x - old_mean) * (x - mean_);
  if (count_ == 1) {
    min_ = max_ = ewma_ = first_ = x;
  } else {
    min_ = std::min(min_, x);
    max_ = std::max(max_, x);
    const double alpha = config_ ? config_->alpha : 0.1;
    ewma_ = alpha == 1 ? x : alpha * x + (1 - alpha) * ewma_;
  }
  if (!config_) return;
  if (config_->sum) add_compensated(sum_, compensation_, x);
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
  if (other.count_ == 0) return;
  if (count_ == 0) {
    *this = other;
    return;
  }
  // Chan et al.'s pairwise update of the mean and the squared deviations.
  const auto n = static_cast<double>(count_ + other.count_);
  const double delta = other.mean_ - mean_;
  m2_ += other.m2_ +
         delta * delta * static_cast<double>(count_) * static_cast<double>(other.count_) / n;
  mean_ += delta * static_cast<double>(other.count_) / n;
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  // other's EWMA was seeded by its first value; seeded by this state's EWMA instead, it differs
  // by (1 - alpha)^k (ewma - first) after its k values.
  const double alpha = config_ ? config_->alpha : 0.1;
  ewma_ =
      other.ewma_ + std::pow(1 - alpha, static_cast<double>(other.count_)) * (ewma_ - other.first_);
  add_compensated(sum_, compensation_, other.sum_);
  if (std::isfinite(sum_)) compensation_ += other.compensation_;
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
  s.count = count_;
  if (config_ && config_->sum) s.sum = std::isfinite(sum_) ? sum_ + compensation_ : sum_;
  if (config_ && config_->distinct) s.distinct = sketch_ ? sketch_->result() : distinct_.size();
  if (config_) s.quantiles.resize(config_->quantiles.size());
  if (count_ == 0) return s;
  s.mean = mean_;
  s.min = min_;
  s.max = max_;
  s.ewma = ewma_;
  if (count_ >= 2) {
    const double variance = m2_ / static_cast<double>(count_ - 1);
    s.stddev = std::sqrt(variance < 0 ? 0.0 : variance);
  }
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
