// coflow/operators/detail/exact_difference.hpp
//
// Error-free transformations shared by coflow::moments and coflow::mean_state: a difference of
// two doubles as an unevaluated sum hi + lo (halved when it would overflow), the exponent that
// bounds it, and a + b + c with a + b added exactly.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <cmath>

namespace coflow::detail {

/// exact_split is a - b as hi + lo exactly; when `halved` is 1 the true difference is twice it.
struct exact_split {
  double hi;
  double lo;
  int halved;
};

// Knuth's two-sum of a and -b: hi + lo == a - b exactly, when nothing overflows.
inline exact_split two_difference(double a, double b) noexcept {
  exact_split s{a - b, 0, 0};
  const double bb = s.hi - a;
  s.lo = (a - (s.hi - bb)) + (-b - bb);
  return s;
}

/// exact_difference is a - b exactly, halved near the limits of the doubles.
inline exact_split exact_difference(double a, double b) noexcept {
  exact_split s = two_difference(a, b);
  if (!std::isfinite(s.hi) || !std::isfinite(s.lo)) {
    // Near the limits, a - b or an intermediate of the two-sum overflows; both are so large
    // then that halving them is exact.
    s = two_difference(a / 2, b / 2);
    s.halved = 1;
  }
  return s;
}

/// exponent_of is the exponent of the smallest power of two above |a - b|.
inline int exponent_of(const exact_split& s) noexcept {
  int e;
  std::frexp(s.hi, &e);
  return e + s.halved;
}

/// add_exactly is a + b + c, with a + b exactly (two-sum), for a result correctly rounded in
/// most cases.
inline double add_exactly(double a, double b, double c) noexcept {
  const double s = a + b;
  const double bb = s - a;
  const double err = (a - (s - bb)) + (b - bb);
  return s + (err + c);
}

}  // namespace coflow::detail
