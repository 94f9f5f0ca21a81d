// coflow/operators/moments.hpp
//
// moments: the count, mean, variance and standard deviation of a stream of doubles, as a
// mergeable, serializable state (see operators/aggregate.hpp). ops::averager, ops::variance
// and ops::stddev are built on it.
//
//   coflow::moments m;
//   for (double x : {1e15, 1e15 + 0.25, 1e15 + 0.5}) m.add(x);
//   m.mean();      // 1e15 + 0.25, exactly
//   m.stddev();    // 0.25, the sample standard deviation (n - 1), exactly
//
//   coflow::moments whole = coflow::run(values, coflow::sinks::aggregate(coflow::moments{}));
//
// Semantics: add(x) takes a double. count() is the number of values; mean() their mean;
//   variance() and stddev() the sample statistics (n - 1 denominator, NaN for fewer than two
//   values), population_variance() and population_stddev() the n-denominator ones (NaN for no
//   values). mean() of no values is NaN. result() is the state itself, so a pipeline's
//   ops::aggregate(moments{}) outputs states to ask what is needed. merge(other) gives the
//   state of the values of both, in any order and any grouping.
// Algorithm: every finite value x is taken as d = x - K, its distance from the first finite
//   value K, computed with its rounding error (an error-free two-sum; as 2 * (x/2 - K/2) when
//   x - K overflows), then scaled by 2^-e, where 2^e is the smallest power of two above every
//   |d| so far: it is raised, and the state rescaled by an exact power of two, when a larger
//   |d| arrives. In these units (|y| <= 1, nothing overflows or underflows unless negligible)
//   the state keeps Welford's running mean and sum of squared deviations, and a Neumaier
//   compensated sum of the y (with the two-sum errors). Then
//     mean     = K + 2^e * (sum y) / n      (a double-double division and sum),
//     variance = 2^(2e) * m2 / (n - 1),     stddev = 2^e * sqrt(m2 / (n - 1)),
//   so a result that is a representable double is not lost to an intermediate overflow or
//   underflow: the stddev of {1e200, -1e200} is 1.414e200 and that of {1e-170, -1e-170} is
//   1.414e-170 although their variances are not representable (inf and 0). merge is Chan, Golub
//   and LeVeque's parallel formula after moving the other state to this one's shift and the
//   larger of the two scales (both exact steps up to one rounding of the shift difference,
//   which is kept as a two-sum too).
// Accuracy (u = 2^-53): the mean is the compensated sum of exact deviations, divided and added
//   back in double-double: within 2 ulp of the exact mean plus 4n u^2 times the mean |x_i - K|
//   (so within a few ulp for 1e9 + U(0, 1), and correctly rounded for {1e16, 1, -1e16}). The
//   variance has Welford's error on the shifted values, about n u times the ratio of the
//   spread of the deviations to the standard deviation (Chan, Golub and LeVeque 1983), and
//   none of the cancellation of a large common offset: the tests hold variance and stddev to
//   1e-12 relative error against exact references on streams of up to 10^6 values, merged or
//   not, at offsets up to 1e300 and scales from 1e-150 to 1e190. stddev() is bit for bit
//   std::sqrt(variance()) whenever variance() is a normal double. Counts above 2^53 round
//   when converted to double.
// Numbers: non-finite values are kept apart and combined by IEEE addition: a NaN makes the
//   mean NaN; an infinity makes it that infinity, opposite infinities make it NaN. Any
//   non-finite value makes the variance and stddev NaN (as numpy.var does). count() counts
//   every value. Finite values always give a finite mean.
// Exceptions: none, except deserialize: coflow::format_error for bytes that do not hold a
//   moments state, or hold one that breaks its invariants.
// Serialization: tag "coflow.moments", version 1; every double bit-exact.
// Cost: per value a two-sum, a division and a dozen additions and multiplications (a frexp and
//   an ldexp only when the scale grows); mean() two divisions, an fma and a few additions; no
//   allocation.
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

/// moments is the mergeable running count, mean, variance and standard deviation of doubles.
class moments {
 public:
  /// value_type is what add() takes.
  using value_type = double;

  moments() = default;

