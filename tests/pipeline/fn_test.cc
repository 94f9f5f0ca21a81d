#include "pipeline/fn.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "operators/filter.hpp"
#include "operators/sum.hpp"
#include "operators/to_vector.hpp"
#include "operators/transform.hpp"
#include "pipeline/run.hpp"

namespace {

bool is_odd(int x) noexcept { return x % 2 != 0; }
constexpr int twice(int x) { return 2 * x; }
int throws_on_three(int x) {
  if (x == 3) throw std::runtime_error("three");
  return x;
}

struct point {
  int x;
  int y;
  [[nodiscard]] int sum() const noexcept { return x + y; }
};

static_assert(std::is_empty_v<coflow::fn_t<is_odd>>);
static_assert(std::is_same_v<decltype(coflow::fn<is_odd>), const coflow::fn_t<is_odd>>);
static_assert(coflow::fn<twice>(21) == 42, "usable in constant expressions");
static_assert(std::is_nothrow_invocable_v<coflow::fn_t<is_odd>, int>);
static_assert(!std::is_nothrow_invocable_v<coflow::fn_t<throws_on_three>, int>);
static_assert(!std::is_invocable_v<coflow::fn_t<is_odd>, std::string>, "constrained like f");

TEST(Fn, FiltersAsTheFunctionPointerDoes) {
  const std::vector<int> xs = {1, 2, 3, 4, 5, 6, 7};
  const auto by_name = coflow::run(xs, coflow::ops::filter(is_odd) | coflow::sinks::to_vector());
  const auto wrapped =
      coflow::run(xs, coflow::ops::filter(coflow::fn<is_odd>) | coflow::sinks::to_vector());
  EXPECT_EQ(wrapped, (std::vector<int>{1, 3, 5, 7}));
  EXPECT_EQ(wrapped, by_name);
}

TEST(Fn, CallsMemberFunctionsAndReadsDataMembers) {
  const std::vector<point> ps = {{1, 2}, {3, 4}};
  EXPECT_EQ(
      coflow::run(ps, coflow::ops::transform(coflow::fn<&point::sum>) | coflow::sinks::to_vector()),
      (std::vector<int>{3, 7}));
  EXPECT_EQ(coflow::run(ps, coflow::ops::transform(coflow::fn<&point::y>) | coflow::sinks::sum()),
            6);
}

TEST(Fn, LetsTheFunctionsExceptionReachTheCaller) {
  const std::vector<int> xs = {1, 2, 3, 4};
  EXPECT_THROW((void)coflow::run(xs, coflow::ops::transform(coflow::fn<throws_on_three>) |
                                         coflow::sinks::to_vector()),
               std::runtime_error);
}

}  // namespace
