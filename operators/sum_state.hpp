// coflow/operators/sum_state.hpp
//
// sum_state<T>: the mergeable, serializable state of a sum (see operators/aggregate.hpp), and
// the accumulator that ops::sum and sinks::sum add in.
//
//   coflow::sum_state<double> a, b;
//   for (double x : {1e16, 1.0}) a.add(x);
//   b.add(-1e16);
//   a.merge(b);
//   a.result();   // 1, where plain double additions give 0
//
// Semantics: T is an arithmetic type; values add in the accumulator type
//   sum_state<T>::accumulator: std::int64_t for signed integers, std::uint64_t for unsigned
//   ones (bool counts as unsigned), the wider of T and double for floating point. result() is
//   the sum, 0 for no values. merge(other) gives the state of the values of both.
// Numbers: integer sums are exact; a sum that leaves the accumulator's range throws (see
//   Exceptions). Floating-point sums are compensated (Neumaier's variant of Kahan summation,
//   Higham, "Accuracy and Stability of Numerical Algorithms", 2nd ed., section 4.3): with u
//   the unit roundoff (2^-53 for double) and S the exact sum of n values,
//     |result() - S| <= 2u|S| + 4n u^2 sum|x_i|   (for n u < 0.1),
//   so the result is within 2 ulp of S unless the values cancel by a factor of about 1/(n u)
//   (for double and n = 10^6, 10^-10 of sum|x_i|). merge adds the other state's sum and
//   compensation with the same error-free step, so the bound holds for any split of the
//   values. Non-finite values follow IEEE addition: a NaN makes the sum NaN, an infinity makes
//   it that infinity, opposite infinities make it NaN; a running sum whose magnitude passes
//   the largest finite value becomes that infinity and stays so (as a plain sum would, and as
//   math.fsum raises OverflowError). So within a few ulp of that limit whether a sum
//   overflows depends on the order of the values and on how a stream was split for merging:
//   parts whose own sums overflow in opposite directions merge to NaN.
// Exceptions: add and merge throw std::overflow_error when an integer sum would leave the
//   accumulator's range; the state keeps the last good sum. deserialize throws
//   coflow::format_error for bytes that do not hold a sum_state of the same accumulator.
// Serialization: tag "coflow.sum_state" and the accumulator's name; doubles bit-exact. A long
//   double state is written as two doubles per number (x as hi + lo), exact for values within
//   double's exponent range; NaN payloads of long doubles are not kept.
// Cost: integers: one checked addition. Floating point: a compare and four additions per
//   value, no allocation.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "pipeline/bytes.hpp"

namespace coflow {

namespace detail {

template <class In>
struct sum_accumulator {
  using type = std::common_type_t<In, double>;  // floating point: the wider of In and double
};
template <std::signed_integral In>
struct sum_accumulator<In> {
  using type = std::int64_t;
};
template <std::unsigned_integral In>
struct sum_accumulator<In> {
  using type = std::uint64_t;
};

// Out of line and cold, so that the check itself stays two instructions and always inlines.
[[noreturn, gnu::noinline, gnu::cold]] inline void throw_sum_overflow(const char* who) {
  throw std::overflow_error(std::string(who) +
                            ": integer overflow: the running sum does not fit in its "
                            "64-bit accumulator");
}

// Adds `value` to `total`, or throws naming `who` if an integer total would overflow; `total`
// is unchanged then.
template <std::integral Acc>
void add_checked(Acc& total, Acc value, const char* who) {
  Acc next;
  if (__builtin_add_overflow(total, value, &next)) [[unlikely]]
    throw_sum_overflow(who);
  total = next;
}

template <class F>
constexpr const char* float_name() {
  if constexpr (std::same_as<F, double>) {
    return "f64";
  } else {
    return "long double";
  }
}

}  // namespace detail

/// sum_state<T> is the compensated (floating point) or checked (integer) running sum of
/// values of type T. See the file comment for its error bound.
template <class T>
  requires std::is_arithmetic_v<T>
class sum_state {
 public:
  /// value_type is what add() takes.
  using value_type = T;
  /// accumulator is the type the sum is kept and returned in.
  using accumulator = typename detail::sum_accumulator<T>::type;

  sum_state() = default;

