// The throughput suite's main: counts allocations, registers one benchmark per variant, and
// runs one variant once, outside the benchmark framework, for callgrind.
//
//   throughput [--size=N] [benchmark flags]        all benchmarks, N values each (default 2^20)
//   COFLOW_BENCH_SMOKE=1 throughput ...            N = 1000: a quick run that checks every variant
//   throughput --callgrind list                    the variants: workload, name, reference
//   throughput --callgrind <workload> <variant> N  run one variant once at size N, print its answer
//
// Each benchmark first checks its variant's answer against its reference (the hand loop) and
// counts the variant's allocations at two sizes; either failure is a SkipWithError, which the
// benchmark output reports as "ERROR OCCURRED".
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "benchmarks/harness.hpp"

namespace {

std::atomic<std::uint64_t> allocations{0};

void* counted_allocation(std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (size == 0) size = 1;
  if (void* p = std::malloc(size)) return p;
  throw std::bad_alloc();
}

void* counted_aligned_allocation(std::size_t size, std::align_val_t align) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  const auto alignment = static_cast<std::size_t>(align);
  // aligned_alloc wants a size that is a multiple of the alignment.
  const std::size_t rounded =
      (std::max<std::size_t>(size, 1) + alignment - 1) / alignment * alignment;
  if (void* p = std::aligned_alloc(alignment, rounded)) return p;
  throw std::bad_alloc();
}

}  // namespace

