// coflow/operators/mean_state.hpp
//
// mean_state: the count and mean of a stream of doubles, as a mergeable, serializable state
// (see operators/aggregate.hpp). ops::averager is built on it; coflow::moments keeps the
// variance as well, at about twice the cost per value.
//
//   coflow::mean_state m;
//   for (double x : {1e16, 1.0, -1e16}) m.add(x);
//   m.mean();   // 1/3, correctly rounded, where sum / count gives 0
//
//   coflow::mean_state whole = coflow::run(values, coflow::sinks::aggregate(coflow::mean_state{}));
//
// Semantics: add(x) takes a double. count() is the number of values, mean() their mean (NaN for
//   no values). result() is the state itself. merge(other) gives the state of the values of
//   both, in any order and any grouping.
// Algorithm: every finite value x is taken as d = x - K, its distance from the first finite value
//   K, with the rounding error of that subtraction (an error-free two-sum), and the d are added
//   in a compensated sum (each addition's rounding error, recovered exactly by a two-sum, goes
//   to a second double with the subtractions' errors; Higham, "Accuracy and Stability of
//   Numerical Algorithms", 2nd ed., section 4.3). Then
//     mean = K + (sum d) / n
//   as a double-double division and an error-free addition. While every |d| is below 2^880 (any
//   stream whose values lie within 10^264 of each other) the d are summed as they are; a larger
//   distance switches the state to units of 2^e, an exact power-of-two scaling chosen so that no
//   sum of up to 2^64 values can overflow, which rounds only deviations below 2^(e - 1074).
//   merge moves the other state to this one's shift (the difference of the shifts with its
//   rounding error, times the other's count with the product's error) and to the larger unit.
// Accuracy (u = 2^-53): the mean is within 2 ulp of the exact mean plus 4n u^2 times the mean
//   |x_i - K|: within a few ulp for 1e9 + U(0, 1) over 10^6 values, correctly rounded for
//   {1e16, 1, -1e16}, where the incremental mean += (x - mean) / n is off by 100 ulp and sum /
//   count by everything. Counts above 2^53 round when converted to double.
// Numbers: non-finite values are kept apart and combined by IEEE addition: a NaN makes the mean
//   NaN; an infinity makes it that infinity, opposite infinities make it NaN. count() counts
//   every value. Finite values always give a finite mean, even when their differences overflow
//   a double.
// Exceptions: none, except deserialize: coflow::format_error for bytes that do not hold a
//   mean_state, or hold one that breaks its invariants.
// Serialization: tag "coflow.mean_state", version 1; every double bit-exact.
// Cost: add: two two-sums and a few compares, no division and no branch on the data; mean():
//   one division, an exact product (Dekker's below 2^26 values, an fma above) and a two-sum.
//   About 40 instructions each with gcc 12 -O2 (benchmarks/RESULTS.md). No allocation.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "operators/detail/deviation_state_bytes.hpp"
#include "operators/detail/exact_difference.hpp"
#include "pipeline/bytes.hpp"

namespace coflow {

/// mean_state is the mergeable running count and mean of doubles.
class mean_state {
 public:
  /// value_type is what add() takes.
  using value_type = double;

  mean_state() = default;

  /// add folds one value.
  void add(double x) noexcept {
    ++count_;
    if (!std::isfinite(x)) [[unlikely]] {
      special_ += x;
      fast_counts_ = 0;
      return;
    }
    if (n_++ == 0) [[unlikely]] {
      shift_ = x;  // its distance is 0: the sum stays 0
      return;
    }
    const double d = x - shift_;
    // `limit_` is 0 in units of 2^e, so that one compare selects the common case.
    if (std::fabs(d) < limit_) [[likely]] {
      // Knuth's two-sum: d + d_lo == x - shift_ exactly (nothing overflows below the limit).
      const double bb = d - x;
      const double d_lo = (x - (d - bb)) + (-shift_ - bb);
      add_to_sum(d);
      sum_lo_ += d_lo;
      return;
    }
    add_far(x);
  }