  /// add folds one value.
  void add(double x) noexcept {
    ++count_;
    if (!std::isfinite(x)) {
      special_ += x;
      return;
    }
    if (n_ == 0) {
      n_ = 1;
      shift_ = x;  // its deviation is 0: the mean, m2 and sum stay 0
      return;
    }
    ++n_;
    const detail::exact_split d = detail::exact_difference(x, shift_);
    double y;
    double y_lo;
    if (d.halved == 0 && std::fabs(d.hi) < scale_ && inverse_ != 0) {
      y = d.hi * inverse_;  // within the scale: multiplying by 2^-e is exact, as ldexp is
      y_lo = d.lo * inverse_;
    } else {
      if (d.hi != 0) {
        const int e = detail::exponent_of(d);
        if (e > exp_) rescale(e);
      }
      y = std::ldexp(d.hi, d.halved - exp_);
      y_lo = std::ldexp(d.lo, d.halved - exp_);
    }
    const double delta = y - mean_;
    mean_ += delta / static_cast<double>(n_);
    m2_ += delta * (y - mean_);
    add_to_sum(y);
    sum_lo_ += y_lo;
  }

  /// merge folds another state: the result is the state of the values of both.
  void merge(const moments& other) noexcept {
    if (other.count_ == 0) return;
    if (count_ == 0) {
      *this = other;
      return;
    }
    moments b = other;  // a copy: `other` may be *this, and it is rescaled below
    count_ += b.count_;
    special_ += b.special_;
    if (b.n_ == 0) return;
    if (n_ == 0) {
      b.count_ = count_;
      b.special_ = special_;
      *this = b;
      return;
    }
    const detail::exact_split shift = detail::exact_difference(b.shift_, shift_);
    int e = std::max(exp_, b.exp_);
    if (shift.hi != 0) e = std::max(e, detail::exponent_of(shift));
    rescale(e);
    b.rescale(e);
    const double dy = std::ldexp(shift.hi, shift.halved - e);
    const double dy_lo = std::ldexp(shift.lo, shift.halved - e);
    const double na = static_cast<double>(n_);
    const double nb = static_cast<double>(b.n_);
    const double n = na + nb;
    const double delta = (b.mean_ + dy) - mean_;
    mean_ += delta * (nb / n);
    m2_ += b.m2_ + delta * delta * (na * (nb / n));
    // b's values in this frame are y + dy: their sum is b's sum plus nb * dy, added with the
    // rounding error of the product (fma) and of the shift.
    add_to_sum(b.sum_hi_);
    sum_lo_ += b.sum_lo_;
    const double product = nb * dy;
    add_to_sum(product);
    sum_lo_ += std::fma(nb, dy, -product) + nb * dy_lo;
    n_ += b.n_;
  }

  /// result is the state itself: ask it for count(), mean(), variance(), ...
  [[nodiscard]] const moments& result() const noexcept { return *this; }

  /// count is the number of values added, finite or not.
  [[nodiscard]] std::uint64_t count() const noexcept { return count_; }

  /// mean is the mean of the values (see Accuracy and Numbers); NaN for none.
  [[nodiscard]] double mean() const noexcept {
    if (count_ == 0) return std::numeric_limits<double>::quiet_NaN();
    if (count_ > n_) return special_;
    const double n = static_cast<double>(n_);
    // (sum y) / n as quotient + remainder / n: the remainder of a rounded division is exact.
    const double quotient = sum_hi_ / n;
    const double quotient_lo = (std::fma(-quotient, n, sum_hi_) + sum_lo_) / n;
    if (quotient == 0 && quotient_lo == 0) return shift_;  // exact, and keeps -0.0
    const double mean = scale_ != 0 && std::isfinite(scale_)
                            ? detail::add_exactly(shift_, quotient * scale_, quotient_lo * scale_)
                            : detail::add_exactly(shift_, std::ldexp(quotient, exp_),
                                                  std::ldexp(quotient_lo, exp_));
    if (std::isfinite(mean)) return mean;
    // The deviation of the mean from the shift, or an intermediate of the sum, overflows (a
    // shift near -max and values near +max): add in halves. shift_ is so large then that
    // halving it is exact.
    return 2 * detail::add_exactly(shift_ / 2, std::ldexp(quotient, exp_ - 1),
                                   std::ldexp(quotient_lo, exp_ - 1));
  }

  /// variance is the sample variance, sum((x - mean)^2) / (n - 1); NaN for fewer than two
  /// values or once a non-finite value was added; +inf only when it exceeds double's range.
  [[nodiscard]] double variance() const noexcept { return scaled_variance(1, 2 * exp_); }

  /// population_variance is sum((x - mean)^2) / n; NaN for no values.
  [[nodiscard]] double population_variance() const noexcept { return scaled_variance(0, 2 * exp_); }

  /// stddev is the sample standard deviation, computed as 2^e * sqrt(m2 / (n - 1)) so that it
  /// is finite whenever it is representable, even where variance() is not.
  [[nodiscard]] double stddev() const noexcept { return scaled_root(1); }

