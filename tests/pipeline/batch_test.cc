// Tests of the batched path: `co_yield coflow::receive_batch`, push_batch, and run() handing a
// contiguous range on in spans.
#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <list>
#include <numeric>
#include <optional>
#include <ostream>
#include <random>
#include <span>
#include <stdexcept>
#include <vector>

#include "operators/filter.hpp"
#include "operators/take.hpp"
#include "operators/to_vector.hpp"
#include "operators/transform.hpp"
#include "pipeline/compose.hpp"
#include "pipeline/coroutine.hpp"
#include "pipeline/lookahead.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/profile/instrumented.hpp"
#include "pipeline/protocol_error.hpp"
#include "pipeline/receive.hpp"
#include "pipeline/run.hpp"

namespace {

// The running mean, batched; records the size of every batch it received.
coflow::coroutine<double, double> batch_averager(std::vector<std::size_t>& batch_sizes) {
  double total = 0;
  std::uint64_t count = 0;
  std::vector<double> means;
  auto batch = co_yield coflow::receive_batch;
  while (batch) {
    batch_sizes.push_back(batch->size());
    means.clear();
    for (double term : *batch) {
      total += term;
      means.push_back(total / static_cast<double>(++count));
    }
    batch = co_yield coflow::receive_batch(means);
  }
}

// The same, one value at a time, as in Python.
coflow::coroutine<double, double> python_averager() {
  double total = 0;
  std::uint64_t count = 0;
  std::optional<double> average;
  while (auto term = co_yield average) {
    total += *term;
    average = total / static_cast<double>(++count);
  }
}

std::vector<double> sample(std::size_t n) {
  std::vector<double> values(n);
  for (std::size_t i = 0; i < n; ++i) values[i] = static_cast<double>((i * 2654435761u) % 1000);
  return values;
}

std::vector<double> means_of(const std::vector<double>& values) {
  return coflow::run(values, python_averager() | coflow::sinks::to_vector());
}

TEST(BatchedPath, RunDeliversSpansOfAtMostMaxBatchSize) {
  const auto values = sample(1000);
  std::vector<std::size_t> sizes;
  auto got = coflow::run(values, batch_averager(sizes) | coflow::sinks::to_vector());
  EXPECT_EQ(got, means_of(values));
  EXPECT_EQ(sizes, (std::vector<std::size_t>{256, 256, 256, 232}));
}

TEST(BatchedPath, EmptyRangeGivesNoBatch) {
  std::vector<std::size_t> sizes;
  auto got = coflow::run(std::vector<double>{}, batch_averager(sizes) | coflow::sinks::to_vector());
  EXPECT_TRUE(got.empty());
  EXPECT_TRUE(sizes.empty());
}

TEST(BatchedPath, NonContiguousRangeArrivesAsBatchesOfOne) {
  const auto values = sample(10);
  const std::list<double> listed(values.begin(), values.end());
  std::vector<std::size_t> sizes;
  auto got = coflow::run(listed, batch_averager(sizes) | coflow::sinks::to_vector());
  EXPECT_EQ(got, means_of(values));
  EXPECT_EQ(sizes, std::vector<std::size_t>(10, 1));
}

TEST(BatchedPath, FilterWithLookaheadPassesTheKeptValuesOnAsOneSpan) {
  const auto values = sample(600);
  auto kept = [](double x) { return static_cast<std::int64_t>(x) % 3 != 0; };
  std::vector<double> expected_input;
  for (double x : values) {
    if (kept(x)) expected_input.push_back(x);
  }
  std::vector<std::size_t> sizes;
  auto got = coflow::run(values, coflow::ops::filter(kept, coflow::lookahead) |
                                     batch_averager(sizes) | coflow::sinks::to_vector());
  EXPECT_EQ(got, means_of(expected_input));
  ASSERT_EQ(sizes.size(), 3u);  // one batch per span of 256, 256 and 88 inputs
  EXPECT_EQ(std::accumulate(sizes.begin(), sizes.end(), std::size_t{0}), expected_input.size());
}

TEST(BatchedPath, FilterThatKeepsNothingSendsNoBatch) {
  std::vector<std::size_t> sizes;
  auto got = coflow::run(sample(300), coflow::ops::filter([](double) { return false; }) |
                                          batch_averager(sizes) | coflow::sinks::to_vector());
  EXPECT_TRUE(got.empty());
  EXPECT_TRUE(sizes.empty());
}

TEST(BatchedPath, TransformWithLookaheadMapsASpanAsAWhole) {
  const auto values = sample(300);
  std::vector<double> doubled;
  for (double x : values) doubled.push_back(2 * x);
  std::vector<std::size_t> sizes;
  auto got = coflow::run(values,
                         coflow::ops::transform([](double x) { return 2 * x; }, coflow::lookahead) |
                             batch_averager(sizes) | coflow::sinks::to_vector());
  EXPECT_EQ(got, means_of(doubled));
  EXPECT_EQ(sizes, (std::vector<std::size_t>{256, 44}));
}

TEST(BatchedPath, BatchRepliesReachABatchStageDownstreamAsSpans) {
  const auto values = sample(500);
  std::vector<std::size_t> first_sizes;
  std::vector<std::size_t> second_sizes;
  auto got = coflow::run(values, batch_averager(first_sizes) | batch_averager(second_sizes) |
                                     coflow::sinks::to_vector());
  EXPECT_EQ(got, means_of(means_of(values)));
  EXPECT_EQ(second_sizes, first_sizes);
}

TEST(BatchedPath, TakeDownstreamStopsTheRunAfterTheBatch) {
  const auto values = sample(1000);
  std::vector<std::size_t> sizes;
  auto got = coflow::run(values,
                         batch_averager(sizes) | coflow::ops::take(3) | coflow::sinks::to_vector());
  const auto all = means_of(values);
  EXPECT_EQ(got, std::vector<double>(all.begin(), all.begin() + 3));
  // The stage took its first span whole; the run then stopped.
  EXPECT_EQ(sizes, std::vector<std::size_t>{256});
}

TEST(BatchedPath, SendToABatchPointIsABatchOfOne) {
  std::vector<std::size_t> sizes;
  auto avg = batch_averager(sizes);
  EXPECT_EQ(avg.start(), std::nullopt);
  EXPECT_EQ(avg.send(10), 10.0);
  EXPECT_EQ(avg.send(20), 15.0);
  std::vector<double> out;
  avg.send(60, [&](double m) { out.push_back(m); });
  EXPECT_EQ(out, std::vector<double>{30.0});
  avg.close();
  EXPECT_TRUE(avg.done());
  EXPECT_EQ(sizes, (std::vector<std::size_t>{1, 1, 1}));
}

coflow::coroutine<int, int> repeat_each_twice() {
  std::vector<int> replies;
  auto batch = co_yield coflow::receive_batch;
  while (batch) {
    replies.clear();
    for (int x : *batch) replies.insert(replies.end(), {x, x});
    batch = co_yield coflow::receive_batch(replies);
  }
}

TEST(BatchedPath, SendOfOneAnsweredWithSeveralIsAProtocolError) {
  auto twice = repeat_each_twice();
  twice.start();
  EXPECT_THROW((void)twice.send(1), coflow::protocol_error);
  std::vector<int> out;
  twice.send(2, [&](int x) { out.push_back(x); });
  EXPECT_EQ(out, (std::vector<int>{2, 2}));
}

TEST(BatchedPath, PushSomeTakesTheWholeSpanAtABatchPoint) {
  auto twice = repeat_each_twice();
  twice.start();
  const std::array<int, 3> values{1, 2, 3};
  std::span<const int> rest(values);
  std::vector<int> out;
  EXPECT_TRUE(coflow::detail::push_some_into(twice, rest, [&](int x) { out.push_back(x); }));
  EXPECT_TRUE(rest.empty());
  EXPECT_EQ(out, (std::vector<int>{1, 1, 2, 2, 3, 3}));
}

// Alternates: one value alone, then a batch.
coflow::coroutine<int, int> alternating(std::vector<std::size_t>& batch_sizes) {
  for (;;) {
    auto single = co_yield coflow::receive;
    if (!single) co_return;
    co_yield coflow::emit(-*single);
    auto batch = co_yield coflow::receive_batch;
    if (!batch) co_return;
    batch_sizes.push_back(batch->size());
    for (int x : *batch) co_yield coflow::emit(x);
  }
}

TEST(BatchedPath, PushSomeTakesOneValueAtASingleReceivePoint) {
  std::vector<int> values(10);
  std::iota(values.begin(), values.end(), 1);
  std::vector<std::size_t> sizes;
  auto got = coflow::run(values, alternating(sizes) | coflow::sinks::to_vector());
  EXPECT_EQ(got, (std::vector<int>{-1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
  EXPECT_EQ(sizes, std::vector<std::size_t>{9});
}

coflow::coroutine<int, int, int> flushes_at_close() {
  std::vector<int> held;
  auto batch = co_yield coflow::receive_batch;
  while (batch) {
    held.insert(held.end(), batch->begin(), batch->end());
    batch = co_yield coflow::receive_batch;
  }
  for (int x : held) co_yield coflow::emit(x * 10);
  co_return static_cast<int>(held.size());
}

TEST(BatchedPath, EndOfStreamAtABatchPointLetsTheBodyFlush) {
  auto got =
      coflow::run(std::vector<int>{1, 2, 3}, flushes_at_close() | coflow::sinks::to_vector());
  EXPECT_EQ(got, (std::vector<int>{10, 20, 30}));

  auto standalone = flushes_at_close();
  standalone.start();
  standalone.send(4);
  std::vector<int> flushed;
  EXPECT_EQ(standalone.close([&](int x) { flushed.push_back(x); }), 1);
  EXPECT_EQ(flushed, std::vector<int>{40});
}

coflow::consumer<int, int> batch_summer() {
  int total = 0;
  while (auto batch = co_yield coflow::receive_batch) {
    total = std::accumulate(batch->begin(), batch->end(), total);
  }
  co_return total;
}

TEST(BatchedPath, AConsumerSinkTakesSpans) {
  std::vector<int> values(1000);
  std::iota(values.begin(), values.end(), 0);
  EXPECT_EQ(coflow::run(values, batch_summer()), 499500);
  EXPECT_EQ(
      coflow::run(values, coflow::ops::filter([](int x) { return x % 2 == 0; }, coflow::lookahead) |
                              batch_summer()),
      249500);
}

// Echoes each batch; answers a runtime_error raised where it waits with -1.
coflow::coroutine<int, int> handles_errors() {
  auto batch = co_yield coflow::receive_batch;
  for (;;) {
    if (!batch) co_return;
    bool failed = false;
    try {
      batch = co_yield coflow::receive_batch(*batch);
    } catch (const std::runtime_error&) {
      failed = true;
    }
    if (failed) batch = co_yield coflow::receive_batch(std::array<int, 1>{-1});
  }
}

TEST(BatchedPath, ThrowIntoABatchPoint) {
  auto c = handles_errors();
  c.start();
  EXPECT_EQ(c.send(5), 5);
  EXPECT_EQ(c.throw_into(std::runtime_error("x")), -1);
  EXPECT_EQ(c.send(6), 6);
  EXPECT_THROW((void)c.throw_into(std::logic_error("not handled")), std::logic_error);
  EXPECT_TRUE(c.done());
}

TEST(BatchedPath, StatusAtABatchPoint) {
  std::vector<std::size_t> sizes;
  auto avg = batch_averager(sizes);
  avg.start();
  EXPECT_EQ(avg.status(), coflow::status::suspended);
  EXPECT_TRUE(avg.receiving());
  EXPECT_FALSE(avg.emitting());
  EXPECT_THROW((void)avg.next(), coflow::protocol_error);
}

TEST(BatchedPath, OpenedPipelineSendsSingleValuesToABatchStage) {
  std::vector<std::size_t> sizes;
  auto p = coflow::open<double>(batch_averager(sizes) | coflow::sinks::to_vector());
  p.send(1);
  p.send(3);
  EXPECT_EQ(p.close(), (std::vector<double>{1, 2}));
}

coflow::coroutine<int, int> throws_on_second_batch() {
  auto batch = co_yield coflow::receive_batch;
  batch = co_yield coflow::receive_batch(*batch);
  throw std::runtime_error("second batch");
}

TEST(BatchedPath, AnExceptionFromABatchBodyReachesRun) {
  std::vector<int> values(600, 1);
  EXPECT_THROW((void)coflow::run(values, throws_on_second_batch() | coflow::sinks::to_vector()),
               std::runtime_error);
}

// --- User callables see exactly the values they would see one by one -------------------------

// Passes each value on, one at a time: a coroutine stage takes spans (push_batch) even when its
// body waits at a single receive point.
coflow::coroutine<int, int> echo() {
  std::optional<int> reply;
  while (auto v = co_yield reply) reply = *v;
}

// Echoes each batch; records the size of every batch it received.
coflow::coroutine<int, int> echo_batches(std::vector<std::size_t>& batch_sizes) {
  auto batch = co_yield coflow::receive_batch;
  while (batch) {
    batch_sizes.push_back(batch->size());
    batch = co_yield coflow::receive_batch(*batch);
  }
}

// Throws on a negative value, and counts its calls.
struct checked {
  int* calls;
  int operator()(int x) const {
    ++*calls;
    if (x < 0) throw std::invalid_argument("negative");
    return x;
  }
};
struct checked_predicate {
  int* calls;
  bool operator()(int x) const { return checked{calls}(x) % 2 != 0; }
};

// What run() gave, and how often the callable ran, for one container.
struct observed {
  std::vector<int> values;
  bool threw = false;
  int calls = 0;
  bool operator==(const observed&) const = default;
  friend std::ostream& operator<<(std::ostream& os, const observed& o) {
    os << "{values:";
    for (int v : o.values) os << ' ' << v;
    return os << (o.threw ? ", threw" : "") << ", calls: " << o.calls << '}';
  }
};

template <class Container, class MakePipeline>
observed run_on(const std::vector<int>& input, MakePipeline make) {
  observed o;
  const Container source(input.begin(), input.end());
  try {
    o.values = coflow::run(source, make(&o.calls));
  } catch (const std::invalid_argument&) {
    o.threw = true;
  }
  return o;
}

// The same run over a vector (spans), a std::list and a std::deque (one by one).
template <class MakePipeline>
void expect_same_on_every_container(const std::vector<int>& input, MakePipeline make,
                                    const observed& expected) {
  EXPECT_EQ(run_on<std::vector<int>>(input, make), expected);
  EXPECT_EQ(run_on<std::list<int>>(input, make), expected);
  EXPECT_EQ(run_on<std::deque<int>>(input, make), expected);
}

TEST(BatchedPath, TransformStopsCallingItsFunctionOnceDownstreamIsDone) {
  auto make = [](int* calls) {
    return coflow::ops::transform(checked{calls}) | echo() | coflow::ops::take(3) |
           coflow::sinks::to_vector();
  };
  expect_same_on_every_container({1, 2, 3, -1}, make, {{1, 2, 3}, false, 3});
}

TEST(BatchedPath, TransformStopsBeforeABatchStageIsDone) {
  auto make = [](int* calls) {
    return coflow::ops::transform(checked{calls}) | repeat_each_twice() | coflow::ops::take(4) |
           coflow::sinks::to_vector();
  };
  expect_same_on_every_container({1, 2, 3, -1}, make, {{1, 1, 2, 2}, false, 2});
}

TEST(BatchedPath, FilterStopsCallingItsPredicateOnceDownstreamIsDone) {
  auto make = [](int* calls) {
    return coflow::ops::filter(checked_predicate{calls}) | echo() | coflow::ops::take(2) |
           coflow::sinks::to_vector();
  };
  expect_same_on_every_container({1, 2, 3, -1}, make, {{1, 3}, false, 3});
}

TEST(BatchedPath, AnExceptionFromAUserCallableComesAtTheSameValueOnEveryContainer) {
  auto make = [](int* calls) {
    return coflow::ops::transform(checked{calls}) | echo() | coflow::ops::take(10) |
           coflow::sinks::to_vector();
  };
  expect_same_on_every_container({1, 2, -1, 4, 5}, make, {{}, true, 3});
  auto filtered = [](int* calls) {
    return coflow::ops::filter(checked_predicate{calls}) | echo() | coflow::ops::take(10) |
           coflow::sinks::to_vector();
  };
  expect_same_on_every_container({1, 2, -1, 4, 5}, filtered, {{}, true, 3});
}

TEST(BatchedPath, TakeOneOverAThousandValuesCallsTheCallableOnce) {
  std::vector<int> input(1000);
  std::iota(input.begin(), input.end(), 1);
  auto transformed = [](int* calls) {
    return coflow::ops::transform(checked{calls}) | echo() | coflow::ops::take(1) |
           coflow::sinks::to_vector();
  };
  expect_same_on_every_container(input, transformed, {{1}, false, 1});
  auto filtered = [](int* calls) {
    return coflow::ops::filter(checked_predicate{calls}) | echo() | coflow::ops::take(1) |
           coflow::sinks::to_vector();
  };
  expect_same_on_every_container(input, filtered, {{1}, false, 1});
}

TEST(BatchedPath, WithoutLookaheadAFilterHandsValuesOnOneByOne) {
  const auto values = sample(300);
  std::vector<std::size_t> sizes;
  auto got = coflow::run(values, coflow::ops::filter([](double) { return true; }) |
                                     batch_averager(sizes) | coflow::sinks::to_vector());
  EXPECT_EQ(got, means_of(values));
  EXPECT_EQ(sizes, std::vector<std::size_t>(300, 1));
}

TEST(BatchedPath, LookaheadLetsTheCallableRunOnTheWholeSpan) {
  std::vector<int> input(1000);
  std::iota(input.begin(), input.end(), 1);
  int calls = 0;
  auto counted = [&calls](int x) {
    ++calls;
    return x;
  };
  std::vector<std::size_t> sizes;
  auto got =
      coflow::run(input, coflow::ops::transform(counted, coflow::lookahead) | echo_batches(sizes) |
                             coflow::ops::take(1) | coflow::sinks::to_vector());
  EXPECT_EQ(got, std::vector<int>{1});
  EXPECT_EQ(calls, 256);
  EXPECT_EQ(sizes, std::vector<std::size_t>{256});
}

// Property: a contiguous range (delivered in spans) and the same values in a std::list (one by
// one) give the same outputs, for every length around the span boundaries, with a filter, a
// transform and an early stop downstream.
TEST(BatchedPath, SpansAndSingleValuesGiveTheSameOutputs) {
  std::mt19937 random(20261123);
  std::vector<std::size_t> lengths = {0, 1, 255, 256, 257, 511, 512, 513, 1000};
  for (int i = 0; i < 20; ++i)
    lengths.push_back(std::uniform_int_distribution<std::size_t>(0, 3000)(random));
  for (const std::size_t n : lengths) {
    std::vector<double> values(n);
    for (double& x : values) x = std::uniform_int_distribution<int>(0, 99)(random);
    const std::list<double> listed(values.begin(), values.end());
    const int modulus = std::uniform_int_distribution<int>(1, 5)(random);
    const std::size_t limit = std::uniform_int_distribution<std::size_t>(0, n + 10)(random);
    auto kept = [modulus](double x) { return static_cast<int>(x) % modulus != 0; };
    auto twice = [](double x) { return 2 * x; };
    auto make = [&](std::vector<std::size_t>& sizes) {
      return coflow::ops::filter(kept, coflow::lookahead) |
             coflow::ops::transform(twice, coflow::lookahead) | batch_averager(sizes) |
             coflow::ops::take(limit) | coflow::sinks::to_vector();
    };
    std::vector<std::size_t> span_sizes;
    std::vector<std::size_t> single_sizes;
    const auto from_spans = coflow::run(values, make(span_sizes));
    const auto one_by_one = coflow::run(listed, make(single_sizes));
    EXPECT_EQ(from_spans, one_by_one)
        << "n = " << n << ", modulus = " << modulus << ", limit = " << limit;
    for (const std::size_t size : span_sizes) EXPECT_LE(size, coflow::max_batch_size);
  }
}

TEST(BatchedPath, InstrumentedPipelinesPassSpansThroughAndCountEveryValue) {
  const auto values = sample(1000);
  auto kept = [](double x) { return static_cast<std::int64_t>(x) % 3 != 0; };
  std::size_t kept_count = 0;
  for (double x : values) kept_count += kept(x) ? 1 : 0;

  std::vector<std::size_t> sizes;
  auto probe = coflow::instrumented(coflow::ops::filter(kept, coflow::lookahead) |
                                    batch_averager(sizes) | coflow::sinks::to_vector());
  const auto profile = probe.profile();
  auto got = coflow::run(values, std::move(probe));
  EXPECT_EQ(got.size(), kept_count);
  EXPECT_EQ(sizes.size(), 4u);  // still one resume per span of 256 inputs

  const auto stages = profile.stages();
  ASSERT_EQ(stages.size(), 3u);
  EXPECT_EQ(stages[0].values_in, values.size());
  EXPECT_EQ(stages[0].values_out, kept_count);
  EXPECT_EQ(stages[1].values_in, kept_count);
  EXPECT_EQ(stages[1].values_out, kept_count);
  EXPECT_EQ(stages[2].values_in, kept_count);
}

}  // namespace
