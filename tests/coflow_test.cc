// The umbrella header alone is enough for the examples in DESIGN.md and the README.
#include "coflow.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <vector>

namespace {

coflow::coroutine<double, double> averager() {
  double total = 0;
  long count = 0;
  std::optional<double> average;
  while (auto term = co_yield average) {
    total += *term;
    average = total / static_cast<double>(++count);
  }
}

TEST(Coflow, RunsTheDesignDocumentsPipelineFromTheUmbrellaHeader) {
  std::vector<double> readings = {212.0, -1000.0, 32.0, 122.0, 1e9};
  auto is_valid = [](double f) { return f > -459.67 && f < 1000.0; };
  auto to_celsius = [](double f) { return (f - 32.0) * 5.0 / 9.0; };
  auto p = coflow::ops::filter(is_valid) | coflow::ops::transform(to_celsius) |
           coflow::ops::averager() | coflow::sinks::last();
  std::optional<double> mean = coflow::run(readings, p);
  ASSERT_TRUE(mean.has_value());
  EXPECT_NEAR(*mean, (100.0 + 0.0 + 50.0) / 3.0, 1e-12);
}

TEST(Coflow, RunsTheReadmesTaste) {
  auto avg = averager();
  EXPECT_FALSE(avg.start().has_value());
  EXPECT_EQ(avg.send(10), 10.0);
  EXPECT_EQ(avg.send(20), 15.0);
  std::vector<double> readings = {1.0, std::nan(""), 3.0};
  auto is_valid = [](double x) { return !std::isnan(x); };
  std::optional<double> mean =
      coflow::run(readings, coflow::ops::filter(is_valid) | averager() | coflow::sinks::last());
  EXPECT_EQ(mean, 2.0);
}

}  // namespace
