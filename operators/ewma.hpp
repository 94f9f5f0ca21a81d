// coflow/operators/ewma.hpp
//
// ops::ewma(alpha): passes on the exponentially weighted moving average of the values so far.
//
//   auto smooth = coflow::run(std::vector{10, 20, 20}, coflow::ops::ewma(0.5) |
//                                                      coflow::sinks::to_vector());
//   // {10, 15, 17.5}
//
// Semantics: takes arithmetic values, each converted to double. The first value starts the
//   average (s = x); each later one updates it, s = alpha * x + (1 - alpha) * s. After each
//   value, outputs s, a double (one output per input; an empty stream outputs nothing). A
//   larger alpha follows the input faster; alpha = 1 outputs the input itself. End of stream
//   passes straight through.
// Numbers: IEEE arithmetic. A NaN makes every later average NaN; a +inf (-inf) makes every
//   later average +inf (-inf) while alpha < 1, until the opposite infinity arrives, which makes
//   it NaN (inf - inf). With alpha = 1 the old average has weight zero and is dropped, so no
//   earlier value, finite or not, shows in the output.
// Merge: the EWMA has no mergeable state (no coflow::mergeable_aggregate), because it depends
//   on the order of the values: merge must not care about order beyond what it documents, and
//   ewma(a ++ b) != ewma(b ++ a). Only the concatenation of adjacent parts, in order, is
//   defined: ewma(a ++ b) = (1 - alpha)^|b| * ewma(a) + e_b, where e_b is b's average started
//   from 0 (sum of alpha * (1 - alpha)^(|b| - j) * b_j), so a part's state would need its count
//   and its first value besides its average. That merge is not exact: (1 - alpha)^|b| rounds
//   differently from |b| sequential multiplications, so a merged result would differ from the
//   stream's in the last bits, and a merge that silently depends on which side is "later"
//   would be easy to misuse. Keep one ewma per ordered stream instead.
// Exceptions: ewma(alpha) throws std::invalid_argument when alpha is not in (0, 1] (NaN
//   included), at the call, before any pipeline is built. None while running.
// Lifetime: the description holds alpha; the average lives in the bound node, so every run
//   of the description starts afresh.
// Cost: fused: two multiplications and an addition per value, no resume, no allocation.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <charconv>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "pipeline/stage.hpp"

namespace coflow {

namespace detail {

template <class In, class Down>
struct ewma_node {
  bool push(In&& value) {
    const double x = static_cast<double>(value);
    if (!started) {
      average = x;
      started = true;
    } else if (keep == 0) {
      average = x;  // alpha = 1: 0 * average would be NaN for an infinite average
    } else {
      average = alpha * x + keep * average;
    }
    return down.push(double{average});
  }
  [[nodiscard]] bool done() const { return down.done(); }
  decltype(auto) finish() { return down.finish(); }

  double alpha;
  double keep;  // 1 - alpha, the weight of the average so far
  double average;
  bool started;
  Down down;
};

}  // namespace detail

namespace ops {

/// ewma_stage is the description made by ewma(alpha).
class ewma_stage : public stage_interface {
 public:
  /// output<In> is the type it outputs for input In.
  template <class In>
  using output = double;

  /// ewma_stage(alpha) checks alpha; see ewma().
  explicit ewma_stage(double alpha) : alpha_(alpha) {
    if (!(alpha > 0 && alpha <= 1)) {
      char shown[32];
      const auto printed = std::to_chars(shown, shown + sizeof shown, alpha);
      throw std::invalid_argument("coflow::ops::ewma(alpha): alpha must be in (0, 1], got " +
                                  std::string(shown, printed.ptr));
    }
  }

  /// alpha is the weight of each new value.
  [[nodiscard]] double alpha() const noexcept { return alpha_; }

  template <class In, class MakeDown>
  auto bind(MakeDown make_down) const {
    static_assert(std::is_arithmetic_v<In>,
                  "coflow::ops::ewma(alpha): the values must be arithmetic (an integer or "
                  "floating-point type); transform them to a number first");
    using down_type = decltype(make_down(std::type_identity<double>{}));
    return detail::ewma_node<In, down_type>{alpha_, 1 - alpha_, 0.0, false,
                                            make_down(std::type_identity<double>{})};
  }

 private:
  double alpha_;
};

/// ewma(alpha) outputs the exponentially weighted moving average after each value; alpha, the
/// weight of each new value, must be in (0, 1].
[[nodiscard]] inline ewma_stage ewma(double alpha) { return ewma_stage(alpha); }

}  // namespace ops

}  // namespace coflow
