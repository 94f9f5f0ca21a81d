#include "operators/sliding_time.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <concepts>
#include <cstdint>
#include <list>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "operators/group_by.hpp"
#include "operators/to_vector.hpp"
#include "operators/tumbling_time.hpp"
#include "pipeline/compose.hpp"
#include "pipeline/run.hpp"
#include "tests/operators/time_window_fixtures.hpp"

namespace {

namespace ops = coflow::ops;
namespace sinks = coflow::sinks;
using namespace std::chrono_literals;

using namespace coflow::window_testing;

auto sliding(seconds size, seconds slide, coflow::event_time bounds = {}) {
  return ops::sliding_time(size, slide, &reading::time, &reading::value, collect{}, bounds) |
         sinks::to_vector();
}

// The windows of in-order readings worked out from the definition, one window at a time.
std::vector<event> reference(const std::vector<reading>& values, long size, long slide) {
  std::vector<event> out;
  if (values.empty()) return out;
  const long first = values.front().time.time_since_epoch().count();
  const long last = values.back().time.time_since_epoch().count();
  long start = first - size;
  start -= ((start % slide) + slide) % slide;
  for (; start <= last; start += slide) {
    std::vector<int> in;
    for (const reading& r : values) {
      const long t = r.time.time_since_epoch().count();
      if (start <= t && t < start + size) in.push_back(r.value);
    }
    if (!in.empty()) out.push_back(win(start, start + size, std::move(in)));
  }
  return out;
}

static_assert(std::same_as<coflow::output_t<decltype(ops::sliding_time(10s, 5s, &reading::time,
                                                                       &reading::value, collect{})),
                                            reading>,
                           event>);

TEST(SlidingTime, PutsEachValueInEveryWindowThatHoldsIt) {
  auto out = coflow::run(stamped({1, 6, 12, 17}), sliding(10s, 5s));
  EXPECT_EQ(out, (std::vector<event>{win(-5, 5, {1}), win(0, 10, {1, 6}), win(5, 15, {6, 12}),
                                     win(10, 20, {12, 17}), win(15, 25, {17})}));
}

TEST(SlidingTime, MatchesTheWindowsWorkedOutFromTheDefinition) {
  std::vector<reading> values;
  for (int i = 0; i < 300; ++i) values.push_back({at(i * 7 / 3 - 100), i});
  for (auto [size, slide] : {std::pair{10L, 5L}, {10L, 4L}, {9L, 9L}, {12L, 1L}, {7L, 3L}}) {
    EXPECT_EQ(coflow::run(values, sliding(seconds(size), seconds(slide))),
              reference(values, size, slide))
        << "size " << size << ", slide " << slide;
  }
}

TEST(SlidingTime, WithASlideOfItsSizeGivesTumblingTimesOutput) {
  auto values = stamped({1, 3, 12, 9, 25, 14, 40});
  const coflow::event_time bounds{.out_of_orderness = 3s, .allowed_lateness = 4s};
  EXPECT_EQ(coflow::run(values, sliding(10s, 10s, bounds)),
            coflow::run(values, ops::tumbling_time(10s, &reading::time, &reading::value, collect{},
                                                   bounds) |
                                    sinks::to_vector()));
}

TEST(SlidingTime, AddsALateValueToTheWindowsStillOpenAndReportsTheOthers) {
  // After 19, [5,15) is past the watermark; 12 still finds [10,20) open.
  auto out = coflow::run(stamped({3, 19, 12}), sliding(10s, 5s));
  EXPECT_EQ(out,
            (std::vector<event>{win(-5, 5, {3}), win(0, 10, {3}), late{{at(12), 12}, at(12), 1},
                                win(10, 20, {19, 12}), win(15, 25, {19})}));
}

TEST(SlidingTime, CountsEveryValueInEachOfItsWindowsOrAsMissed) {
  const std::vector<reading> values = jittered(4000, 11, 3, 29);
  auto out =
      coflow::run(values, sliding(12s, 4s, {.out_of_orderness = 6s, .allowed_lateness = 8s}));
  std::map<sys_seconds, std::uint64_t> last_count;
  std::uint64_t missed = 0;
  for (const event& e : out) {
    if (const auto* w = std::get_if<window>(&e)) {
      EXPECT_EQ(w->end - w->start, 12s);
      EXPECT_EQ(w->update, last_count.contains(w->start));
      last_count[w->start] = w->count;
    } else {
      missed += std::get<late>(e).windows_missed;
    }
  }
  std::uint64_t in_windows = 0;
  for (const auto& [start, count] : last_count) in_windows += count;
  EXPECT_GT(missed, 0u);
  EXPECT_EQ(in_windows + missed, 3 * values.size());
}

TEST(SlidingTime, TakesWindowParametersInDifferentUnits) {
  auto out = coflow::run(stamped({30, 70}),
                         ops::sliding_time(1min, 30s, &reading::time, &reading::value, collect{}) |
                             sinks::to_vector());
  EXPECT_EQ(out, (std::vector<event>{win(0, 60, {30}), win(30, 90, {30, 70}), win(60, 120, {70})}));
}

TEST(SlidingTime, OutputsNothingForAnEmptyStream) {
  EXPECT_TRUE(coflow::run(std::vector<reading>{}, sliding(10s, 5s)).empty());
}

TEST(SlidingTime, RejectsBadParametersNamingThem) {
  EXPECT_NE(invalid_argument_message([] {
              return ops::sliding_time(0s, 0s, &reading::time, collect{});
            }).find("size must be positive"),
            std::string::npos);
  EXPECT_NE(invalid_argument_message([] {
              return ops::sliding_time(10s, 0s, &reading::time, collect{});
            }).find("slide must be positive and at most size"),
            std::string::npos);
  EXPECT_NE(invalid_argument_message([] {
              return ops::sliding_time(10s, 11s, &reading::time, collect{});
            }).find("slide must be positive and at most size"),
            std::string::npos);
  EXPECT_NE(invalid_argument_message([] {
              return ops::sliding_time(10s, 5s, &reading::time, collect{},
                                       {.allowed_lateness = -1ns});
            }).find("allowed_lateness must not be negative"),
            std::string::npos);
}

TEST(SlidingTime, TheMaximumTimePointDoesNotOverflow) {
  const ns_time max = ns_time::max();
  auto out =
      coflow::run(std::vector<ns_reading>{{max - 1s, 1}, {max, 2}},
                  ops::sliding_time(10s, 5s, &ns_reading::time, &ns_reading::value, collect{}) |
                      sinks::to_vector());
  std::uint64_t total = 0;
  for (const auto& e : out) {
    const auto& w = std::get<ns_window>(e);
    EXPECT_LT(w.start, w.end);
    EXPECT_GT(w.start, max - 20s);
    total += w.count;
  }
  EXPECT_EQ(total, 4u);  // each value in its two windows
}

TEST(SlidingTime, AThrowingAggregatePropagatesItsException) {
  auto p = ops::sliding_time(10s, 5s, &reading::time, &reading::value, throwing_at{13}) |
           sinks::to_vector();
  EXPECT_THROW((void)coflow::run(stamped({1, 13}), p), std::runtime_error);
  EXPECT_EQ(coflow::run(stamped({1, 12}), p).size(), 4u);
}

TEST(SlidingTime, AVectorAndAListGiveTheSameOutput) {
  const std::vector<reading> values = scattered();
  std::list<reading> list(values.begin(), values.end());
  auto p = sliding(20s, 5s, {.out_of_orderness = 100s, .allowed_lateness = 500s});
  auto from_vector = coflow::run(values, p);
  EXPECT_EQ(from_vector, coflow::run(list, p));
  EXPECT_FALSE(from_vector.empty());
}

TEST(SlidingTime, GroupByGivesWindowsPerKey) {
  struct keyed {
    int sensor;
    sys_seconds time;
    int value;
  };
  std::vector<keyed> values{{1, at(1), 1}, {2, at(2), 2}, {1, at(6), 3}, {2, at(11), 4}};
  auto by_sensor = coflow::run(
      values, sinks::group_by(&keyed::sensor,
                              ops::sliding_time(10s, 5s, &keyed::time, &keyed::value, collect{}) |
                                  sinks::to_vector()));
  using keyed_window = coflow::time_window_result<std::vector<int>, sys_seconds>;
  auto results = [](const auto& events) {
    std::vector<std::vector<int>> out;
    for (const auto& e : events) out.push_back(std::get<keyed_window>(e).result);
    return out;
  };
  EXPECT_EQ(results(by_sensor.at(1)), (std::vector<std::vector<int>>{{1}, {1, 3}, {3}}));
  EXPECT_EQ(results(by_sensor.at(2)), (std::vector<std::vector<int>>{{2}, {2}, {4}, {4}}));
}

}  // namespace
