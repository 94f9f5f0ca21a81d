// tools/stream_stats/statistics.hpp
//
// The statistics stream_stats reports for one value column, and for a row of columns: count,
// mean, min, max, sample standard deviation and EWMA always; a compensated sum, the number of
// distinct values and quantiles when asked.
//
//   auto config = std::make_shared<stream_stats::statistics_config>();
//   config->quantiles = {0.5, 0.9};
//   stream_stats::column_statistics s(config);
//   for (double x : {1.0, 2.0, 3.0, 4.0}) s.add(x);
//   stream_stats::summary r = s.result();   // count 4, mean 2.5, ..., quantiles 2.5, 3.7
//
//   // Per key, in a pipeline: each group's final state.
//   coflow::sinks::group_by(&stream_stats::sample::key,
//                           coflow::sinks::aggregate(stream_stats::row_statistics(config, 2)))
//
// Semantics: count, mean and the sample standard deviation are coflow::moments' (compensated
//   and shifted: accurate to a few ulp), min and max coflow::extrema's, the sum
//   coflow::sum_state's (Neumaier's compensated sum); the EWMA is kept here, having no
//   mergeable state but the one below. An empty stream gives count 0 and no other statistic
//   (never NaN), a sum of 0 and 0 distinct values; the standard deviation needs two values.
//   Quantiles are coflow's exact_quantiles, datamash's `perc` (R's type 7, numpy's default): with
//   the values sorted, h = (n - 1) q and the quantile is v[floor h] + (h - floor h) (v[floor h + 1]
//   - v[floor h]); with `approx`, a coflow::kll_sketch (k = 200) answers a value whose rank is
//   within the error quantile_error_text() states. Distinct values are distinct doubles (-0 and 0
//   are one), so "1" and "1.0" are one value where datamash's countunique, which compares text,
//   sees two. With `approx`, coflow::hyperloglog estimates them in 16 KiB (distinct_error_text()
//   states its error). A sum beyond a double's range is infinite (null in JSON).
// Cost: O(1) per value, plus memory for every value with exact quantiles and for every distinct
//   value with exact distinct counts; result() sorts the values added since the last result().
// Exceptions: what allocation throws.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "operators/extrema.hpp"
#include "operators/moments.hpp"
#include "tools/stream_stats/records.hpp"

namespace stream_stats {

/// distinct_precision is the precision of --approx's HyperLogLog: 2^14 registers (16 KiB per
/// column and key), a relative standard error of 0.81 %.
inline constexpr int distinct_precision = 14;

/// statistics_config is what to compute beyond the six statistics always reported.
struct statistics_config {
  double alpha = 0.1;             // the EWMA's weight of a new value
  bool sum = false;               // --sum
  bool distinct = false;          // --distinct
  std::vector<double> quantiles;  // --quantiles / --median, each in [0, 1]
  bool approx = false;            // --approx: sketches instead of exact values
};

/// summary is one row of the report: the statistics of one column's values seen so far.
struct summary {
  std::uint64_t count = 0;
  std::optional<double> mean;
  std::optional<double> min;
  std::optional<double> max;
  std::optional<double> stddev;
  std::optional<double> ewma;
  std::optional<double> sum;                     // with --sum
  std::optional<std::uint64_t> distinct;         // with --distinct
  std::vector<std::optional<double>> quantiles;  // one per configured quantile

  friend bool operator==(const summary&, const summary&) = default;
};

/// quantile_error_text states the error of --approx's quantiles, as the output shows it.
std::string quantile_error_text();

/// distinct_error_text states the error of --approx's distinct count, as the output shows it.
std::string distinct_error_text();

/// column_statistics is the running state of one column's statistics. The state that only
/// --sum, --distinct and --quantiles need is allocated only when the configuration asks for it,
/// so that a column without them (and each --by key's) takes 168 bytes, not 712.
class column_statistics {
 public:
  using value_type = double;

  column_statistics() = default;
  explicit column_statistics(std::shared_ptr<const statistics_config> config);
  column_statistics(const column_statistics& other);
  column_statistics(column_statistics&&) noexcept;
  column_statistics& operator=(const column_statistics& other);
  column_statistics& operator=(column_statistics&&) noexcept;
  ~column_statistics();

  /// add takes the next value.
  void add(double x);

  /// add_many takes x[0], x[stride], ... (`n` values) as n calls of add would, bit for bit, in
  /// a loop that decides once what the configuration asks for rather than per value.
  void add_many(const double* x, std::size_t n, std::size_t stride);

  /// add_one is add for the common case, inlined where it is called (see add_row); what it
  /// does not handle itself (the first value, --sum, --distinct, --quantiles) it calls add for.
  void add_one(double x);

  /// merge takes the values of `other` as if they had come after this state's (the EWMA too).
  void merge(const column_statistics& other);

  /// result returns the statistics of the values so far.
  [[nodiscard]] summary result() const;

 private:
  struct extra_state;

  // add, never inlined: add_one's uncommon case, kept out of the callers that flatten it.
  [[gnu::noinline]] void add_out_of_line(double x);

  std::shared_ptr<const statistics_config> config_;
  double alpha_ = 0.1;       // config_->alpha, at hand for every value
  coflow::moments moments_;  // count, mean, standard deviation
  coflow::extrema<double> extrema_;
  double ewma_ = 0;
  double first_ = 0;                     // the first value, which seeds the EWMA (for merge)
  std::unique_ptr<extra_state> extras_;  // a sum, distinct values or quantiles to keep
};

/// row_statistics is the running state of every value column's statistics: a sample's values go
/// to their columns in order. It is a coflow::mergeable_aggregate, for sinks::aggregate.
class row_statistics {
 public:
  using value_type = sample_values;

  row_statistics() = default;
  row_statistics(const std::shared_ptr<const statistics_config>& config, std::size_t columns)
      : columns_(columns, column_statistics(config)) {}

  void add(const sample_values& values);
  /// add_rows takes `rows` samples' values, row after row `stride` values apart (a
  /// sample_batch's), as that many calls of add would.
  void add_rows(const double* values, std::size_t rows, std::size_t stride);
  /// add_row takes one sample's values, the `stride` values from `values`, as add would: the
  /// common case of a --by key, inlined into one function (no call per column, no run loop).
  void add_row(const double* values, std::size_t stride);
  void merge(const row_statistics& other);
  [[nodiscard]] std::vector<summary> result() const;
  [[nodiscard]] std::uint64_t count() const noexcept { return count_; }

 private:
  std::vector<column_statistics> columns_;
  std::uint64_t count_ = 0;
};

}  // namespace stream_stats
