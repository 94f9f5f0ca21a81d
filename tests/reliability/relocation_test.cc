// Reliability: the links between stages survive relocation. An opened pipeline keeps its
// stages in one heap block, so moving the pipeline object, swapping two, or a std::vector of
// opened pipelines reallocating must leave every pipeline delivering to its own stages. The
// same holds for bare coroutine objects, which own their frames.
#include <gtest/gtest.h>

#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

#include "operators/filter.hpp"
#include "operators/transform.hpp"
#include "pipeline/compose.hpp"
#include "pipeline/coroutine.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/receive.hpp"
#include "tests/reliability/fault_stages.hpp"
#include "tests/support/counted.hpp"
#include "tests/support/frame_counter.hpp"

namespace {

namespace ops = coflow::ops;
using coflow::reliability::fans_out;
using coflow::reliability::never;
using coflow::reliability::recorder;
using coflow::reliability::relay;
using coflow::test_support::frame_counter;

// Adds `offset` to each value, so that each pipeline in a batch computes something of its own.
coflow::coroutine<int, int> shift(frame_counter& scopes, frame_counter::token, int offset) {
  auto alive = scopes.enter();
  std::optional<int> reply;
  while (auto v = co_yield reply) reply = *v + offset;
}

// The sum of the values it received, returned at end of stream.
coflow::consumer<int, long> total(frame_counter& scopes, frame_counter::token) {
  auto alive = scopes.enter();
  long sum = 0;
  while (auto v = co_yield coflow::receive) sum += *v;
  co_return sum;
}

auto make_pipeline(frame_counter& scopes, frame_counter& frames, int offset) {
  return coflow::open<int>(
      shift(scopes, frames.enter(), offset) | ops::filter([](int v) { return v % 2 == 0; }) |
      fans_out<int>(scopes, frames.enter(), 2) | ops::transform([](int v) { return v * 10; }) |
      total(scopes, frames.enter()));
}

// What make_pipeline(offset) returns after being sent 0, 1, ..., n - 1 and closed.
long expected_total(int offset, int n) {
  long sum = 0;
  for (int i = 0; i < n; ++i) {
    const int v = i + offset;
    if (v % 2 == 0) sum += 2L * v * 10;
  }
  return sum;
}

class Relocation : public ::testing::Test {
 protected:
  void TearDown() override {
    EXPECT_TRUE(frames.balanced())
        << frames.live() << " frame(s) leaked, " << frames.double_exits() << " destroyed twice";
    EXPECT_TRUE(scopes.balanced()) << scopes.live() << " body scope(s) never ended";
  }

  frame_counter frames;
  frame_counter scopes;
};

TEST_F(Relocation, APipelineKeepsWorkingAcrossMovesAndSwaps) {
  auto p = make_pipeline(scopes, frames, 1);
  p.send(0);
  auto q = std::move(p);  // move construction
  q.send(1);
  auto r = make_pipeline(scopes, frames, 2);
  r.send(0);
  std::swap(q, r);  // each now lives in the other's object
  q.send(1);
  r.send(2);
  r = std::move(q);  // move assignment over a live pipeline destroys r's old stages
  EXPECT_EQ(frames.live(), 3);
  r.send(2);
  // r is the offset-2 pipeline, sent 0, 1, 2.
  EXPECT_EQ(r.close(), expected_total(2, 3));
}

TEST_F(Relocation, AReallocatingVectorOfOpenedPipelinesKeepsEveryLink) {
  constexpr int count = 200;
  using pipeline_t = decltype(make_pipeline(scopes, frames, 0));
  std::vector<pipeline_t> pipelines;
  std::size_t reallocations = 0;
  for (int i = 0; i < count; ++i) {
    const auto before = pipelines.capacity();
    pipelines.push_back(make_pipeline(scopes, frames, i));
    if (pipelines.capacity() != before) ++reallocations;
    pipelines.back().send(0);  // each sends before and after later reallocations
  }
  EXPECT_GE(reallocations, 5u) << "the vector should have moved its pipelines several times";
  EXPECT_EQ(frames.live(), 3 * count);
  for (int v = 1; v < 5; ++v) {
    for (auto& p : pipelines) p.send(v);
  }
  // Erasing from the front shifts every other pipeline by move assignment.
  pipelines.erase(pipelines.begin());
  EXPECT_EQ(frames.live(), 3 * (count - 1));
  for (int i = 0; i < count - 1; ++i) {
    EXPECT_EQ(pipelines[static_cast<std::size_t>(i)].close(), expected_total(i + 1, 5))
        << "pipeline " << i + 1;
  }
}

TEST_F(Relocation, AVectorOfSuspendedCoroutinesSurvivesReallocation) {
  std::vector<coflow::coroutine<int, int>> coroutines;
  for (int i = 0; i < 100; ++i) {
    coroutines.push_back(shift(scopes, frames.enter(), i));
    coroutines.back().start();
    EXPECT_EQ(coroutines.back().send(1), 1 + i);
  }
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(coroutines[static_cast<std::size_t>(i)].send(10), 10 + i);
  }
  coroutines.erase(coroutines.begin(), coroutines.begin() + 50);
  EXPECT_EQ(frames.live(), 50);
  EXPECT_EQ(coroutines.front().send(0), 50);
}

TEST_F(Relocation, ADescriptionHoldingCoroutinesCanBeMovedBeforeItIsOpened) {
  std::vector<int> seen;
  auto chain = relay<int>(scopes, frames.enter()) | fans_out<int>(scopes, frames.enter(), 2) |
               recorder<int>(scopes, frames.enter(), seen);
  std::vector<decltype(chain)> chains;
  chains.push_back(std::move(chain));
  chains.reserve(64);  // relocates the chain, and the coroutine objects inside it
  auto p = coflow::open<int>(std::move(chains.front()));
  p.send(3);
  EXPECT_EQ(p.close(), 2);
  EXPECT_EQ(seen, (std::vector{3, 3}));
}

TEST_F(Relocation, CountedValuesInFlightAreNeitherLostNorDuplicatedByMoves) {
  using value = coflow::test_support::counted<struct relocation_values>;
  value::reset();
  std::vector<int> seen;
  {
    using pipeline_t = decltype(coflow::open<value>(relay<value>(scopes, frames.enter()) |
                                                    recorder<value>(scopes, frames.enter(), seen)));
    std::vector<pipeline_t> pipelines;
    for (int i = 0; i < 40; ++i) {
      pipelines.push_back(coflow::open<value>(relay<value>(scopes, frames.enter(), never,
                                                           /*flush=*/1000 + i) |
                                              recorder<value>(scopes, frames.enter(), seen)));
      pipelines.back().send(value(i));
    }
    for (auto& p : pipelines) EXPECT_EQ(p.close(), 2);
  }
  EXPECT_EQ(seen.size(), 80u);
  EXPECT_EQ(value::stats().live(), 0);
  EXPECT_EQ(value::stats().bad_destructions, 0);
  EXPECT_EQ(value::stats().bad_reads, 0);
}

}  // namespace
