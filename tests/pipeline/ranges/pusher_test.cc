#include "pipeline/ranges/pusher.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <vector>

#include "operators/filter.hpp"
#include "operators/take.hpp"
#include "operators/to_vector.hpp"
#include "operators/transform.hpp"
#include "pipeline/coroutine.hpp"
#include "pipeline/pipeline.hpp"

namespace {

using ::testing::ElementsAre;

coflow::consumer<int, long> summer() {
  long total = 0;
  while (auto value = co_yield coflow::receive) total += *value;
  co_return total;
}

using int_pipeline = decltype(coflow::open<int>(coflow::sinks::to_vector()));
static_assert(std::output_iterator<coflow::pusher_iterator<int_pipeline>, int>);
static_assert(std::output_iterator<coflow::pusher_iterator<coflow::consumer<int, long>>, int>);

TEST(Pusher, LetsStdRangesCopyDriveAPipeline) {
  std::vector<int> xs = {1, 2, 3, 4, 5, 6};
  auto p = coflow::open<int>(coflow::ops::filter([](int x) { return x % 2 == 0; }) |
                             coflow::ops::transform([](int x) { return x * 10; }) |
                             coflow::sinks::to_vector());
  std::ranges::copy(xs, coflow::pusher(p));
  EXPECT_THAT(p.close(), ElementsAre(20, 40, 60));
}

TEST(Pusher, LetsClassicAlgorithmsDriveAPipeline) {
  std::vector<int> xs = {1, 2, 3};
  auto p = coflow::open<int>(coflow::sinks::to_vector());
  std::transform(xs.begin(), xs.end(), coflow::pusher(p), [](int x) { return x * x; });
  std::fill_n(coflow::pusher(p), 2, 7);
  EXPECT_THAT(p.close(), ElementsAre(1, 4, 9, 7, 7));
}

TEST(Pusher, FeedsAStartedConsumerCoroutine) {
  auto sum = summer();
  sum.start();
  std::vector<int> xs(100);
  std::iota(xs.begin(), xs.end(), 1);
  std::ranges::copy(xs, coflow::pusher(sum));
  EXPECT_EQ(sum.close(), 5050);
}

TEST(Pusher, DropsValuesOnceThePipelineIsDone) {
  auto p = coflow::open<int>(coflow::ops::take(2) | coflow::sinks::to_vector());
  std::vector<int> xs = {5, 6, 7, 8};
  EXPECT_NO_THROW(std::ranges::copy(xs, coflow::pusher(p)));
  EXPECT_TRUE(p.done());
  EXPECT_THAT(p.close(), ElementsAre(5, 6));
}

TEST(Pusher, PropagatesAStageException) {
  auto p = coflow::open<int>(coflow::ops::transform([](int x) {
                               if (x == 2) throw std::invalid_argument("two");
                               return x;
                             }) |
                             coflow::sinks::to_vector());
  std::vector<int> xs = {1, 2, 3};
  EXPECT_THROW(std::ranges::copy(xs, coflow::pusher(p)), std::invalid_argument);
  EXPECT_TRUE(p.done());
}

TEST(Pusher, MovesMoveOnlyValuesIn) {
  auto p = coflow::open<std::unique_ptr<int>>(coflow::sinks::to_vector());
  std::vector<std::unique_ptr<int>> boxes;
  boxes.push_back(std::make_unique<int>(1));
  boxes.push_back(std::make_unique<int>(2));
  std::ranges::move(boxes, coflow::pusher(p));
  auto out = p.close();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(*out[1], 2);
  EXPECT_EQ(boxes[0], nullptr);
}

}  // namespace
