#include "operators/tumbling_time.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <concepts>
#include <cstdint>
#include <list>
#include <map>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "operators/for_each.hpp"
#include "operators/group_by.hpp"
#include "operators/take.hpp"
#include "operators/to_vector.hpp"
#include "pipeline/compose.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/run.hpp"
#include "tests/operators/time_window_fixtures.hpp"

namespace {

namespace ops = coflow::ops;
namespace sinks = coflow::sinks;
using namespace std::chrono_literals;

using namespace coflow::window_testing;

late late_one(long t, int value, std::uint64_t missed = 1) {
  return {{at(t), value}, at(t), missed};
}

auto tumbling(seconds size, coflow::event_time bounds = {}) {
  return ops::tumbling_time(size, &reading::time, &reading::value, collect{}, bounds) |
         sinks::to_vector();
}

static_assert(
    std::same_as<
        coflow::output_t<
            decltype(ops::tumbling_time(10s, &reading::time, &reading::value, collect{})), reading>,
        event>);

// The worked example of the header, value by value.
TEST(TumblingTime, FollowsTheWorkedExampleOfItsHeader) {
  auto out = coflow::run(stamped({1, 4, 11, 9, 13, 3, 19, 2, 25}),
                         tumbling(10s, {.out_of_orderness = 2s, .allowed_lateness = 5s}));
  EXPECT_EQ(out,
            (std::vector<event>{win(0, 10, {1, 4, 9}), win(0, 10, {1, 4, 9, 3}, true),
                                late_one(2, 2), win(10, 20, {11, 13, 19}), win(20, 30, {25})}));
}

TEST(TumblingTime, OutputsAWindowWhenAValueReachesItsEndWithNoBounds) {
  auto out = coflow::run(stamped({0, 3, 9, 10, 15, 31}), tumbling(10s));
  EXPECT_EQ(out,
            (std::vector<event>{win(0, 10, {0, 3, 9}), win(10, 20, {10, 15}), win(30, 40, {31})}));
}

// Value by value: what each send outputs, at the exact boundaries of the watermark.
TEST(TumblingTime, OutputsAWindowAsSoonAsTheWatermarkReachesItsEnd) {
  std::vector<event> out;
  auto p =
      coflow::open<reading>(ops::tumbling_time(10s, &reading::time, &reading::value, collect{},
                                               {.out_of_orderness = 2s, .allowed_lateness = 5s}) |
                            sinks::for_each([&out](event e) { out.push_back(std::move(e)); }));
  p.send({at(5), 5});
  p.send({at(11), 11});  // watermark 9
  EXPECT_TRUE(out.empty());
  p.send({at(12), 12});  // watermark 10: [0,10) is complete
  EXPECT_EQ(out, (std::vector<event>{win(0, 10, {5})}));
  p.send({at(15), 15});  // watermark 13 < 10 + 5: [0,10) takes late values
  p.send({at(1), 1});
  EXPECT_EQ(out.back(), event(win(0, 10, {5, 1}, true)));
  p.send({at(14), 14});  // an older value does not move the watermark back
  p.send({at(2), 2});
  EXPECT_EQ(out.back(), event(win(0, 10, {5, 1, 2}, true)));
  p.send({at(16), 16});  // watermark 14
  p.send({at(3), 3});
  EXPECT_EQ(out.back(), event(win(0, 10, {5, 1, 2, 3}, true)));
  p.send({at(17), 17});  // watermark 15 = 10 + 5: too late from now on
  p.send({at(4), 4});
  EXPECT_EQ(out.back(), event(late_one(4, 4)));
  EXPECT_EQ(out.size(), 5u);
  p.close();
  EXPECT_EQ(out.back(), event(win(10, 20, {11, 12, 15, 14, 16, 17})));
}

TEST(TumblingTime, AddsValuesOutOfOrderWithinTheBoundToTheirWindow) {
  auto out = coflow::run(stamped({5, 12, 8, 13, 7, 14}), tumbling(10s, {.out_of_orderness = 4s}));
  EXPECT_EQ(out, (std::vector<event>{win(0, 10, {5, 8, 7}), win(10, 20, {12, 13, 14})}));
}

TEST(TumblingTime, ReportsAValueTooLateWithItsValueAndTimestamp) {
  auto out = coflow::run(stamped({5, 12, 8, 25, 19}), tumbling(10s));
  EXPECT_EQ(out, (std::vector<event>{win(0, 10, {5}), late_one(8, 8), win(10, 20, {12}),
                                     late_one(19, 19), win(20, 30, {25})}));
}

TEST(TumblingTime, UpdatesAWindowForALateValueWithinTheAllowedLateness) {
  auto out =
      coflow::run(stamped({5, 12, 8, 14, 9, 15, 6}), tumbling(10s, {.allowed_lateness = 5s}));
  // 12 completes [0,10); 8 and 9 are late but allowed; 15 ends the lateness; 6 is too late.
  EXPECT_EQ(out, (std::vector<event>{win(0, 10, {5}), win(0, 10, {5, 8}, true),
                                     win(0, 10, {5, 8, 9}, true), late_one(6, 6),
                                     win(10, 20, {12, 14, 15})}));
}

TEST(TumblingTime, ALateValueForAWindowNeverOutputOpensItWithinTheLateness) {
  // 25 completes [0,10) and passes its lateness; 17 opens [10,20), complete at once, which
  // the watermark of 31 then does not output again.
  auto out = coflow::run(stamped({5, 25, 17, 31}), tumbling(10s, {.allowed_lateness = 10s}));
  EXPECT_EQ(out, (std::vector<event>{win(0, 10, {5}), win(10, 20, {17}), win(20, 30, {25}),
                                     win(30, 40, {31})}));
}

TEST(TumblingTime, CountsEveryValueInAWindowOrAsLate) {
  // Mostly increasing, with jitter of up to 40 s back.
  const std::vector<reading> values = jittered(5000, 7, 2, 40);
  auto out = coflow::run(values, tumbling(10s, {.out_of_orderness = 5s, .allowed_lateness = 7s}));
  // The last output of each window holds all of its values.
  std::map<sys_seconds, std::uint64_t> last_count;
  std::uint64_t late_values = 0;
  for (const event& e : out) {
    if (const auto* w = std::get_if<window>(&e)) {
      EXPECT_EQ(w->count, w->result.size());
      EXPECT_EQ(w->update, last_count.contains(w->start));
      last_count[w->start] = w->count;
    } else {
      const auto& l = std::get<late>(e);
      EXPECT_EQ(l.timestamp, l.value.time);
      ++late_values;
    }
  }
  std::uint64_t in_windows = 0;
  for (const auto& [start, count] : last_count) in_windows += count;
  EXPECT_GT(late_values, 0u);
  EXPECT_EQ(in_windows + late_values, values.size());
}

TEST(TumblingTime, FlushesEveryOpenWindowAtEndOfStreamOldestFirst) {
  auto out = coflow::run(stamped({35, 12, 1}), tumbling(10s, {.out_of_orderness = 60s}));
  EXPECT_EQ(out, (std::vector<event>{win(0, 10, {1}), win(10, 20, {12}), win(30, 40, {35})}));
}

TEST(TumblingTime, OutputsNothingForAnEmptyStream) {
  EXPECT_TRUE(coflow::run(std::vector<reading>{}, tumbling(10s)).empty());
}

TEST(TumblingTime, AlignsWindowsToTheEpochAlsoBeforeIt) {
  auto out = coflow::run(stamped({-11, -10, -1, 0}), tumbling(10s));
  EXPECT_EQ(out,
            (std::vector<event>{win(-20, -10, {-11}), win(-10, 0, {-10, -1}), win(0, 10, {0})}));
}

TEST(TumblingTime, RoundsBoundsUpToTheTimestampsUnit) {
  // 1500 ms with timestamps in seconds is 2 s: 8 is within it after 10.
  auto out = coflow::run(stamped({5, 10, 8}), tumbling(10s, {.out_of_orderness = 1500ms}));
  EXPECT_EQ(out, (std::vector<event>{win(0, 10, {5, 8}), win(10, 20, {10})}));
}

TEST(TumblingTime, RejectsBadParametersNamingThem) {
  EXPECT_NE(invalid_argument_message([] {
              return ops::tumbling_time(0s, &reading::time, collect{});
            }).find("size must be positive"),
            std::string::npos);
  EXPECT_NE(invalid_argument_message([] {
              return ops::tumbling_time(-1s, &reading::time, collect{});
            }).find("size must be positive"),
            std::string::npos);
  EXPECT_NE(invalid_argument_message([] {
              return ops::tumbling_time(1s, &reading::time, collect{}, {.out_of_orderness = -1s});
            }).find("out_of_orderness must not be negative"),
            std::string::npos);
  EXPECT_NE(invalid_argument_message([] {
              return ops::tumbling_time(1s, &reading::time, collect{}, {.allowed_lateness = -1s});
            }).find("allowed_lateness must not be negative"),
            std::string::npos);
}

TEST(TumblingTime, TheMaximumTimePointSaturatesTheWindowEndAndIsKept) {
  const ns_time max = ns_time::max();
  std::vector<ns_reading> values{{ns_time(0s), 1}, {max, 2}, {max, 3}, {ns_time(5s), 4}};
  auto out = coflow::run(values,
                         ops::tumbling_time(10s, &ns_reading::time, &ns_reading::value, collect{}) |
                             sinks::to_vector());
  ASSERT_EQ(out.size(), 3u);
  const auto& first = std::get<ns_window>(out[0]);
  EXPECT_EQ(first.start, ns_time(0s));
  EXPECT_EQ(first.result, (std::vector<int>{1}));
  // 5 s is behind the watermark (the maximum): too late.
  EXPECT_EQ(std::get<1>(out[1]).value.value, 4);
  const auto& last = std::get<ns_window>(out[2]);
  EXPECT_EQ(last.end, max);
  EXPECT_LT(last.start, max);
  EXPECT_GT(last.start, max - 10s);
  EXPECT_EQ(last.result, (std::vector<int>{2, 3}));
}

TEST(TumblingTime, TheMinimumTimePointDoesNotOverflow) {
  const ns_time min = ns_time::min();
  std::vector<ns_reading> values{{min, 1}, {min + 1ns, 2}, {ns_time(0s), 3}};
  auto out = coflow::run(values,
                         ops::tumbling_time(10s, &ns_reading::time, &ns_reading::value, collect{}) |
                             sinks::to_vector());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(std::get<ns_window>(out[0]).start, min);
  EXPECT_EQ(std::get<ns_window>(out[0]).result, (std::vector<int>{1, 2}));
  EXPECT_EQ(std::get<ns_window>(out[1]).result, (std::vector<int>{3}));
}

TEST(TumblingTime, AThrowingAggregatePropagatesItsException) {
  auto p = ops::tumbling_time(10s, &reading::time, &reading::value, throwing_at{13}) |
           sinks::to_vector();
  EXPECT_THROW((void)coflow::run(stamped({1, 13, 22}), p), std::runtime_error);
  auto ok = coflow::run(stamped({1, 12, 22}), p);
  ASSERT_EQ(ok.size(), 3u);
  EXPECT_EQ(std::get<0>(ok[1]).result, 12);
}

TEST(TumblingTime, AThrowingTimestampFunctionPropagatesItsException) {
  auto p = ops::tumbling_time(
               10s,
               [](const reading& r) {
                 if (r.value < 0) throw std::domain_error("no time");
                 return r.time;
               },
               &reading::value, collect{}) |
           sinks::to_vector();
  EXPECT_THROW((void)coflow::run(std::vector<reading>{{at(1), 1}, {at(2), -1}}, p),
               std::domain_error);
}

TEST(TumblingTime, StopsWhenDownstreamIsDone) {
  auto out = coflow::run(stamped({1, 11, 21, 31}),
                         ops::tumbling_time(10s, &reading::time, &reading::value, collect{}) |
                             ops::take(2) | sinks::to_vector());
  EXPECT_EQ(out, (std::vector<event>{win(0, 10, {1}), win(10, 20, {11})}));
}

TEST(TumblingTime, AVectorAndAListGiveTheSameOutput) {
  const std::vector<reading> values = scattered();
  std::list<reading> list(values.begin(), values.end());
  auto p = tumbling(10s, {.out_of_orderness = 100s, .allowed_lateness = 500s});
  auto from_vector = coflow::run(values, p);
  EXPECT_EQ(from_vector, coflow::run(list, p));
  EXPECT_FALSE(from_vector.empty());
}

TEST(TumblingTime, TakesAWholeValueWhenItConvertsToTheAggregatesValueType) {
  struct stamped_int {
    sys_seconds time;
    int value;
    operator int() const { return value; }  // NOLINT: the conversion is what is tested
  };
  auto out =
      coflow::run(std::vector<stamped_int>{{at(1), 4}, {at(2), 5}},
                  ops::tumbling_time(10s, &stamped_int::time, collect{}) | sinks::to_vector());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(std::get<0>(out[0]).result, (std::vector<int>{4, 5}));
}

struct keyed {
  std::string sensor;
  sys_seconds time;
  int value;
};

TEST(TumblingTime, GroupByGivesWindowsPerKeyWithTheirOwnWatermark) {
  std::vector<keyed> values{{"a", at(1), 1}, {"b", at(2), 2}, {"a", at(12), 3},
                            {"b", at(3), 4}, {"a", at(5), 5}, {"b", at(14), 6}};
  auto by_sensor = coflow::run(
      values, sinks::group_by(&keyed::sensor,
                              ops::tumbling_time(10s, &keyed::time, &keyed::value, collect{}) |
                                  sinks::to_vector()));
  using keyed_event = coflow::time_window_event<std::vector<int>, keyed, sys_seconds>;
  ASSERT_EQ(by_sensor.size(), 2u);
  const std::vector<keyed_event>& a = by_sensor.at("a");
  const std::vector<keyed_event>& b = by_sensor.at("b");
  // a's watermark reached 12 before its 5 came: late. b's 3 came before b's 14: in time.
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(std::get<0>(a[0]).result, (std::vector<int>{1}));
  EXPECT_EQ(std::get<1>(a[1]).value.value, 5);
  EXPECT_EQ(std::get<0>(a[2]).result, (std::vector<int>{3}));
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(std::get<0>(b[0]).result, (std::vector<int>{2, 4}));
  EXPECT_EQ(std::get<0>(b[1]).result, (std::vector<int>{6}));
}

}  // namespace
