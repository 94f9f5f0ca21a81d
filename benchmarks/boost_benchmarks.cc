// The Boost.Coroutine2 `push_type` variants of every workload, in a translation unit of their own.
//
// GCC's inliner limits how much a translation unit may grow, so the code of one library in a
// unit changes how much of another's gets inlined: with the coflow variants beside them, Boost's
// own pull-side loop (pull_coroutine::iterator::increment_) stopped being inlined when the coflow
// headers grew, and Boost's cost per switch rose from 97 to 181 instructions. Compiled apart,
// Boost's code no longer depends on coflow's. (It still depends on its neighbours here: the
// averager and stateless variants cost 80 and 155 instructions per value in a unit with coflow's
// code and 89 and 173 in this one; RESULTS.md reports this unit's.) The formulas are those of the
// workload files, whose comments describe them.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "benchmarks/boost_coroutine.hpp"
#include "benchmarks/harness.hpp"

namespace coflow_bench {
namespace {

using coro = boost::coroutines2::coroutine<std::uint64_t>;
using signed_coro = boost::coroutines2::coroutine<std::int64_t>;

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

template <int Depth>
int register_stages() {
  registrar({"stages_" + std::to_string(Depth), "boost_push", "hand", Depth, false, stages<Depth>});
  return Depth;
}

const registrar registered[] = {
    registrar({"averager", "boost_push", "hand", 0, false, averager}),
    registrar({"stateless", "boost_push", "hand", 0, false, stateless}),
    registrar({"fan_out", "boost_push", "hand", 0, false, fan_out}),
};
const int registered_stages[] = {register_stages<1>(), register_stages<2>(), register_stages<4>(),
                                 register_stages<8>(), register_stages<16>()};

}  // namespace
}  // namespace coflow_bench
