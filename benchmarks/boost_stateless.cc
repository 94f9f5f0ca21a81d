// The Boost.Coroutine2 `push_type` variant of workload "stateless", in a translation unit of its
// own.
//
// GCC's inliner limits how much a translation unit may grow, so the code of one library in a
// unit changes how much of another's gets inlined: beside the coflow variants, Boost's pull-side
// loop (pull_coroutine::iterator::increment_) stopped being inlined when coflow's headers grew,
// and beside the other workloads' Boost variants the averager's cost doubled in time. Each Boost
// variant is therefore compiled alone, as it would be in a user's program. The formulas are
// those of stateless_benchmarks.cc, whose comment describes them.
#include <cstdint>

#include "benchmarks/boost_coroutine.hpp"
#include "benchmarks/harness.hpp"

namespace coflow_bench {
namespace {

using coro = boost::coroutines2::coroutine<std::uint64_t>;

// Workload "stateless": Boost has no fused stage, so the whole chain runs in one push_type.
answer stateless(std::uint64_t n) {
  std::uint64_t sum = 0;
  {
    coro::push_type chain([&sum, n](coro::pull_type& in) {
      std::uint64_t taken = 0;
      for (std::uint64_t i : in) {
        if (i % 3 == 0) continue;
        sum += reading(i);
        if (++taken == n) return;
      }
    });
    for (std::uint64_t i = 0; i < 2 * n && chain; ++i) chain(i);
  }
  return {static_cast<double>(sum)};
}

const registrar registered({"stateless", "boost_push", "hand", 0, false, stateless});

}  // namespace
}  // namespace coflow_bench
