// The Boost.Coroutine2 `push_type` variant of workload "fan_out", in a translation unit of its own.
//
// GCC's inliner limits how much a translation unit may grow, so the code of one library in a
// unit changes how much of another's gets inlined: beside the coflow variants, Boost's pull-side
// loop (pull_coroutine::iterator::increment_) stopped being inlined when coflow's headers grew,
// and beside the other workloads' Boost variants the averager's cost doubled in time. Each Boost
// variant is therefore compiled alone, as it would be in a user's program. The formulas are
// those of fan_out_benchmarks.cc, whose comment describes them.
#include <cstdint>

#include "benchmarks/boost_coroutine.hpp"
#include "benchmarks/harness.hpp"

namespace coflow_bench {
namespace {

using coro = boost::coroutines2::coroutine<std::uint64_t>;

// Workload "fan_out": four push_types fed in turn.
answer fan_out(std::uint64_t n) {
  double mean_out = 0;
  std::uint64_t least_out = 0;
  std::uint64_t greatest_out = 0;
  double variance_out = 0;
  {
    coro::push_type mean([&mean_out](coro::pull_type& in) {
      double m = 0;
      std::uint64_t count = 0;
      for (std::uint64_t x : in) {
        ++count;
        m += (static_cast<double>(x) - m) / static_cast<double>(count);
        mean_out = m;
      }
    });
    coro::push_type least([&least_out](coro::pull_type& in) {
      bool seen = false;
      for (std::uint64_t x : in) {
        if (!seen || x < least_out) least_out = x;
        seen = true;
      }
    });
    coro::push_type greatest([&greatest_out](coro::pull_type& in) {
      bool seen = false;
      for (std::uint64_t x : in) {
        if (!seen || greatest_out < x) greatest_out = x;
        seen = true;
      }
    });
    coro::push_type variance([&variance_out](coro::pull_type& in) {
      welford w;
      for (std::uint64_t x : in) {
        w.add(static_cast<double>(x));
        if (w.count >= 2) variance_out = w.variance();
      }
    });
    for (std::uint64_t i = 0; i < n; ++i) {
      const std::uint64_t x = reading(i);
      mean(x);
      least(x);
      greatest(x);
      variance(x);
    }
  }
  return {mean_out, static_cast<double>(least_out), static_cast<double>(greatest_out),
          variance_out};
}

const registrar registered({"fan_out", "boost_push", "hand", 0, false, fan_out});

}  // namespace
}  // namespace coflow_bench
