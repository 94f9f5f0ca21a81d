// Exact references for the numeric aggregates' tests: sums, means, variances and deviations of
// doubles computed in a 2,200-bit binary float (Boost.Multiprecision), wide enough that every
// sum of up to 2^100 doubles is exact, and the divisions and square roots are correct to far
// beyond double's 53 bits. Then ulps() and relative() say how far a double result is from it.
// For long streams of values of similar magnitude, close_float (320 bits, 96 digits) is as good
// in practice and many times faster: pass it as the helpers' template argument.
#pragma once

#include <boost/multiprecision/cpp_bin_float.hpp>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>

namespace coflow::testing {

using exact_float = boost::multiprecision::number<
    boost::multiprecision::cpp_bin_float<2200, boost::multiprecision::digit_base_2, void,
                                         std::int32_t, -20000, 20000>,
    boost::multiprecision::et_off>;

/// close_float carries 320 bits: exact enough for references over values within 2^200 of each
/// other.
using close_float = boost::multiprecision::number<
    boost::multiprecision::cpp_bin_float<320, boost::multiprecision::digit_base_2, void,
                                         std::int32_t, -20000, 20000>,
    boost::multiprecision::et_off>;

/// exact_sum is the exact sum of xs (finite values).
template <class F = exact_float>
F exact_sum(std::span<const double> xs) {
  F s = 0;
  for (double x : xs) s += x;
  return s;
}

/// exact_mean is the exact mean of xs, rounded only at 2,200 bits.
template <class F = exact_float>
F exact_mean(std::span<const double> xs) {
  return exact_sum<F>(xs) / static_cast<double>(xs.size());
}

/// exact_m2 is the sum of squared deviations from the mean of xs.
template <class F = exact_float>
F exact_m2(std::span<const double> xs) {
  const F mean = exact_mean<F>(xs);
  F m2 = 0;
  for (double x : xs) {
    const F d = F(x) - mean;
    m2 += d * d;
  }
  return m2;
}

/// exact_variance is the sample (ddof 1) or population (ddof 0) variance of xs.
template <class F = exact_float>
F exact_variance(std::span<const double> xs, std::size_t ddof = 1) {
  return exact_m2<F>(xs) / static_cast<double>(xs.size() - ddof);
}

/// exact_stddev is the square root of exact_variance.
template <class F = exact_float>
F exact_stddev(std::span<const double> xs, std::size_t ddof = 1) {
  return sqrt(exact_variance<F>(xs, ddof));
}

/// ulps is |got - want| in units of the last place of the double nearest `want`.
template <class F>
double ulps(double got, const F& want) {
  const double w = static_cast<double>(want);
  if (w == 0 && got == 0) return 0;
  const double ulp =
      w == 0 ? std::numeric_limits<double>::denorm_min()
             : std::nextafter(std::fabs(w), std::numeric_limits<double>::infinity()) - std::fabs(w);
  return static_cast<double>(abs(F(got) - want) / ulp);
}

/// relative is |got - want| / |want| (0 when both are 0).
template <class F>
double relative(double got, const F& want) {
  if (want == 0) return got == 0 ? 0 : std::numeric_limits<double>::infinity();
  return static_cast<double>(abs(F(got) - want) / abs(want));
}

}  // namespace coflow::testing
