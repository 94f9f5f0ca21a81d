// Reliability: a tee whose k-th branch throws. operators/tee.hpp documents the delivery: the
// exception propagates at once, branches before k received the value, branches after k did
// not; a branch throwing while finishing leaves the later branches unfinished, and every frame
// is destroyed with the pipeline.
#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <vector>

#include "operators/tee.hpp"
#include "operators/to_vector.hpp"
#include "pipeline/compose.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/run.hpp"
#include "tests/reliability/fault_stages.hpp"
#include "tests/support/counted.hpp"
#include "tests/support/frame_counter.hpp"

namespace {

namespace sinks = coflow::sinks;
using coflow::reliability::never;
using coflow::reliability::recorder;
using coflow::reliability::relay;
using coflow::reliability::stage_error;
using coflow::test_support::frame_counter;

using value = coflow::test_support::counted<struct tee_fault_values>;

class TeeFault : public ::testing::Test {
 protected:
  void SetUp() override { value::reset(); }
  void TearDown() override {
    EXPECT_TRUE(frames.balanced()) << frames.live() << " frame(s) leaked";
    EXPECT_TRUE(scopes.balanced()) << scopes.live() << " body scope(s) never ended";
    EXPECT_EQ(value::stats().live(), 0) << "a value leaked";
    EXPECT_EQ(value::stats().bad_destructions, 0);
    EXPECT_EQ(value::stats().bad_reads, 0);
  }

  frame_counter frames;
  frame_counter scopes;
};

TEST_F(TeeFault, TheBranchesBeforeTheOneThatThrewGotTheValueAndTheLaterOnesDidNot) {
  // Each position of the failing branch in a four-branch tee.
  for (std::size_t k = 0; k < 4; ++k) {
    std::array<std::vector<int>, 4> seen;
    auto at = [k](std::size_t i) { return i == k ? 3 : never; };
    {
      auto p =
          coflow::open<value>(sinks::tee(recorder<value>(scopes, frames.enter(), seen[0], at(0)),
                                         relay<value>(scopes, frames.enter(), at(1)) |
                                             recorder<value>(scopes, frames.enter(), seen[1]),
                                         recorder<value>(scopes, frames.enter(), seen[2], at(2)),
                                         recorder<value>(scopes, frames.enter(), seen[3], at(3))));
      p.send(value(1));
      p.send(value(2));
      EXPECT_THROW(p.send(value(3)), stage_error) << "branch " << k;
      EXPECT_TRUE(p.done());
    }
    for (std::size_t i = 0; i < 4; ++i) {
      const std::vector<int> expected = i < k ? std::vector{1, 2, 3} : std::vector{1, 2};
      EXPECT_EQ(seen[i], expected) << "branch " << i << " when branch " << k << " throws";
    }
    EXPECT_EQ(frames.live(), 0) << "branch " << k;
  }
}

TEST_F(TeeFault, ABranchThrowingWhileFinishingLeavesTheLaterBranchesUnfinished) {
  std::vector<int> first;
  std::vector<int> third;
  {
    auto p = coflow::open<value>(sinks::tee(
        recorder<value>(scopes, frames.enter(), first),
        relay<value>(scopes, frames.enter(), never, /*flush=*/9, /*throw_at_close=*/true) |
            sinks::to_vector(),
        recorder<value>(scopes, frames.enter(), third)));
    p.send(value(1));
    EXPECT_THROW((void)p.close(), stage_error);
    EXPECT_TRUE(p.done());
    EXPECT_EQ(scopes.live(), 1) << "the first branch finished, the third is still waiting";
  }
  EXPECT_EQ(first, (std::vector{1}));
  EXPECT_EQ(third, (std::vector{1}));
}

TEST_F(TeeFault, RunThroughAFailingTeeDestroysEveryBranch) {
  std::vector<value> source;
  for (int i = 0; i < 6; ++i) source.emplace_back(i);
  std::vector<int> seen;
  EXPECT_THROW(
      (void)coflow::run(
          source, sinks::tee(sinks::to_vector(), recorder<value>(scopes, frames.enter(), seen, 4),
                             relay<value>(scopes, frames.enter()) | sinks::to_vector())),
      stage_error);
  EXPECT_EQ(seen, (std::vector{0, 1, 2, 3}));
  EXPECT_EQ(frames.live(), 0);
  EXPECT_EQ(value::stats().live(), 6) << "only the source is left";
}

}  // namespace
