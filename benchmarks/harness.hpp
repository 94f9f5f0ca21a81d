// coflow/benchmarks/harness.hpp
//
// The throughput suite's registry: each workload file registers its variants (the hand-written
// loop, range-v3, a std::function chain, Boost.Coroutine2 push_type, coflow) here, and
// throughput_main.cc turns every variant into a Google Benchmark, or runs one of them once for
// callgrind (`throughput --callgrind <workload> <variant> <n>`).
//
// A variant is a plain function of the input size n that computes its workload's answer. Before
// a variant is timed, its answer is compared with its reference (the hand loop of the same
// formula), and its allocations are counted at two sizes: a coflow variant whose allocation
// count grows with n fails the benchmark.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace coflow_bench {

/// answer is what a variant computes: up to four numbers, the unused ones zero. Integer sums
/// stay below 2^53, so they are exact as doubles.
using answer = std::array<double, 4>;

/// variant is one way of writing a workload.
struct variant {
  std::string workload;   // "averager", "stateless", "stages_4", "fan_out"
  std::string name;       // "hand", "range_v3", "std_function", "boost_push", "coflow", ...
  std::string reference;  // the variant of the same workload whose answer must be matched
  int stages;             // stages_N: N, the number of chained stages; 0 elsewhere
  bool coflow;            // a coflow variant: must not allocate per value
  answer (*run)(std::uint64_t n);
};

/// variants is every registered variant, in registration order.
std::vector<variant>& variants();

/// registrar adds a variant at static initialisation.
struct registrar {
  explicit registrar(variant v) { variants().push_back(std::move(v)); }
};

/// allocation_count is the number of calls of the global operator new so far.
std::uint64_t allocation_count() noexcept;

/// reading(i) is the workloads' input: a scrambled value in [0, 1000). Computed in 64-bit
/// unsigned arithmetic, the same in every variant. A function object rather than a function, so
/// that passing it to a view or an operator inlines it as the hand loop does.
inline constexpr auto reading = [](std::uint64_t i) noexcept -> std::uint64_t {
  return (i * 2654435761u) % 1000;
};

/// kept(x) is the averager's filter: readings divisible by 3 are dropped.
inline constexpr auto kept = [](std::uint64_t x) noexcept { return x % 3 != 0; };

/// welford is the running sample variance of the fan_out workload, written out as the library's
/// ops::variance computes it (Welford's update, clamped at 0), so that every variant agrees.
struct welford {
  void add(double x) {
    ++count;
    const double old_mean = mean;
    mean += (x - mean) / static_cast<double>(count);
    m2 += (x - old_mean) * (x - mean);
  }
  [[nodiscard]] double variance() const {
    const double v = m2 / static_cast<double>(count - 1);
    return v < 0 ? 0.0 : v;
  }
  std::uint64_t count = 0;
  double mean = 0;
  double m2 = 0;
};

/// generated<Fn> is the input range fn(0), fn(1), ..., fn(n - 1), computed as it is read: what
/// the coflow variants run over. (std::views::iota | std::views::transform would do, but clang
/// 14 rejects libstdc++ 12's iota_view, and range-v3's transform_view is not a std::ranges
/// range.)
template <class Fn>
class generated {
 public:
  using value_type = std::invoke_result_t<const Fn&, std::uint64_t>;

  class iterator {
   public:
    using value_type = generated::value_type;
    using difference_type = std::ptrdiff_t;

    iterator() = default;
    explicit iterator(std::uint64_t i) : i_(i) {}

    value_type operator*() const { return Fn{}(i_); }
    iterator& operator++() {
      ++i_;
      return *this;
    }
    iterator operator++(int) { return iterator(i_++); }
    bool operator==(const iterator&) const = default;

   private:
    std::uint64_t i_ = 0;
  };

  generated(std::uint64_t n, Fn) : n_(n) {}

  [[nodiscard]] iterator begin() const { return iterator(0); }
  [[nodiscard]] iterator end() const { return iterator(n_); }

 private:
  std::uint64_t n_;
};

/// contiguous_readings(n) is reading(0), ..., reading(n - 1) in memory: the input of the variants
/// that read a contiguous range (the batched path). The readings are made once, at least 2^20 of
/// them whatever n is, so that making them costs the same at every size up to that and cancels
/// in callgrind.sh's difference of two sizes.
std::span<const std::uint64_t> contiguous_readings(std::uint64_t n);

}  // namespace coflow_bench