  /// merge folds another state: the result is the state of the values of both.
  void merge(const mean_state& other) noexcept {
    if (other.count_ == 0) return;
    if (count_ == 0) {
      *this = other;
      return;
    }
    mean_state b = other;  // a copy: `other` may be *this, and it is rescaled below
    count_ += b.count_;
    special_ += b.special_;
    if (b.count_ != b.n_) fast_counts_ = 0;
    if (b.n_ == 0) return;
    if (n_ == 0) {
      b.count_ = count_;
      b.special_ = special_;
      b.set_exponent(b.exp_);
      *this = b;
      return;
    }
    // b's values are b.shift_ + its deviations: in this frame, each is off by `shift`.
    const detail::exact_split shift = detail::exact_difference(b.shift_, shift_);
    int e = std::max(exp_, b.exp_);
    if (shift.hi != 0) e = std::max(e, detail::exponent_of(shift) - headroom);
    rescale(e);
    b.rescale(e);
    const double dy = std::ldexp(shift.hi, shift.halved - e);
    const double dy_lo = std::ldexp(shift.lo, shift.halved - e);
    const double nb = static_cast<double>(b.n_);
    add_to_sum(b.sum_hi_);
    sum_lo_ += b.sum_lo_;
    const double product = nb * dy;
    add_to_sum(product);
    sum_lo_ += std::fma(nb, dy, -product) + nb * dy_lo;
    n_ += b.n_;
  }

  /// result is the state itself: ask it for count() and mean().
  [[nodiscard]] const mean_state& result() const noexcept { return *this; }

  /// count is the number of values added, finite or not.
  [[nodiscard]] std::uint64_t count() const noexcept { return count_; }

  /// mean is the mean of the values (see Accuracy and Numbers); NaN for none.
  [[nodiscard]] double mean() const noexcept {
    // One test for the uncommon states: `fast_counts_` is 0 in units of 2^e and once a
    // non-finite value came; an empty state has a zero sum.
    if (n_ >= fast_counts_ || sum_hi_ == 0) [[unlikely]]
      return general_mean();
    // (sum d) / n as quotient + remainder / n, with one division: a quotient within a few ulp
    // leaves a remainder that is a double (a multiple of the quotient's ulp, below 2^27 of
    // them), and with n below 2^26 Dekker's product computes it exactly without an fma (a call
    // at -O2 on x86-64). The remainder's own quotient needs no better than a product.
    const double n = static_cast<double>(static_cast<std::int64_t>(n_));
    const double inverse = 1 / n;
    const double quotient = sum_hi_ * inverse;
    const double c = quotient * 134217729.0;  // Veltkamp's split (2^27 + 1): two halves of 26 bits
    const double high = c - (c - quotient);
    const double low = quotient - high;
    const double remainder = (sum_hi_ - high * n) - low * n;
    return detail::add_exactly(shift_, quotient, (remainder + sum_lo_) * inverse);
  }

  /// serialize appends the state's bytes to `out`.
  void serialize(std::vector<std::byte>& out) const {
    detail::write_deviation_state(out, "coflow.mean_state",
                                  {count_, n_, shift_, exp_, sum_hi_, sum_lo_, special_}, {});
  }

  /// deserialize reads what serialize wrote; format_error for anything else, including a
  /// state that breaks the invariants add and merge keep.
  static mean_state deserialize(std::span<const std::byte> bytes) {
    const detail::deviation_fields f = detail::read_deviation_state(bytes, "coflow.mean_state", {});
    if (!f.keeps_invariants({}, 0, max_exponent))
      throw format_error("coflow: the bytes hold a 'coflow.mean_state' state that is not valid");
    mean_state m;
    m.count_ = f.count;
    m.n_ = f.n;
    m.shift_ = f.shift;
    m.sum_hi_ = f.sum_hi;
    m.sum_lo_ = f.sum_lo;
    m.special_ = f.special;
    m.set_exponent(static_cast<int>(f.exponent));
    return m;
  }

  friend bool operator==(const mean_state&, const mean_state&) = default;

