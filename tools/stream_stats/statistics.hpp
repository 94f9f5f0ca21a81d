// tools/stream_stats/statistics.hpp
//
// The aggregates stream_stats reports, as coflow pipelines built from the library's operators:
// count, running mean, min, max, sample standard deviation and EWMA, side by side in a tee.
//
//   // The final values, as a result:
//   auto result = coflow::run(values, stream_stats::statistics(0.1, stream_stats::keep_last));
//   stream_stats::summary s = stream_stats::to_summary(result);
//
//   // The running values, written into a summary after every value:
//   stream_stats::summary now;
//   coflow::run(values, stream_stats::statistics(0.1, stream_stats::store_into(&now)));
//
// Semantics: every value reaches each of the six operators; each one's output ends in a
//   terminal sink chosen by the caller. An empty stream gives count 0 and no other statistic
//   (never NaN); the standard deviation needs two values.
// Exceptions: std::invalid_argument from ops::ewma for an alpha outside (0, 1].
// Lifetime: store_into(&s) writes into s while the pipeline runs; s must outlive it.
#pragma once

#include <cstdint>
#include <optional>
#include <tuple>
#include <utility>

#include "operators/averager.hpp"
#include "operators/count.hpp"
#include "operators/ewma.hpp"
#include "operators/for_each.hpp"
#include "operators/last.hpp"
#include "operators/maximize.hpp"
#include "operators/minimize.hpp"
#include "operators/stddev.hpp"
#include "operators/tee.hpp"
#include "pipeline/compose.hpp"

namespace stream_stats {

/// summary is one row of the report: the statistics of the values seen so far.
struct summary {
  std::uint64_t count = 0;
  std::optional<double> mean;
  std::optional<double> min;
  std::optional<double> max;
  std::optional<double> stddev;
  std::optional<double> ewma;

  friend bool operator==(const summary&, const summary&) = default;
};

/// statistics(alpha, terminal, more...) is the sink that computes every statistic of a stream
/// of doubles; terminal(&summary::field) makes the sink that each statistic's output ends in.
/// The branches `more...` see each value after the statistics have taken it (one tee, rather
/// than a tee inside another); their results follow the six statistics' in the result tuple.
template <class Terminal, class... More>
auto statistics(double alpha, Terminal terminal, More&&... more) {
  return coflow::sinks::tee(coflow::ops::count() | terminal(&summary::count),
                            coflow::ops::averager() | terminal(&summary::mean),
                            coflow::ops::minimize() | terminal(&summary::min),
                            coflow::ops::maximize() | terminal(&summary::max),
                            coflow::ops::stddev() | terminal(&summary::stddev),
                            coflow::ops::ewma(alpha) | terminal(&summary::ewma),
                            std::forward<More>(more)...);
}

/// keep_last is the terminal that keeps each statistic's final value: the result of
/// statistics(alpha, keep_last) converts with to_summary.
inline constexpr auto keep_last = [](auto /*field*/) { return coflow::sinks::last(); };

/// store_into(target) is the terminal that writes each statistic into *target as it changes,
/// so that the running values can be read at any time.
inline auto store_into(summary* target) {
  return [target](auto field) {
    return coflow::sinks::for_each([slot = &(target->*field)](auto value) { *slot = value; });
  };
}

/// to_summary converts the result of statistics(alpha, keep_last).
template <class Count, class Mean, class Min, class Max, class Stddev, class Ewma>
summary to_summary(const std::tuple<Count, Mean, Min, Max, Stddev, Ewma>& result) {
  const auto& [count, mean, min, max, stddev, ewma] = result;
  return summary{count.value_or(0), mean, min, max, stddev, ewma};
}

}  // namespace stream_stats
