// coflow/operators/sum.hpp
//
// ops::sum(): passes on the running sum of the values seen so far.
// sinks::sum(): ends a pipeline; its result is the total.
//
//   auto totals = coflow::run(std::vector{1, 2, 3},
//                             coflow::ops::sum() | coflow::sinks::to_vector());
//   // {1, 3, 6}, as std::int64_t
//   std::int64_t total = coflow::run(std::vector{1, 2, 3}, coflow::sinks::sum());  // 6
//
// Semantics: takes arithmetic values and adds each, converted, to an accumulator of type
//   sum_accumulator_t<In>: std::int64_t for signed integers, std::uint64_t for unsigned ones
//   (bool counts as unsigned), and the wider of In and double for floating point. ops::sum()
//   outputs the accumulator after each value (one output per input; an empty stream outputs
//   nothing); sinks::sum() is never done and returns the total at end of stream, 0 for an
//   empty stream.
// Numbers: an integer sum that leaves the accumulator's range is an error, not a wrap: see
//   Exceptions. Floating-point sums are plain IEEE additions in stream order: a NaN makes every
//   later sum NaN, an infinity makes it that infinity, and opposite infinities make it NaN.
// Exceptions: std::overflow_error, naming the operator, from the push whose value would
//   overflow an integer accumulator; the accumulator keeps the last good sum. It propagates to
//   the caller of send/run, as every stage exception does.
// Lifetime: the total lives in the bound node; every run of the description starts from 0.
// Cost: fused: one checked addition per value, no resume, no allocation.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <concepts>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "pipeline/stage.hpp"

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

}  // namespace detail

namespace ops {

/// sum_accumulator_t<In> is the type in which sum() and sinks::sum() add values of type In.
template <class In>
  requires std::is_arithmetic_v<In>
using sum_accumulator_t = typename detail::sum_accumulator<In>::type;

}  // namespace ops

namespace detail {

// Adds `value` to `total`, or throws naming `who` if an integer total would overflow; `total`
// is unchanged then.
// Out of line and cold, so that the check itself stays two instructions and always inlines.
[[noreturn, gnu::noinline, gnu::cold]] inline void throw_sum_overflow(const char* who) {
  throw std::overflow_error(std::string(who) +
                            ": integer overflow: the running sum does not fit in its "
                            "64-bit accumulator");
}

template <class Acc, class In>
void add_checked(Acc& total, const In& value, const char* who) {
  if constexpr (std::integral<Acc>) {
    Acc next;
    if (__builtin_add_overflow(total, static_cast<Acc>(value), &next)) [[unlikely]]
      throw_sum_overflow(who);
    total = next;
  } else {
    total += static_cast<Acc>(value);
  }
}

template <class In, class Down>
struct sum_node {
  bool push(In&& value) {
    add_checked(total, value, "coflow::ops::sum()");
    return down.push(ops::sum_accumulator_t<In>{total});
  }
  [[nodiscard]] bool done() const { return down.done(); }
  decltype(auto) finish() { return down.finish(); }

  ops::sum_accumulator_t<In> total;
  Down down;
};

}  // namespace detail

namespace ops {

/// sum_stage is the description made by ops::sum().
struct sum_stage : stage_interface {
  /// output<In> is the type it outputs for input In.
  template <class In>
  using output = sum_accumulator_t<In>;

  template <class In, class MakeDown>
  auto bind(MakeDown make_down) const {
    static_assert(std::is_arithmetic_v<In>,
                  "coflow::ops::sum(): the values must be arithmetic (an integer or "
                  "floating-point type); transform them to a number first");
    using acc = sum_accumulator_t<In>;
    using down_type = decltype(make_down(std::type_identity<acc>{}));
    return detail::sum_node<In, down_type>{acc{0}, make_down(std::type_identity<acc>{})};
  }
};

/// sum() outputs the running sum (a sum_accumulator_t<In>) after each value.
[[nodiscard]] inline sum_stage sum() { return {}; }

}  // namespace ops

namespace detail {

template <class In>
struct sum_sink_node {
  bool push(In&& value) {
    detail::add_checked(total, value, "coflow::sinks::sum()");
    return true;
  }
  [[nodiscard]] bool done() const { return false; }
  ops::sum_accumulator_t<In> finish() { return total; }

  ops::sum_accumulator_t<In> total;
};

}  // namespace detail

namespace sinks {

/// sum_sink is the description made by sinks::sum().
struct sum_sink : sink_interface {
  template <class In>
  auto open() const {
    static_assert(std::is_arithmetic_v<In>,
                  "coflow::sinks::sum(): the values must be arithmetic (an integer or "
                  "floating-point type); transform them to a number first");
    return detail::sum_sink_node<In>{ops::sum_accumulator_t<In>{0}};
  }
};

/// sum() returns the total of the values, 0 for an empty stream.
[[nodiscard]] inline sum_sink sum() { return {}; }

}  // namespace sinks

}  // namespace coflow
