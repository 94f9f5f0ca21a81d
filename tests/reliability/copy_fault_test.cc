// Reliability: a value whose copy throws on the way in. coroutine::send and pipeline::send
// take their argument by value, so the copy is made at the call site, before the coroutine or
// pipeline is touched: the failure leaves it exactly as it was, ready for the next value. A
// copy that a stage makes itself (run() converting the range's elements, tee copying for its
// branches) is a stage failure like any other.
#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "operators/tee.hpp"
#include "operators/transform.hpp"
#include "pipeline/compose.hpp"
#include "pipeline/coroutine.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/receive.hpp"
#include "pipeline/run.hpp"
#include "pipeline/status.hpp"
#include "tests/support/frame_counter.hpp"
#include "tests/support/throwing_copy.hpp"

namespace {

namespace ops = coflow::ops;
using coflow::test_support::copy_fault;
using coflow::test_support::frame_counter;
using coflow::test_support::injected_fault;
using coflow::test_support::throwing_copy;

// Sums the values it receives and replies with the running total; moves, never copies.
coflow::coroutine<throwing_copy, int, int> totaller(frame_counter& scopes, frame_counter::token) {
  auto alive = scopes.enter();
  int total = 0;
  std::optional<int> reply;
  while (auto v = co_yield reply) reply = total += v->value();
  co_return total;
}

// A sink that records the values it takes (by moving them into `kept`).
coflow::consumer<throwing_copy> keeper(frame_counter& scopes, frame_counter::token,
                                       std::vector<int>& kept) {
  auto alive = scopes.enter();
  while (auto v = co_yield coflow::receive) kept.push_back(v->value());
}

class CopyFault : public ::testing::Test {
 protected:
  void TearDown() override {
    EXPECT_TRUE(frames.balanced()) << frames.live() << " frame(s) leaked";
    EXPECT_TRUE(scopes.balanced()) << scopes.live() << " body scope(s) never ended";
    EXPECT_EQ(fault.live(), 0) << "a value leaked";
  }

  copy_fault fault;
  frame_counter frames;
  frame_counter scopes;
};

TEST_F(CopyFault, AFailedCopyIntoCoroutineSendLeavesTheCoroutineAsItWas) {
  {
    auto c = totaller(scopes, frames.enter());
    c.start();
    throwing_copy one(1, fault);
    throwing_copy ten(10, fault);
    EXPECT_EQ(c.send(one), 1);
    fault.arm(1);
    EXPECT_THROW((void)c.send(ten), injected_fault);
    // Untouched: still suspended at its receive point, the total unchanged.
    EXPECT_EQ(c.status(), coflow::status::suspended);
    EXPECT_TRUE(c.receiving());
    EXPECT_EQ(scopes.live(), 1);
    EXPECT_EQ(c.send(ten), 11) << "the next value is accepted";
    EXPECT_EQ(c.close(), 11);
    EXPECT_EQ(fault.throws(), 1);
    EXPECT_EQ(fault.live(), 2) << "the failed copy left nothing behind";
  }
}

TEST_F(CopyFault, AFailedCopyIntoPipelineSendLeavesThePipelineAsItWas) {
  std::vector<int> kept;
  {
    auto p = coflow::open<throwing_copy>(keeper(scopes, frames.enter(), kept));
    throwing_copy a(1, fault);
    throwing_copy b(2, fault);
    p.send(a);
    fault.arm(1);
    EXPECT_THROW(p.send(b), injected_fault);
    EXPECT_FALSE(p.done());
    EXPECT_EQ(p.status(), coflow::status::suspended);
    p.send(b);
    p.send(throwing_copy(3, fault));  // an rvalue is moved: no copy to fail
    p.close();
  }
  EXPECT_EQ(kept, (std::vector{1, 2, 3}));
}

TEST_F(CopyFault, EveryCopyFailingInTurnNeverDisturbsTheStream) {
  // Arm each attempt; the coroutine must see exactly the values whose copy succeeded.
  auto c = totaller(scopes, frames.enter());
  c.start();
  throwing_copy v(5, fault);
  int expected = 0;
  for (int i = 0; i < 20; ++i) {
    if (i % 3 == 0) fault.arm(1);
    try {
      const auto reply = c.send(v);
      expected += 5;
      EXPECT_EQ(reply, expected);
    } catch (const injected_fault&) {
      EXPECT_EQ(i % 3, 0);
    }
  }
  EXPECT_EQ(c.close(), expected);
  EXPECT_EQ(expected, 5 * 13);
  EXPECT_EQ(fault.throws(), 7);
}

TEST_F(CopyFault, ACopyFailingInsideRunEndsTheRunAndLeaksNothing) {
  std::vector<throwing_copy> source;
  for (int i = 1; i <= 5; ++i) source.emplace_back(i, fault);
  std::vector<int> kept;
  fault.arm(3);  // run() copies each element of an lvalue range: the third copy fails
  EXPECT_THROW(coflow::run(source, keeper(scopes, frames.enter(), kept)), injected_fault);
  EXPECT_EQ(kept, (std::vector{1, 2}));
  EXPECT_EQ(frames.live(), 0);
  EXPECT_EQ(fault.live(), 5) << "only the source is left";
}

TEST_F(CopyFault, ACopyFailingInsideAStageIsAStageFailure) {
  // The transform copies its argument (it takes a const reference and returns a copy).
  auto copy_it = [](const throwing_copy& v) { return throwing_copy(v); };
  std::vector<int> kept;
  {
    auto p =
        coflow::open<throwing_copy>(ops::transform(copy_it) | keeper(scopes, frames.enter(), kept));
    p.send(throwing_copy(1, fault));
    fault.arm(1);
    EXPECT_THROW(p.send(throwing_copy(2, fault)), injected_fault);
    EXPECT_TRUE(p.done()) << "a failure inside a stage ends the pipeline";
  }
  EXPECT_EQ(kept, (std::vector{1}));
}

TEST_F(CopyFault, TeeDeliversToTheBranchesBeforeTheCopyThatFailed) {
  std::vector<int> first;
  std::vector<int> second;
  std::vector<int> third;
  {
    auto p = coflow::open<throwing_copy>(coflow::sinks::tee(keeper(scopes, frames.enter(), first),
                                                            keeper(scopes, frames.enter(), second),
                                                            keeper(scopes, frames.enter(), third)));
    p.send(throwing_copy(1, fault));
    // tee copies the value for branches 0 and 1 and moves it into branch 2. The second copy
    // (branch 1's) fails: branch 0 has the value, branches 1 and 2 do not.
    fault.arm(2);
    EXPECT_THROW(p.send(throwing_copy(2, fault)), injected_fault);
    EXPECT_TRUE(p.done());
  }
  EXPECT_EQ(first, (std::vector{1, 2}));
  EXPECT_EQ(second, (std::vector{1}));
  EXPECT_EQ(third, (std::vector{1}));
}

}  // namespace
