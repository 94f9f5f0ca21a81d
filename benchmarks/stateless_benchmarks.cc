// Workload "stateless": filter | transform | take | sum, no coroutine stage in coflow.
//
//   for i in [0, 2n): keep i % 3 != 0; x = reading(i); stop after n values; answer = sum of x.
//
// n counts the values taken (about 1.5 n are read from the source). The coflow chain is made of
// fused nodes only, so it should cost what the hand loop costs. The Boost variant needs one
// coroutine to be a Boost pipeline at all: the whole chain runs in one push_type body
// (boost_stateless.cc).
//
// Function names: "coflow_fn_name" and "range_v3_fn_name" pass the filter and the transform as
// plain functions by name (function pointers), "coflow_fn" passes the same functions wrapped as
// coflow::fn<f>; the other variants pass lambdas.
#include <cstdint>
#include <functional>
#include <range/v3/numeric/accumulate.hpp>
#include <range/v3/view/filter.hpp>
#include <range/v3/view/iota.hpp>
#include <range/v3/view/take.hpp>
#include <range/v3/view/transform.hpp>

#include "benchmarks/harness.hpp"
#include "operators/filter.hpp"
#include "operators/sum.hpp"
#include "operators/take.hpp"
#include "operators/transform.hpp"
#include "pipeline/fn.hpp"
#include "pipeline/run.hpp"

namespace coflow_bench {
namespace {

constexpr auto identity = [](std::uint64_t i) noexcept { return i; };
constexpr auto not_multiple_of_3 = [](std::uint64_t i) noexcept { return i % 3 != 0; };

// The same two callables as plain functions, passed by name.
bool is_not_multiple_of_3(std::uint64_t i) noexcept { return i % 3 != 0; }
std::uint64_t reading_of(std::uint64_t i) noexcept { return reading(i); }

answer hand(std::uint64_t n) {
  std::uint64_t sum = 0;
  std::uint64_t taken = 0;
  for (std::uint64_t i = 0; i < 2 * n && taken < n; ++i) {
    if (!not_multiple_of_3(i)) continue;
    sum += reading(i);
    ++taken;
  }
  return {static_cast<double>(sum)};
}

answer range_v3(std::uint64_t n) {
  auto values = ranges::views::iota(std::uint64_t{0}, 2 * n) |
                ranges::views::filter(not_multiple_of_3) | ranges::views::transform(reading) |
                ranges::views::take(n);
  return {static_cast<double>(ranges::accumulate(values, std::uint64_t{0}))};
}

answer std_function(std::uint64_t n) {
  std::uint64_t sum = 0;
  std::uint64_t taken = 0;
  // Each stage returns whether it wants more values, as coflow's push does.
  std::function<bool(std::uint64_t)> sink = [&sum](std::uint64_t x) {
    sum += x;
    return true;
  };
  std::function<bool(std::uint64_t)> take = [&sink, &taken, n](std::uint64_t x) {
    ++taken;
    return sink(x) && taken < n;
  };
  std::function<bool(std::uint64_t)> transform = [&take](std::uint64_t i) {
    return take(reading(i));
  };
  std::function<bool(std::uint64_t)> filter = [&transform](std::uint64_t i) {
    return !not_multiple_of_3(i) || transform(i);
  };
  if (n > 0) {
    for (std::uint64_t i = 0; i < 2 * n; ++i) {
      if (!filter(i)) break;
    }
  }
  return {static_cast<double>(sum)};
}

answer coflow_chain(std::uint64_t n) {
  return {static_cast<double>(
      coflow::run(generated(2 * n, identity), coflow::ops::filter(not_multiple_of_3) |
                                                  coflow::ops::transform(reading) |
                                                  coflow::ops::take(n) | coflow::sinks::sum()))};
}

answer range_v3_fn_name(std::uint64_t n) {
  auto values = ranges::views::iota(std::uint64_t{0}, 2 * n) |
                ranges::views::filter(is_not_multiple_of_3) | ranges::views::transform(reading_of) |
                ranges::views::take(n);
  return {static_cast<double>(ranges::accumulate(values, std::uint64_t{0}))};
}

answer coflow_fn_name(std::uint64_t n) {
  return {static_cast<double>(
      coflow::run(generated(2 * n, identity), coflow::ops::filter(is_not_multiple_of_3) |
                                                  coflow::ops::transform(reading_of) |
                                                  coflow::ops::take(n) | coflow::sinks::sum()))};
}

answer coflow_fn(std::uint64_t n) {
  return {static_cast<double>(coflow::run(generated(2 * n, identity),
                                          coflow::ops::filter(coflow::fn<is_not_multiple_of_3>) |
                                              coflow::ops::transform(coflow::fn<reading_of>) |
                                              coflow::ops::take(n) | coflow::sinks::sum()))};
}

const registrar registered[] = {
    registrar({"stateless", "hand", "hand", 0, false, hand}),
    registrar({"stateless", "range_v3", "hand", 0, false, range_v3}),
    registrar({"stateless", "std_function", "hand", 0, false, std_function}),
    registrar({"stateless", "coflow", "hand", 0, true, coflow_chain}),
    registrar({"stateless", "range_v3_fn_name", "hand", 0, false, range_v3_fn_name}),
    registrar({"stateless", "coflow_fn_name", "hand", 0, true, coflow_fn_name}),
    registrar({"stateless", "coflow_fn", "hand", 0, true, coflow_fn}),
};

}  // namespace
}  // namespace coflow_bench
