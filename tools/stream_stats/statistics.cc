#include "tools/stream_stats/statistics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <unordered_set>
#include <utility>

#include "operators/exact_quantiles.hpp"
#include "operators/hyperloglog.hpp"
#include "operators/kll_sketch.hpp"
#include "operators/sum_state.hpp"

namespace stream_stats {

std::string quantile_error_text() { return coflow::kll_sketch<double>().error_statement(); }

std::string distinct_error_text() {
  const coflow::hyperloglog<double> sketch(distinct_precision);
  return fmt::format("relative standard error {:.2g}% (HyperLogLog p={})",
                     100 * sketch.relative_standard_error(), distinct_precision);
}

// What --sum, --distinct and --quantiles keep.
struct column_statistics::extra_state {
  coflow::sum_state<double> sum;                              // --sum: compensated
  coflow::exact_quantiles<double> quantiles;                  // --quantiles
  std::optional<coflow::kll_sketch<double>> quantile_sketch;  // --approx --quantiles
  std::unordered_set<double> distinct;                        // --distinct
  std::optional<coflow::hyperloglog<double>> sketch;  // --approx --distinct, from the first value
};

column_statistics::column_statistics(std::shared_ptr<const statistics_config> config)
    : config_(std::move(config)), alpha_(config_ ? config_->alpha : alpha_) {
  if (config_ && (config_->sum || config_->distinct || !config_->quantiles.empty())) {
    extras_ = std::make_unique<extra_state>();
  }
}

column_statistics::column_statistics(const column_statistics& other)
    : config_(other.config_),
      alpha_(other.alpha_),
      moments_(other.moments_),
      extrema_(other.extrema_),
      ewma_(other.ewma_),
      first_(other.first_),
      extras_(other.extras_ ? std::make_unique<extra_state>(*other.extras_) : nullptr) {}

column_statistics& column_statistics::operator=(const column_statistics& other) {
  if (this != &other) *this = column_statistics(other);
  return *this;
}

column_statistics::column_statistics(column_statistics&&) noexcept = default;
column_statistics& column_statistics::operator=(column_statistics&&) noexcept = default;
column_statistics::~column_statistics() = default;

void column_statistics::add(double x) {
  moments_.add(x);
  extrema_.add(x);
  if (moments_.count() == 1) {
    ewma_ = first_ = x;
  } else {
    ewma_ = alpha_ == 1 ? x : alpha_ * x + (1 - alpha_) * ewma_;
  }
  if (!extras_) return;
  if (config_->sum) extras_->sum.add(x);
  if (!config_->quantiles.empty()) {
    if (!config_->approx) {
      extras_->quantiles.add(x);
    } else {
      if (!extras_->quantile_sketch) extras_->quantile_sketch.emplace();
      extras_->quantile_sketch->add(x);
    }
  }
  if (config_->distinct) {
    if (!config_->approx) {
      extras_->distinct.insert(x + 0.0);  // -0 + 0 is 0: one value
    } else {
      if (!extras_->sketch) extras_->sketch.emplace(distinct_precision);
      extras_->sketch->add(x);
    }
  }
}

void column_statistics::add_out_of_line(double x) { add(x); }

void column_statistics::add_one(double x) {
  if (extras_ || moments_.count() == 0) {
    add_out_of_line(x);
    return;
  }
  moments_.add(x);
  extrema_.add(x);
  ewma_ = alpha_ == 1 ? x : alpha_ * x + (1 - alpha_) * ewma_;
}

// flatten: moments::add is too long for gcc to inline on its own, and called out of line it
// keeps the state in memory, a store and a load more on the chain from one value to the next.
[[gnu::flatten]] void column_statistics::add_many(const double* x, std::size_t n,
                                                  std::size_t stride) {
  if (n == 0) return;
  if (extras_ || moments_.count() == 0) {
    // The first value seeds the EWMA; --sum, --distinct and --quantiles take add's path.
    add(*x);
    if (extras_) {
      for (std::size_t i = 1; i < n; ++i) add(x[i * stride]);
      return;
    }
    x += stride;
    --n;
  }
  // The six statistics alone, the common case.
  const double alpha = alpha_;
  auto update = [alpha](coflow::moments& moments, coflow::extrema<double>& extrema, double& ewma,
                        double v) {
    moments.add(v);
    extrema.add(v);
    ewma = alpha == 1 ? v : alpha * v + (1 - alpha) * ewma;
  };
  if (n == 1) {
    // One value (a --by key's share of a sample, say): in place.
    update(moments_, extrema_, ewma_, *x);
    return;
  }
  // Many: the states are copied into locals for the loop, so that they stay in registers
  // (members could alias `x`, and would be stored and loaded again for every value).
  coflow::moments moments = moments_;
  coflow::extrema<double> extrema = extrema_;
  double ewma = ewma_;
  for (std::size_t i = 0; i < n; ++i) update(moments, extrema, ewma, x[i * stride]);
  moments_ = moments;
  extrema_ = extrema;
  ewma_ = ewma;
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
  if (!other.extras_) return;
  if (!extras_) extras_ = std::make_unique<extra_state>();
  extra_state& mine = *extras_;
  const extra_state& theirs = *other.extras_;
  mine.sum.merge(theirs.sum);
  mine.quantiles.merge(theirs.quantiles);
  if (theirs.quantile_sketch) {
    if (mine.quantile_sketch) {
      mine.quantile_sketch->merge(*theirs.quantile_sketch);
    } else {
      mine.quantile_sketch = theirs.quantile_sketch;
    }
  }
  mine.distinct.insert(theirs.distinct.begin(), theirs.distinct.end());
  if (theirs.sketch) {
    if (mine.sketch) {
      mine.sketch->merge(*theirs.sketch);
    } else {
      mine.sketch = theirs.sketch;
    }
  }
}

summary column_statistics::result() const {
  summary s;
  s.count = moments_.count();
  if (config_ && config_->sum) s.sum = extras_->sum.result();
  if (config_ && config_->distinct) {
    s.distinct = extras_->sketch ? extras_->sketch->result() : extras_->distinct.size();
  }
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
      s.quantiles[i] = extras_->quantile_sketch ? extras_->quantile_sketch->quantile(q)
                                                : extras_->quantiles.quantile(q);
    }
  }
  return s;
}

void row_statistics::add(const sample_values& values) {
  ++count_;
  const std::size_t n = std::min(values.size(), columns_.size());
  for (std::size_t i = 0; i < n; ++i) columns_[i].add(values[i]);
}

void row_statistics::add_rows(const double* values, std::size_t rows, std::size_t stride) {
  count_ += rows;
  const std::size_t n = std::min(stride, columns_.size());
  for (std::size_t i = 0; i < n; ++i) columns_[i].add_many(values + i, rows, stride);
}

// flatten: add_one and moments::add inline here, add_one's uncommon case stays a call.
[[gnu::flatten]] void row_statistics::add_row(const double* values, std::size_t stride) {
  ++count_;
  const std::size_t n = std::min(stride, columns_.size());
  for (std::size_t i = 0; i < n; ++i) columns_[i].add_one(values[i]);
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
