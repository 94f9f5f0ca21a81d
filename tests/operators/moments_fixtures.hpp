// Fixtures shared by the tests of coflow::moments, coflow::mean_state, ops::variance and
// ops::stddev: random streams, Welford's algorithm as a reference coroutine, the documented
// error bound of the mean, and a stream folded into states in random parts.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <vector>

#include "pipeline/coroutine.hpp"
#include "tests/support/aggregate_states.hpp"
#include "tests/support/exact.hpp"

namespace coflow::moments_testing {

/// normal_values are n values drawn from N(mean, sd), the same for the same seed.
inline std::vector<double> normal_values(std::size_t n, double mean, double sd, unsigned seed) {
  std::mt19937_64 engine(seed);
  std::normal_distribution<double> dist(mean, sd);
  std::vector<double> xs(n);
  for (double& x : xs) x = dist(engine);
  return xs;
}

/// offset_quarters are 10^4 values drawn from 1e15 + {0, 0.25, ..., 1.5}, all exact doubles.
/// Welford on the raw values gave a deviation of 0.5568 here, the exact one being 0.4959.
inline std::vector<double> offset_quarters() {
  std::mt19937_64 engine(1);
  std::uniform_int_distribution<int> step(0, 6);
  std::vector<double> xs(10000);
  for (double& x : xs) x = 1e15 + step(engine) * 0.25;
  return xs;
}

/// welford_answer is what welford_coroutine answers: the sample variance or its square root.
enum class welford_answer { variance, stddev };

/// welford_coroutine is Welford's algorithm as a Python-style coroutine: no answer until the
/// second value.
inline coflow::coroutine<double, double> welford_coroutine(welford_answer answer) {
  std::uint64_t n = 0;
  double mean = 0;
  double m2 = 0;
  std::optional<double> reply;
  while (auto x = co_yield reply) {
    ++n;
    const double delta = *x - mean;
    mean = n == 1 ? *x : mean + delta / static_cast<double>(n);
    m2 += delta * (*x - mean);
    if (n >= 2) {
      const double variance = m2 / static_cast<double>(n - 1);
      reply = answer == welford_answer::stddev ? std::sqrt(variance) : variance;
    }
  }
}

/// What the library guarantees (see moments.hpp and mean_state.hpp): the mean within 2 ulp
/// (tested with 4).
constexpr double mean_ulps = 4;

/// mean_close is the documented error bound of the mean: 2 ulp plus 4 n u^2 of the mean
/// distance from the first value (tested as 4 ulp and 8 n u^2).
template <class F>
::testing::AssertionResult mean_close(double got, std::span<const double> xs, const F& want) {
  using coflow::testing::ulps;
  double distance = 0;
  for (double x : xs) distance += std::fabs(x - xs[0]) / static_cast<double>(xs.size());
  const double u = 0x1p-53;
  const double slack = 8 * static_cast<double>(xs.size()) * u * u * distance;
  const double ulp = std::fabs(static_cast<double>(want)) * 2 * u;
  const double error = static_cast<double>(abs(F(got) - want));
  if (error <= mean_ulps * ulp + slack || ulps(got, want) <= mean_ulps)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "mean " << got << ", want " << static_cast<double>(want)
                                       << ": " << ulps(got, want) << " ulp off";
}

/// random_parts are the states of xs cut at k - 1 random places, each folded on its own.
template <class State>
std::vector<State> random_parts(std::span<const double> xs, std::size_t k,
                                std::mt19937_64& engine) {
  std::vector<std::size_t> cuts = {0, xs.size()};
  std::uniform_int_distribution<std::size_t> at(0, xs.size());
  for (std::size_t c = 1; c < k; ++c) cuts.push_back(at(engine));
  std::sort(cuts.begin(), cuts.end());
  std::vector<State> parts;
  for (std::size_t c = 0; c + 1 < cuts.size(); ++c)
    parts.push_back(coflow::testing::folded<State>(xs.subspan(cuts[c], cuts[c + 1] - cuts[c])));
  return parts;
}

}  // namespace coflow::moments_testing
