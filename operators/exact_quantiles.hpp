// coflow/operators/exact_quantiles.hpp
//
// exact_quantiles<T>: every value kept, so that any quantile is exact (and agrees with GNU
// datamash's perc, median, q1 and q3). A mergeable, serializable aggregate
// (operators/aggregate.hpp); for bounded memory, see kll_sketch (operators/kll_sketch.hpp).
//
//   coflow::exact_quantiles<double> state =
//       coflow::run(readings, coflow::sinks::aggregate(coflow::exact_quantiles<double>{}));
//   std::optional<double> p90 = state.quantile(0.9);
//   std::optional<double> median = state.median();   // also state.result()
//
// Definition: for the n kept values sorted, x[0] <= ... <= x[n - 1], quantile(q) is the linear
//   interpolation at h = (n - 1) * q between x[floor(h)] and x[floor(h) + 1]: R's and numpy's
//   default ("type 7"), and GNU datamash's perc:p (q = p / 100), q1, q3 and median. So
//   quantile(0) is the minimum, quantile(1) the maximum, and median() = quantile(0.5) the
//   middle value, or for an even count the mean of the two middle values. The interpolation is
//   std::lerp's, computed in double: it does not overflow, it is exact at the kept values, and
//   with an infinite neighbour it gives that infinity (datamash's a + f * (b - a) gives NaN for
//   -inf and a finite neighbour; otherwise the two agree to the last bits, datamash computing
//   in long double). Integers above 2^53 are rounded to double.
// NaN: NaN values are not kept; they are counted (nan_count()) and excluded from every
//   quantile (datamash instead answers NaN for a column holding one).
// Empty: the quantiles of no values are std::nullopt.
// Exceptions: quantile(q) throws std::invalid_argument naming q unless
//   0 <= q <= 1 (a NaN q too); deserialize throws coflow::format_error; std::bad_alloc.
// Memory: sizeof(T) bytes per non-NaN value (8 for double), up to twice that while the vector
//   grows, plus a merge buffer of up to the same size while a query sorts: memory grows with
//   n. For a fixed budget use kll_sketch.
// Cost: add is an amortized push_back. A query after adds sorts the values added since the
//   last query and merges them with the sorted rest (O(m log m + n)); queries between adds are
//   O(1). So sinks::aggregate with queries at the end costs one sort; ops::aggregate, which
//   asks for the median after every value, costs O(n) per value.
// Thread safety: the const queries sort the kept values in place (a cache), so concurrent
//   queries of one state need a lock, unlike most const member functions.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "operators/detail/quantile_values.hpp"
#include "pipeline/bytes.hpp"

namespace coflow {

/// exact_quantiles<T> keeps every value added and answers exact quantiles (see above).
template <quantile_value T>
class exact_quantiles {
 public:
  using value_type = T;

  exact_quantiles() = default;

  /// add keeps `value`, or counts it if it is a NaN.
  void add(const T& value) {
    if (detail::is_nan(value)) {
      ++nan_count_;
      return;
    }
    values_.push_back(value);
  }

  /// merge adds every value `other` kept and its NaN count.
  void merge(const exact_quantiles& other) {
    if (&other == this) {
      const std::vector<T> copy = values_;
      values_.insert(values_.end(), copy.begin(), copy.end());
    } else {
      values_.insert(values_.end(), other.values_.begin(), other.values_.end());
    }
    nan_count_ += other.nan_count_;
  }

  /// size is the number of values kept (NaNs not counted).
  [[nodiscard]] std::size_t size() const noexcept { return values_.size(); }
  [[nodiscard]] bool empty() const noexcept { return values_.empty(); }

  /// nan_count is the number of NaN values added (and not kept).
  [[nodiscard]] std::uint64_t nan_count() const noexcept { return nan_count_; }

  /// quantile(q) is the type-7 quantile of the kept values (see above), or std::nullopt if
  /// none. Throws std::invalid_argument unless 0 <= q <= 1.
  [[nodiscard]] std::optional<double> quantile(double q) const {
    detail::check_quantile(q, "coflow::exact_quantiles::quantile");
    if (values_.empty()) return std::nullopt;
    sort();
    const double h = static_cast<double>(values_.size() - 1) * q;
    const auto below = static_cast<std::size_t>(std::floor(h));
    const double a = static_cast<double>(values_[below]);
    const double fraction = h - static_cast<double>(below);
    if (fraction == 0.0 || below + 1 == values_.size()) return a;
    const double b = static_cast<double>(values_[below + 1]);
    if (a == b) return a;
    return std::lerp(a, b, fraction);
  }

  /// median is quantile(0.5): the middle value, or the mean of the two middle ones.
  [[nodiscard]] std::optional<double> median() const { return quantile(0.5); }

  /// result is the median, so that ops::aggregate passes on the running median.
  [[nodiscard]] std::optional<double> result() const { return median(); }

  /// rank(x) is the fraction of the kept values that are <= x (0 if none are kept; a NaN x
  /// gives 0).
  [[nodiscard]] double rank(T x) const {
    if (values_.empty() || detail::is_nan(x)) return 0.0;
    sort();
    const auto at_most = std::upper_bound(values_.begin(), values_.end(), x) - values_.begin();
    return static_cast<double>(at_most) / static_cast<double>(values_.size());
  }

  /// serialize appends the NaN count and the sorted values (8 bytes each) to `out`.
  void serialize(std::vector<std::byte>& out) const {
    sort();
    byte_writer w(out);
    w.header("coflow::exact_quantiles<" + detail::value_tag<T>() + ">", 1);
    w.u64(nan_count_);
    w.u64(values_.size());
    for (const T& v : values_) detail::write_value(w, v);
  }

  /// deserialize reads what serialize wrote. Throws coflow::format_error for bytes of another
  /// kind or value type, truncated or left-over bytes, and NaN or out-of-range values.
  static exact_quantiles deserialize(std::span<const std::byte> bytes) {
    byte_reader r(bytes);
    r.header("coflow::exact_quantiles<" + detail::value_tag<T>() + ">", 1);
    exact_quantiles state;
    state.nan_count_ = r.u64();
    const std::size_t n = r.count(8);
    state.values_.reserve(n);
    for (std::size_t i = 0; i < n; ++i) state.values_.push_back(detail::read_value<T>(r));
    r.finish();
    return state;
  }

 private:
  // sort brings the values added since the last query into the sorted prefix.
  void sort() const {
    if (sorted_ == values_.size()) return;
    const auto middle = values_.begin() + static_cast<std::ptrdiff_t>(sorted_);
    std::sort(middle, values_.end());
    std::inplace_merge(values_.begin(), middle, values_.end());
    sorted_ = values_.size();
  }

  mutable std::vector<T> values_;  // values_[0, sorted_) is sorted
  mutable std::size_t sorted_ = 0;
  std::uint64_t nan_count_ = 0;
};

}  // namespace coflow
