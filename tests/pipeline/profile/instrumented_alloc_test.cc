// Allocation test for pipeline/instrumented.hpp: an instrumented pipeline allocates when it is
// made (the profile) and when it is bound (coroutine frames, as without instrumentation), and
// never per value, whether values are sampled or every value is timed. A binary of its own,
// because it replaces the global operator new and delete (tests/support/counting_new.hpp).
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "operators/averager.hpp"
#include "operators/filter.hpp"
#include "operators/sum.hpp"
#include "operators/transform.hpp"
#include "pipeline/coroutine.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/profile/instrumented.hpp"
#include "pipeline/profile/named.hpp"
#include "pipeline/receive.hpp"
#include "pipeline/run.hpp"
#include "tests/support/counting_new.hpp"

namespace {

using coflow::test_support::allocations;

namespace ops = coflow::ops;
namespace sinks = coflow::sinks;

coflow::coroutine<double, double> python_averager() {
  double total = 0;
  long count = 0;
  std::optional<double> average;
  while (auto term = co_yield average) {
    total += *term;
    average = total / static_cast<double>(++count);
  }
}

auto make_probe(std::uint64_t sample_every) {
  return coflow::instrumented(ops::filter([](int x) { return x % 3 != 0; }) |
                                  ops::transform([](int x) { return x * 2; }) |
                                  coflow::named("mean", ops::averager()) | sinks::sum(),
                              {.sample_every = sample_every});
}

class InstrumentedAllocation : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(InstrumentedAllocation, SendsDoNotAllocate) {
  auto probe = make_probe(GetParam());
  auto p = coflow::open<int>(probe);
  const std::size_t before = allocations;
  for (int i = 0; i < 100'000; ++i) p.send(i);
  (void)p.close();
  EXPECT_EQ(allocations, before) << "no allocation per value or at close";
  EXPECT_EQ(probe.profile().stages().front().values_in, 100'000u);
}

TEST_P(InstrumentedAllocation, ARunAllocatesTheSameWhateverItsLength) {
  auto probe = make_probe(GetParam());
  auto allocations_of_run = [&](int n) {
    auto p = coflow::open<int>(probe);  // binding and opening: a fixed number of allocations
    const std::size_t before = allocations;
    for (int i = 0; i < n; ++i) p.send(i);
    (void)p.close();
    return allocations - before;
  };
  EXPECT_EQ(allocations_of_run(1'000), allocations_of_run(200'000));
}

TEST_P(InstrumentedAllocation, ACoroutineStageAllocatesOnlyItsFrame) {
  const std::size_t before = allocations;
  auto probe = coflow::instrumented(python_averager() | sinks::sum(), {.sample_every = GetParam()});
  const std::size_t made = allocations;
  const double total = coflow::run(std::vector<double>(50'000, 2.0), std::move(probe));
  EXPECT_DOUBLE_EQ(total, 100'000.0);
  // The frame (made before instrumented() was called) and the vector; nothing per value.
  EXPECT_EQ(allocations - made, 1u) << "the input vector is the one allocation of the run";
  EXPECT_GT(made, before);
}

INSTANTIATE_TEST_SUITE_P(SampledAndEveryValue, InstrumentedAllocation,
                         ::testing::Values(std::uint64_t{64}, std::uint64_t{1}));

}  // namespace