 private:
  // Deviations are kept below 2^(1023 - 64 - 79) = 2^880 in the current units, so that a sum of
  // up to 2^64 of them, and of the merged states' shifts, stays far from double's range.
  static constexpr int headroom = 880;
  // The largest unit: 2^1025 bounds any difference of two doubles.
  static constexpr int max_exponent = 1025 - headroom;

  // Knuth's two-sum: the rounding error of sum_hi_ + y, recovered exactly without a branch, goes
  // to the compensation.
  void add_to_sum(double y) noexcept {
    const double t = sum_hi_ + y;
    const double bb = t - sum_hi_;
    sum_lo_ += (sum_hi_ - (t - bb)) + (y - bb);
    sum_hi_ = t;
  }

  // A value 2^880 or more from the shift, or any value once the state is in larger units.
  // Out of line: the common path stays small enough to inline into a fused pipeline.
  [[gnu::noinline]] void add_far(double x) noexcept {
    const detail::exact_split d = detail::exact_difference(x, shift_);
    if (d.hi != 0) {
      const int e = detail::exponent_of(d) - headroom;
      if (e > exp_) rescale(e);
    }
    add_to_sum(std::ldexp(d.hi, d.halved - exp_));
    sum_lo_ += std::ldexp(d.lo, d.halved - exp_);
  }

  // mean() with an fma for the remainder: at 2^26 values or more, in units of 2^e, or for a
  // zero sum.
  [[gnu::noinline]] double general_mean() const noexcept {
    if (count_ != n_ || n_ == 0)
      return count_ == 0 ? std::numeric_limits<double>::quiet_NaN() : special_;
    const double n = static_cast<double>(n_);
    const double quotient = sum_hi_ / n;
    const double quotient_lo = (std::fma(-quotient, n, sum_hi_) + sum_lo_) / n;
    if (quotient == 0 && quotient_lo == 0) return shift_;  // exact, and keeps -0.0
    if (exp_ == 0)
      return detail::add_exactly(shift_, quotient, quotient_lo);  // below 2^944: finite
    // The deviation of the mean from the shift, or an intermediate of the sum, may overflow (a
    // shift near -max and values near +max): then add in halves, shift_ being so large that
    // halving it is exact.
    const double mean =
        detail::add_exactly(shift_, std::ldexp(quotient, exp_), std::ldexp(quotient_lo, exp_));
    if (std::isfinite(mean)) return mean;
    return 2 * detail::add_exactly(shift_ / 2, std::ldexp(quotient, exp_ - 1),
                                   std::ldexp(quotient_lo, exp_ - 1));
  }

  void rescale(int e) noexcept {
    if (e <= exp_) return;
    const int by = exp_ - e;
    sum_hi_ = std::ldexp(sum_hi_, by);
    sum_lo_ = std::ldexp(sum_lo_, by);
    set_exponent(e);
  }

  // Sets the units 2^e, and the bounds of the fast paths: 0 (none) in units of 2^e, and for
  // mean() also once a non-finite value came.
  void set_exponent(int e) noexcept {
    exp_ = e;
    limit_ = e == 0 ? unscaled_limit : 0.0;
    fast_counts_ = e == 0 && count_ == n_ ? dekker_counts : 0;
  }

  static constexpr double unscaled_limit = 0x1p880;
  static constexpr std::uint64_t dekker_counts = std::uint64_t{1} << 26;

  std::uint64_t count_ = 0;        // every value
  std::uint64_t n_ = 0;            // the finite ones
  double shift_ = 0;               // K, the first finite value
  double limit_ = unscaled_limit;  // the add fast path's bound on |x - K|: 2^880, 0 once scaled
  double sum_hi_ = 0;              // the sum of the deviations, in units of 2^exp_ ...
  double sum_lo_ = 0;   // ... and its compensation, with the two-sum errors of the deviations
  double special_ = 0;  // the IEEE sum of the non-finite values (0 if none)
  std::uint64_t fast_counts_ = dekker_counts;  // mean()'s fast path below it; see set_exponent
  int exp_ = 0;
};

}  // namespace coflow
