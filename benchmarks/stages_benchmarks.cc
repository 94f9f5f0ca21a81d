// Workloads "stages_1" ... "stages_16": depth scaling, a chain of D stages that each add 1.
//
//   for i in [0, n): x = reading(i); D times x = x + 1; answer = the sum of x.
//
// The hand loop adds D at once (the limit). coflow chains D coroutine<int64_t, int64_t> stages,
// composed with `|` by a fold over an index_sequence; Boost nests D push_type coroutines
// (boost_stages.cc); the std::function variant chains D callbacks; range-v3 nests D
// views::transform; "bare_resume" resumes D bare C++20 coroutines in turn (the floor, see
// bare_coroutine.hpp), "least_protocol" the same with a state test and end of stream. So the growth
// from one depth to the next is the cost of one more stage.
#include <array>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <optional>
#include <range/v3/numeric/accumulate.hpp>
#include <range/v3/view/iota.hpp>
#include <range/v3/view/transform.hpp>
#include <string>
#include <utility>

#include "benchmarks/bare_coroutine.hpp"
#include "benchmarks/harness.hpp"
#include "operators/for_each.hpp"
#include "pipeline/coroutine.hpp"
#include "pipeline/run.hpp"

namespace coflow_bench {
namespace {

constexpr auto signed_reading = [](std::uint64_t i) noexcept {
  return static_cast<std::int64_t>(reading(i));
};
constexpr auto plus_one = [](std::int64_t x) noexcept { return x + 1; };

template <int Depth>
answer hand(std::uint64_t n) {
  std::int64_t sum = 0;
  for (std::uint64_t i = 0; i < n; ++i) sum += signed_reading(i) + Depth;
  return {static_cast<double>(sum)};
}

template <int Depth, class View>
auto nest_transforms(View view) {
  if constexpr (Depth == 0) {
    return view;
  } else {
    return nest_transforms<Depth - 1>(std::move(view) | ranges::views::transform(plus_one));
  }
}

template <int Depth>
answer range_v3(std::uint64_t n) {
  auto values = nest_transforms<Depth>(ranges::views::iota(std::uint64_t{0}, n) |
                                       ranges::views::transform(signed_reading));
  return {static_cast<double>(ranges::accumulate(values, std::int64_t{0}))};
}

template <int Depth>
answer std_function(std::uint64_t n) {
  std::int64_t sum = 0;
  // stages[k] adds one and calls stages[k + 1]; the last one calls the sink.
  std::array<std::function<void(std::int64_t)>, Depth + 1> stages;
  stages[Depth] = [&sum](std::int64_t x) { sum += x; };
  for (int k = Depth - 1; k >= 0; --k) {
    stages[static_cast<std::size_t>(k)] =
        [next = &stages[static_cast<std::size_t>(k) + 1]](std::int64_t x) { (*next)(x + 1); };
  }
  for (std::uint64_t i = 0; i < n; ++i) stages[0](signed_reading(i));
  return {static_cast<double>(sum)};
}

// The floor (bare_coroutine.hpp): D bare coroutines that add one, each resumed by the loop in
// turn, as in RESULTS.md's appendix.
using bare_add_one_stage = bare_stage<std::int64_t, std::int64_t>;

bare_add_one_stage bare_add_one(const bare_add_one_stage::handle* self) {
  auto& p = self->promise();
  for (;;) {
    co_await std::suspend_always{};
    p.out = *p.in + 1;
  }
}

// Written out rather than shared with least_protocol below: one driver template for both moved
// GCC 12's register allocation (the loop's counters spilled around each resume) and cost the
// floor 8 instructions a stage.
template <int Depth>
answer bare_resume(std::uint64_t n) {
  std::array<bare_add_one_stage::handle, Depth> stages;
  for (auto& h : stages) {
    h = bare_add_one(&h).coroutine;
    h.resume();  // to the first suspension
  }
  std::int64_t sum = 0;
  for (std::uint64_t i = 0; i < n; ++i) {
    std::int64_t x = signed_reading(i);
    for (auto& h : stages) {
      h.promise().in = &x;
      h.resume();
      x = h.promise().out;
    }
    sum += x;
  }
  for (auto& h : stages) h.destroy();
  return {static_cast<double>(sum)};
}

// The floor with the least protocol (bare_coroutine.hpp): a state test and end of stream.
bare_add_one_stage least_protocol_add_one(const bare_add_one_stage::handle* self) {
  auto& p = self->promise();
  while (const std::int64_t* x = co_await receive_point<bare_add_one_stage::promise_type>{p})
    p.out = *x + 1;
}

template <int Depth>
answer least_protocol(std::uint64_t n) {
  std::array<bare_add_one_stage::handle, Depth> stages;
  for (auto& h : stages) {
    h = least_protocol_add_one(&h).coroutine;
    h.resume();  // to its receive point
  }
  std::int64_t sum = 0;
  for (std::uint64_t i = 0; i < n; ++i) {
    std::int64_t x = signed_reading(i);
    for (auto& h : stages) {
      if (!least_protocol_driving::push(h, &x)) std::abort();
      x = h.promise().out;
    }
    sum += x;
  }
  for (auto& h : stages) {
    least_protocol_driving::push(h, static_cast<const std::int64_t*>(nullptr));  // end of stream
    h.destroy();
  }
  return {static_cast<double>(sum)};
}

// One coroutine stage: answers each value with the value plus one.
coflow::coroutine<std::int64_t, std::int64_t> add_one() {
  std::optional<std::int64_t> out;
  while (auto x = co_yield out) out = *x + 1;
}

// D add_one() stages, then a sink that adds up what comes out. The sink is a plain for_each, not
// sinks::sum(), whose overflow check on std::int64_t costs a call per value when GCC does not
// inline it (see RESULTS.md): the growth with D must be the stages' cost alone.
template <std::size_t... I, class Sink>
auto add_one_chain(std::index_sequence<I...>, Sink sink) {
  return (((void)I, add_one()) | ... | std::move(sink));
}

template <int Depth>
answer coflow_chain(std::uint64_t n) {
  std::int64_t sum = 0;
  coflow::run(generated(n, signed_reading),
              add_one_chain(std::make_index_sequence<Depth>{},
                            coflow::sinks::for_each([&sum](std::int64_t x) { sum += x; })));
  return {static_cast<double>(sum)};
}

template <int Depth>
int register_depth() {
  const std::string workload = "stages_" + std::to_string(Depth);
  registrar({workload, "hand", "hand", Depth, false, hand<Depth>});
  registrar({workload, "range_v3", "hand", Depth, false, range_v3<Depth>});
  registrar({workload, "std_function", "hand", Depth, false, std_function<Depth>});
  registrar({workload, "bare_resume", "hand", Depth, false, bare_resume<Depth>});
  registrar({workload, "least_protocol", "hand", Depth, false, least_protocol<Depth>});
  registrar({workload, "coflow", "hand", Depth, true, coflow_chain<Depth>});
  return Depth;
}

const int registered[] = {register_depth<1>(), register_depth<2>(), register_depth<4>(),
                          register_depth<8>(), register_depth<16>()};

}  // namespace
}  // namespace coflow_bench