  /// add folds one value; for integers it throws std::overflow_error (see the file comment).
  void add(const value_type& x) { add(x, "coflow::sum_state::add"); }

  /// add(x, who) is add(x), naming `who` in the overflow_error message (the sum operators
  /// name themselves).
  void add(const value_type& x, const char* who) {
    if constexpr (std::integral<accumulator>) {
      detail::add_checked(sum_, static_cast<accumulator>(x), who);
    } else {
      add_compensated(static_cast<accumulator>(x));
    }
  }

  /// merge folds another state: the result is the sum of the values of both.
  void merge(const sum_state& other) {
    if constexpr (std::integral<accumulator>) {
      detail::add_checked(sum_, other.sum_, "coflow::sum_state::merge");
    } else {
      const accumulator other_sum = other.sum_;  // `other` may be *this
      const accumulator other_compensation = other.compensation_;
      add_compensated(other_sum);
      compensation_ += other_compensation;
    }
  }

  /// result is the sum of the values seen, 0 for none.
  [[nodiscard]] accumulator result() const noexcept {
    if constexpr (std::integral<accumulator>) {
      return sum_;
    } else {
      if (!std::isfinite(sum_)) return sum_;  // the compensation of a non-finite sum is moot
      if (compensation_ == 0) return sum_;    // keeps the sign of -0.0
      return sum_ + compensation_;
    }
  }

  /// serialize appends the state's bytes to `out`.
  void serialize(std::vector<std::byte>& out) const {
    byte_writer w(out);
    w.header(tag(), 1);
    if constexpr (std::signed_integral<accumulator>) {
      w.i64(sum_);
    } else if constexpr (std::unsigned_integral<accumulator>) {
      w.u64(sum_);
    } else {
      write_float(w, sum_);
      write_float(w, compensation_);
    }
  }

  /// deserialize reads what serialize wrote; format_error for anything else.
  static sum_state deserialize(std::span<const std::byte> bytes) {
    byte_reader r(bytes);
    r.header(tag(), 1);
    sum_state s;
    if constexpr (std::signed_integral<accumulator>) {
      s.sum_ = r.i64();
    } else if constexpr (std::unsigned_integral<accumulator>) {
      s.sum_ = r.u64();
    } else {
      s.sum_ = read_float(r);
      s.compensation_ = read_float(r);
      if (!std::isfinite(s.compensation_))
        throw format_error("coflow: a sum_state whose compensation is not finite");
    }
    r.finish();
    return s;
  }

  friend bool operator==(const sum_state&, const sum_state&) = default;

 private:
  static std::string tag() {
    if constexpr (std::signed_integral<accumulator>) {
      return "coflow.sum_state<i64>";
    } else if constexpr (std::unsigned_integral<accumulator>) {
      return "coflow.sum_state<u64>";
    } else {
      return std::string("coflow.sum_state<") + detail::float_name<accumulator>() + ">";
    }
  }

  // Neumaier's step: the rounding error of sum_ + x is recovered exactly (Fast2Sum with the
  // larger operand first) and kept in compensation_.
  void add_compensated(accumulator x) noexcept {
    const accumulator t = sum_ + x;
    if (!std::isfinite(t)) {
      sum_ = t;  // NaN or an infinity: IEEE rules, and no compensation to keep
      return;
    }
    if (std::fabs(sum_) >= std::fabs(x)) {
      compensation_ += (sum_ - t) + x;
    } else {
      compensation_ += (x - t) + sum_;
    }
    sum_ = t;
  }

  static void write_float(byte_writer& w, accumulator x) {
    if constexpr (std::same_as<accumulator, double>) {
      w.f64(x);
    } else {
      const double hi = static_cast<double>(x);
      w.f64(hi);
      w.f64(std::isfinite(hi) ? static_cast<double>(x - hi) : 0.0);
    }
  }

  static accumulator read_float(byte_reader& r) {
    if constexpr (std::same_as<accumulator, double>) {
      return r.f64();
    } else {
      const double hi = r.f64();
      const double lo = r.f64();
      return static_cast<accumulator>(hi) + static_cast<accumulator>(lo);
    }
  }

  accumulator sum_ = 0;
  accumulator compensation_ = 0;  // unused (0) for integers
};

}  // namespace coflow
