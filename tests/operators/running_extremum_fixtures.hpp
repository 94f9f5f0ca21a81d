// Fixtures shared by the tests of ops::maximize and ops::minimize: values of each ordered type
// made from ints, value types with unusual comparisons, and RunningExtremum, the typed tests
// whose checks do not depend on which end the stage keeps. A test file instantiates them for
// its stage:
//
//   namespace coflow::extremum_testing {
//   INSTANTIATE_TYPED_TEST_SUITE_P(Maximize, RunningExtremum, coflow::ops::maximize_stage);
//   }
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <compare>
#include <concepts>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "operators/last.hpp"
#include "operators/to_vector.hpp"
#include "operators/transform.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/run.hpp"

namespace coflow::extremum_testing {

/// OrderedTypes are the value types of the typed tests; make<T>(n) is n as a T.
using OrderedTypes = ::testing::Types<int, double, std::string>;

template <class T>
T make(int n) {
  if constexpr (std::same_as<T, std::string>) {
    return std::to_string(n);  // one digit each: string order matches number order
  } else {
    return static_cast<T>(n);
  }
}

template <class T>
std::vector<T> make_all(std::initializer_list<int> ns) {
  std::vector<T> out;
  for (int n : ns) out.push_back(make<T>(n));
  return out;
}

// Equal keys, different tags: equality here is equivalence of keys.
struct tagged {
  int key;
  char tag;
  friend bool operator==(const tagged& a, const tagged& b) { return a.key == b.key; }
  friend auto operator<=>(const tagged& a, const tagged& b) { return a.key <=> b.key; }
};
static_assert(std::totally_ordered<tagged>);

// A value whose comparison throws once the stream reaches a poisoned value.
struct touchy {
  int value;
  bool operator==(const touchy&) const = default;
  std::strong_ordering operator<=>(const touchy& other) const {
    if (value < 0 || other.value < 0) throw std::domain_error("negative reading");
    return value <=> other.value;
  }
};
static_assert(std::totally_ordered<touchy>);

// A type with no default constructor: the stage's state starts empty, not default-built.
struct no_default {
  explicit no_default(int v) : value(v) {}
  int value;
  friend auto operator<=>(const no_default&, const no_default&) = default;
};

// --- Checks for either stage (TypeParam: maximize_stage or minimize_stage) --------------------

template <class Stage>
class RunningExtremum : public ::testing::Test {};
TYPED_TEST_SUITE_P(RunningExtremum);

TYPED_TEST_P(RunningExtremum, PropagatesALeadingNaN) {
  const auto out = coflow::run(std::vector{std::numeric_limits<double>::quiet_NaN(), 1.0},
                               TypeParam{} | coflow::sinks::to_vector());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(std::isnan(out[0]));
  EXPECT_TRUE(std::isnan(out[1]));
}

TYPED_TEST_P(RunningExtremum, PropagatesNaNForFloat) {
  const float fnan = std::numeric_limits<float>::quiet_NaN();
  const auto out =
      coflow::run(std::vector<float>{2.0f, fnan, 1.0f}, TypeParam{} | coflow::sinks::last());
  ASSERT_TRUE(out.has_value());
  EXPECT_TRUE(std::isnan(*out));
}

TYPED_TEST_P(RunningExtremum, LetsAThrowingComparisonReachTheCaller) {
  auto p = coflow::open<touchy>(TypeParam{} | coflow::sinks::to_vector());
  p.send(touchy{4});
  EXPECT_THROW(p.send(touchy{-1}), std::domain_error);
  EXPECT_TRUE(p.done());
}

TYPED_TEST_P(RunningExtremum, LetsAnUpstreamExceptionReachTheCaller) {
  auto p = coflow::ops::transform([](int x) {
             if (x == 2) throw std::runtime_error("bad reading");
             return x;
           }) |
           TypeParam{} | coflow::sinks::last();
  EXPECT_THROW((void)coflow::run(std::vector{1, 2, 3}, p), std::runtime_error);
}

REGISTER_TYPED_TEST_SUITE_P(RunningExtremum, PropagatesALeadingNaN, PropagatesNaNForFloat,
                            LetsAThrowingComparisonReachTheCaller,
                            LetsAnUpstreamExceptionReachTheCaller);

}  // namespace coflow::extremum_testing
