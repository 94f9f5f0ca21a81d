// Tests for operators/null.hpp.
#include "operators/null.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <range/v3/view/iota.hpp>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include "operators/take.hpp"
#include "operators/transform.hpp"
#include "pipeline/compose.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/run.hpp"
#include "tests/support/typed_values.hpp"

namespace {

namespace ops = coflow::ops;
namespace sinks = coflow::sinks;
using coflow::test_support::key_of;
using coflow::test_support::make_value;
using coflow::test_support::values;

static_assert(coflow::sink_description<sinks::null_sink>);
static_assert(std::is_void_v<decltype(coflow::run(std::vector{1}, sinks::null()))>);

template <class T>
class NullTyped : public ::testing::Test {};
TYPED_TEST_SUITE(NullTyped, coflow::test_support::value_types);

TYPED_TEST(NullTyped, TakesEveryValueAndIsNeverDone) {
  auto p = coflow::open<TypeParam>(sinks::null());
  for (int i = 0; i < 100; ++i) {
    p.send(make_value<TypeParam>(i));
    ASSERT_FALSE(p.done()) << "after value " << i;
  }
  p.close();
  EXPECT_TRUE(p.done());
}

TYPED_TEST(NullTyped, RunsUpstreamStagesForTheirSideEffects) {
  int total = 0;
  coflow::run(values<TypeParam>(0, 5), ops::transform([&](TypeParam v) {
                                         total += key_of(v);
                                         return v;
                                       }) | sinks::null());
  EXPECT_EQ(total, 10);
}

TEST(Null, FedByARangeV3View) {
  int seen = 0;
  coflow::run(ranges::views::iota(1, 4), ops::transform([&](int x) {
                                           seen += x;
                                           return x;
                                         }) | sinks::null());
  EXPECT_EQ(seen, 6);
}

TEST(Null, DoesNotStopAnInfiniteSourceButATakeBeforeItDoes) {
  int seen = 0;
  coflow::run(ranges::views::iota(0), ops::take(4) | ops::transform([&](int x) {
                                        ++seen;
                                        return x;
                                      }) | sinks::null());
  EXPECT_EQ(seen, 4);
}

TEST(Null, ExceptionUpstreamReachesTheCaller) {
  auto p = ops::transform([](int x) {
             if (x == 2) throw std::runtime_error("two");
             return x;
           }) |
           sinks::null();
  EXPECT_THROW(coflow::run(std::vector{1, 2}, p), std::runtime_error);
}

}  // namespace
