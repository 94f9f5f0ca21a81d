// coflow/tests/support/frame_guard.hpp
//
// live_frames and frame_guard: a count of the coroutine bodies that are alive, for tests whose
// every body holds a frame_guard as a local; frame_checked_test is the fixture that resets the
// count before each test and fails the test if a frame outlived it.
//
//   coflow::coroutine<int, int> add_one() {
//     coflow::test_support::frame_guard guard;   // counts while the body's scope lives
//     std::optional<int> reply;
//     while (auto v = co_yield reply) reply = *v + 1;
//   }
//
//   class Stages : public coflow::test_support::frame_checked_test {};
//   TEST_F(Stages, FrameLivesWithThePipeline) {
//     auto p = coflow::open<int>(add_one() | coflow::sinks::to_vector());
//     EXPECT_EQ(coflow::test_support::live_frames, 1);
//   }   // TearDown: live_frames must be 0 again
//
// The guard counts from the body's first resume until its scope ends (the body returns, fails,
// or its suspended frame is destroyed). frame_counter.hpp is the stricter oracle of the
// reliability and fuzz tests (tokens that also catch a double destruction). One thread.
#pragma once

#include <gtest/gtest.h>

namespace coflow::test_support {

/// live_frames is the number of frame_guard objects alive.
inline int live_frames = 0;

/// frame_guard counts one live coroutine body while it exists.
struct frame_guard {
  frame_guard() { ++live_frames; }
  ~frame_guard() { --live_frames; }
  frame_guard(const frame_guard&) = delete;
  frame_guard& operator=(const frame_guard&) = delete;
};

/// frame_checked_test starts each test at live_frames == 0 and fails it if a frame outlived it.
class frame_checked_test : public ::testing::Test {
 protected:
  void SetUp() override { live_frames = 0; }
  void TearDown() override { EXPECT_EQ(live_frames, 0) << "a coroutine frame outlived the test"; }
};

}  // namespace coflow::test_support
