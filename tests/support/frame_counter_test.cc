// Tests for tests/support/frame_counter.hpp: tokens count live frames and body scopes.
#include "tests/support/frame_counter.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <utility>

#include "pipeline/coroutine.hpp"
#include "pipeline/receive.hpp"

namespace {

using coflow::test_support::frame_counter;

TEST(FrameCounter, CountsTokensWhileTheyLive) {
  frame_counter frames;
  {
    auto a = frames.enter();
    EXPECT_EQ(frames.live(), 1);
    {
      auto b = frames.enter();
      auto c = b;             // a copy counts too
      auto d = std::move(c);  // and so does a move, until both objects are gone
      EXPECT_EQ(frames.live(), 4);
    }
    EXPECT_EQ(frames.live(), 1);
    EXPECT_FALSE(frames.balanced());
  }
  EXPECT_EQ(frames.live(), 0);
  EXPECT_EQ(frames.entered(), 4);
  EXPECT_EQ(frames.exited(), 4);
  EXPECT_EQ(frames.peak(), 4);
  EXPECT_TRUE(frames.balanced());
}

coflow::coroutine<int, int> doubler(frame_counter& scopes, frame_counter::token) {
  auto alive = scopes.enter();
  while (auto v = co_yield coflow::receive) co_yield coflow::emit(*v * 2);
}

TEST(FrameCounter, ABodyTokenLivesWhileTheBodyRuns) {
  frame_counter scopes;
  frame_counter frames;
  {
    auto c = doubler(scopes, frames.enter());
    EXPECT_EQ(scopes.live(), 0) << "a created coroutine has not entered its body";
    EXPECT_EQ(frames.live(), 1) << "the parameter copy lives in the frame";
    c.start();
    EXPECT_EQ(scopes.live(), 1);
    EXPECT_EQ(c.send(21), 42);
    c.close();
    EXPECT_EQ(scopes.live(), 0) << "the body returned";
    EXPECT_EQ(frames.live(), 1) << "a finished frame lives until the object is destroyed";
  }
  EXPECT_TRUE(scopes.balanced());
  EXPECT_TRUE(frames.balanced());
}

TEST(FrameCounter, DestroyingASuspendedCoroutineEndsBothTokens) {
  frame_counter scopes;
  frame_counter frames;
  {
    auto c = doubler(scopes, frames.enter());
    c.start();
    EXPECT_EQ(c.send(1), 2);  // stopped at an emit point
    EXPECT_EQ(scopes.live(), 1);
  }
  EXPECT_TRUE(scopes.balanced());
  EXPECT_TRUE(frames.balanced());
}

}  // namespace
