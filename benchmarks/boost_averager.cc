// The Boost.Coroutine2 `push_type` variant of workload "averager", in a translation unit of its
// own.
//
// GCC's inliner limits how much a translation unit may grow, so the code of one library in a
// unit changes how much of another's gets inlined: beside the coflow variants, Boost's pull-side
// loop (pull_coroutine::iterator::increment_) stopped being inlined when coflow's headers grew,
// and beside the other workloads' Boost variants the averager's cost doubled in time. Each Boost
// variant is therefore compiled alone, as it would be in a user's program. The formulas are
// those of averager_benchmarks.cc, whose comment describes them.
#include <cstdint>

#include "benchmarks/boost_coroutine.hpp"
#include "benchmarks/harness.hpp"

namespace coflow_bench {
namespace {

using coro = boost::coroutines2::coroutine<std::uint64_t>;

// Workload "averager": the filter runs in the feeding loop, as coflow fuses it, so that Boost
// has one coroutine stage, as coflow has.
answer averager(std::uint64_t n) {
  double sum = 0;
  {
    coro::push_type averager([&sum](coro::pull_type& in) {
      double total = 0;
      std::uint64_t count = 0;
      for (std::uint64_t x : in) {
        total += static_cast<double>(x);
        ++count;
        sum += total / static_cast<double>(count);
      }
    });
    for (std::uint64_t i = 0; i < n; ++i) {
      const std::uint64_t x = reading(i);
      if (kept(x)) averager(x);
    }
  }
  return {sum};
}

const registrar registered({"averager", "boost_push", "hand", 0, false, averager});

}  // namespace
}  // namespace coflow_bench
