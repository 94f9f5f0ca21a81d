// The Boost.Coroutine2 `push_type` variant of workload "stages_D", in a translation unit of its
// own.
//
// GCC's inliner limits how much a translation unit may grow, so the code of one library in a
// unit changes how much of another's gets inlined: beside the coflow variants, Boost's pull-side
// loop (pull_coroutine::iterator::increment_) stopped being inlined when coflow's headers grew,
// and beside the other workloads' Boost variants the averager's cost doubled in time. Each Boost
// variant is therefore compiled alone, as it would be in a user's program. The formulas are
// those of stages_benchmarks.cc, whose comment describes them.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "benchmarks/boost_coroutine.hpp"
#include "benchmarks/harness.hpp"

namespace coflow_bench {
namespace {

using signed_coro = boost::coroutines2::coroutine<std::int64_t>;

// Workload "stages_D": D nested push_types; each pushes x + 1 into the next, the last adds to
// the sum.
template <int Depth>
answer stages(std::uint64_t n) {
  std::int64_t sum = 0;
  {
    std::vector<std::unique_ptr<signed_coro::push_type>> chain(Depth);
    chain[Depth - 1] = std::make_unique<signed_coro::push_type>([&sum](signed_coro::pull_type& in) {
      for (std::int64_t x : in) sum += x + 1;
    });
    for (int k = Depth - 2; k >= 0; --k) {
      signed_coro::push_type* next = chain[static_cast<std::size_t>(k) + 1].get();
      chain[static_cast<std::size_t>(k)] =
          std::make_unique<signed_coro::push_type>([next](signed_coro::pull_type& in) {
            for (std::int64_t x : in) (*next)(x + 1);
          });
    }
    signed_coro::push_type& head = *chain[0];
    for (std::uint64_t i = 0; i < n; ++i) head(static_cast<std::int64_t>(reading(i)));
  }
  return {static_cast<double>(sum)};
}

template <int Depth>
int register_stages() {
  registrar({"stages_" + std::to_string(Depth), "boost_push", "hand", Depth, false, stages<Depth>});
  return Depth;
}

const int registered[] = {register_stages<1>(), register_stages<2>(), register_stages<4>(),
                          register_stages<8>(), register_stages<16>()};

}  // namespace
}  // namespace coflow_bench