  /// population_stddev is the square root of population_variance, computed as stddev is.
  [[nodiscard]] double population_stddev() const noexcept { return scaled_root(0); }

  /// serialize appends the state's bytes to `out`.
  void serialize(std::vector<std::byte>& out) const {
    detail::write_deviation_state(out, "coflow.moments",
                                  {count_, n_, shift_, exp_, sum_hi_, sum_lo_, special_},
                                  {mean_, m2_});
  }

  /// deserialize reads what serialize wrote; format_error for anything else, including a
  /// state that breaks the invariants add and merge keep.
  static moments deserialize(std::span<const std::byte> bytes) {
    double own[2] = {};  // mean_ and m2_, between the shared fields
    const detail::deviation_fields f = detail::read_deviation_state(bytes, "coflow.moments", own);
    if (!f.keeps_invariants(own, unset_exponent, 1100) || !(own[1] >= 0))  // m2: a sum of squares
      throw format_error("coflow: the bytes hold a 'coflow.moments' state that is not valid");
    moments m;
    m.count_ = f.count;
    m.n_ = f.n;
    m.shift_ = f.shift;
    m.mean_ = own[0];
    m.m2_ = own[1];
    m.sum_hi_ = f.sum_hi;
    m.sum_lo_ = f.sum_lo;
    m.special_ = f.special;
    m.set_exponent(static_cast<int>(f.exponent));
    return m;
  }

 private:
  // Below every double's exponent: a state whose deviations are all 0 has no scale yet, and
  // rescaling its zeros from here is harmless.
  static constexpr int unset_exponent = -1100;

  void rescale(int e) noexcept {
    const int by = exp_ - e;
    mean_ = std::ldexp(mean_, by);
    m2_ = std::ldexp(m2_, 2 * by);
    sum_hi_ = std::ldexp(sum_hi_, by);
    sum_lo_ = std::ldexp(sum_lo_, by);
    set_exponent(e);
  }

  // Sets the scale 2^e, and caches it and its inverse as doubles where they are exact (0
  // where not), for the multiplications of the common path.
  void set_exponent(int e) noexcept {
    exp_ = e;
    scale_ = e >= -1074 ? std::ldexp(1.0, e) : 0.0;  // +inf above 2^1023: every |d| is below
    inverse_ = e >= -1023 && e <= 1074 ? std::ldexp(1.0, -e) : 0.0;
  }

  // 2^e * sqrt(m2 / (n - ddof)).
  [[nodiscard]] double scaled_root(std::uint64_t ddof) const noexcept {
    const double root = std::sqrt(reduced(ddof));
    if (scale_ != 0 && std::isfinite(scale_)) return root * scale_;
    return std::ldexp(root, exp_);
  }

  void add_to_sum(double y) noexcept {
    const double t = sum_hi_ + y;
    if (std::fabs(sum_hi_) >= std::fabs(y)) {
      sum_lo_ += (sum_hi_ - t) + y;
    } else {
      sum_lo_ += (y - t) + sum_hi_;
    }
    sum_hi_ = t;
  }

  // m2 / (n - ddof) in scaled units, or NaN where undefined.
  [[nodiscard]] double reduced(std::uint64_t ddof) const noexcept {
    if (count_ > n_ || n_ <= ddof) return std::numeric_limits<double>::quiet_NaN();
    const double v = m2_ / static_cast<double>(n_ - ddof);
    return v < 0 ? 0.0 : v;
  }

  [[nodiscard]] double scaled_variance(std::uint64_t ddof, int e2) const noexcept {
    const double v = reduced(ddof);
    if (scale_ != 0 && std::isfinite(scale_)) {
      const double once = v * scale_;  // exact unless it leaves the normal range
      if (std::isnormal(once) || once == 0 || !std::isfinite(once)) return once * scale_;
    }
    return std::ldexp(v, e2);
  }

  std::uint64_t count_ = 0;  // every value
  std::uint64_t n_ = 0;      // the finite ones
  double shift_ = 0;         // K, the first finite value
  int exp_ = unset_exponent;
  double scale_ = 0;    // 2^exp_ where it is a double (+inf above), else 0
  double inverse_ = 0;  // 2^-exp_ where it is a double, else 0
  double mean_ = 0;     // Welford's mean of the y = (x - K) / 2^exp_
  double m2_ = 0;       // Welford's sum of squared deviations of the y
  double sum_hi_ = 0;   // Neumaier's sum of the y ...
  double sum_lo_ = 0;   // ... and its compensation, with the two-sum errors of the y
  double special_ = 0;  // the IEEE sum of the non-finite values (0 if none)
};

}  // namespace coflow