// The replaceable global allocation functions, all of them, so that every allocation is counted
// and every block is freed by the allocator that made it (a sanitizer runtime checks that).
void* operator new(std::size_t size) { return counted_allocation(size); }
void* operator new[](std::size_t size) { return counted_allocation(size); }
void* operator new(std::size_t size, std::align_val_t align) {
  return counted_aligned_allocation(size, align);
}
void* operator new[](std::size_t size, std::align_val_t align) {
  return counted_aligned_allocation(size, align);
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return counted_allocation(size);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return counted_allocation(size);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void* operator new(std::size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  try {
    return counted_aligned_allocation(size, align);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  try {
    return counted_aligned_allocation(size, align);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }

namespace coflow_bench {

std::vector<variant>& variants() {
  static std::vector<variant> all;
  return all;
}

std::uint64_t allocation_count() noexcept { return allocations.load(std::memory_order_relaxed); }

std::span<const std::uint64_t> contiguous_readings(std::uint64_t n) {
  static std::vector<std::uint64_t> made;
  if (made.size() < n || made.empty()) {
    const std::uint64_t size = std::max<std::uint64_t>(n, std::uint64_t{1} << 20);
    made.clear();
    made.reserve(size);
    for (std::uint64_t i = 0; i < size; ++i) made.push_back(reading(i));
  }
  return std::span<const std::uint64_t>(made).first(n);
}

namespace {

// Workloads in the order the report lists them; the stages_N family by N.
int workload_rank(const std::string& workload) {
  if (workload == "averager") return 0;
  if (workload == "stateless") return 1;
  if (workload == "instrumented") return 2;
  if (workload.starts_with("stages_")) return 100 + std::atoi(workload.c_str() + 7);
  if (workload == "fan_out") return 1000;
  if (workload == "stream_stats") return 1001;
  return 2000;
}

const variant* find_variant(std::string_view workload, std::string_view name) {
  for (const variant& v : variants()) {
    if (v.workload == workload && v.name == name) return &v;
  }
  return nullptr;
}

std::string to_string(const answer& a) {
  std::string s;
  for (double x : a) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%s%.17g", s.empty() ? "" : " ", x);
    s += buf;
  }
  return s;
}

// The hand loops add plainly and run Welford on raw values; coflow's sum, averager, variance
// and stddev are compensated and shifted (operators/moments.hpp), so the answers agree to
// rounding (1e-12 relative), not bit for bit.
bool same_answer(const answer& got, const answer& want) {
  if (got.size() != want.size()) return false;
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (got[i] == want[i] || (std::isnan(got[i]) && std::isnan(want[i]))) continue;
    if (!(std::fabs(got[i] - want[i]) <= 1e-12 * std::fabs(want[i]))) return false;
  }
  return true;
}

// Allocations per value: the growth of the allocation count between two runs at different
// sizes, so that allocations made once per run (coroutine frames, std::function targets) cancel.
double allocations_per_value(const variant& v) {
  constexpr std::uint64_t small = 1000;
  constexpr std::uint64_t large = 5000;
  // A first, uncounted run makes the inputs that are made once (contiguous_readings).
  benchmark::DoNotOptimize(v.run(small));
  const std::uint64_t before = allocation_count();
  benchmark::DoNotOptimize(v.run(small));
  const std::uint64_t middle = allocation_count();
  benchmark::DoNotOptimize(v.run(large));
  const std::uint64_t after = allocation_count();
  const auto growth =
      static_cast<std::int64_t>(after - middle) - static_cast<std::int64_t>(middle - before);
  return static_cast<double>(growth) / static_cast<double>(large - small);
}

void run_variant(benchmark::State& state, const variant& v) {
  const auto n = static_cast<std::uint64_t>(state.range(0));
  const variant* reference = find_variant(v.workload, v.reference);
  if (reference == nullptr) {
    state.SkipWithError(("no reference variant " + v.reference).c_str());
    return;
  }
  const answer want = reference->run(n);
  const answer got = v.run(n);
  if (!same_answer(got, want)) {
    state.SkipWithError(
        ("answer " + to_string(got) + " differs from " + v.reference + "'s " + to_string(want))
            .c_str());
    return;
  }
  const double allocs = allocations_per_value(v);
  state.counters["allocs_per_value"] = allocs;
  if (v.stages > 0) state.counters["stages"] = v.stages;
  if (v.coflow && allocs != 0) {
    state.SkipWithError("a coflow variant allocates per value");
    return;
  }

  for (auto _ : state) {
    answer result = v.run(n);
    benchmark::DoNotOptimize(result);
  }

  const auto values = static_cast<std::int64_t>(n);
  state.SetItemsProcessed(values * static_cast<std::int64_t>(state.iterations()));
  // (n per iteration / cpu seconds), inverted: cpu seconds per value, printed as e.g. "4.3ns".
  state.counters["time_per_value"] =
      benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate |
                                                     benchmark::Counter::kInvert);
}

// Puts the variants in report order; each workload file registered its own in order already.
void sort_variants() {
  std::stable_sort(variants().begin(), variants().end(), [](const variant& a, const variant& b) {
    return workload_rank(a.workload) < workload_rank(b.workload);
  });
}

void register_benchmarks(std::uint64_t n) {
  for (const variant& v : variants()) {
    const std::string name = v.workload + "/" + v.name;
    benchmark::RegisterBenchmark(name.c_str(),
                                 [&v](benchmark::State& state) { run_variant(state, v); })
        ->Arg(static_cast<std::int64_t>(n))
        ->Unit(benchmark::kMillisecond);
  }
}

// --size=N wins, then COFLOW_BENCH_SMOKE=1 (N = 1000), then 2^20. Removes --size from argv.
std::uint64_t take_size(int& argc, char** argv) {
  std::uint64_t n = 1u << 20;
  if (const char* smoke = std::getenv("COFLOW_BENCH_SMOKE");
      smoke && std::strcmp(smoke, "1") == 0) {
    n = 1000;
  }
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--size=", 7) == 0) {
      n = std::strtoull(argv[i] + 7, nullptr, 10);
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  return n;
}

int callgrind_main(int argc, char** argv) {
  if (argc == 3 && std::string_view(argv[2]) == "list") {
    for (const variant& v : variants()) {
      std::printf("%s %s %s\n", v.workload.c_str(), v.name.c_str(), v.reference.c_str());
    }
    return 0;
  }
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s --callgrind list | <workload> <variant> <n>\n", argv[0]);
    return 2;
  }
  const variant* v = find_variant(argv[2], argv[3]);
  if (v == nullptr) {
    std::fprintf(stderr, "no variant %s/%s\n", argv[2], argv[3]);
    return 2;
  }
  const answer a = v->run(std::strtoull(argv[4], nullptr, 10));
  std::printf("%s\n", to_string(a).c_str());
  return 0;
}

}  // namespace

}  // namespace coflow_bench

int main(int argc, char** argv) {
  coflow_bench::sort_variants();
  if (argc >= 2 && std::string_view(argv[1]) == "--callgrind") {
    return coflow_bench::callgrind_main(argc, argv);
  }
  const std::uint64_t n = coflow_bench::take_size(argc, argv);
  coflow_bench::register_benchmarks(n);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
