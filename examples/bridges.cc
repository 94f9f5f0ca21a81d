// bridges: every way between coflow's push side and the pull side of ranges.
//
//   1. a coflow::generator is a range:            fibonacci() | ranges::views::take(6)
//   2. any range is a source for a pipeline:      coflow::run(range, pipeline)
//   3. a push stage is a lazy range adapter:      range | coflow::views::through(stage)
//   4. STL algorithms drive a pipeline:           std::ranges::copy(xs, coflow::pusher(p))
#include <algorithm>
#include <iostream>
#include <optional>
#include <range/v3/range/conversion.hpp>
#include <range/v3/view/iota.hpp>
#include <range/v3/view/take.hpp>
#include <range/v3/view/transform.hpp>
#include <utility>
#include <vector>

#include "operators/filter.hpp"
#include "operators/take.hpp"
#include "operators/to_vector.hpp"
#include "pipeline/coroutine.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/ranges/generator.hpp"
#include "pipeline/ranges/pusher.hpp"
#include "pipeline/ranges/through.hpp"
#include "pipeline/run.hpp"

namespace {

coflow::generator<long> fibonacci() {
  long a = 1;
  long b = 2;
  for (;;) {
    co_yield a;
    a = std::exchange(b, a + b);
  }
}

// Python's averager: `term = yield average`.
coflow::coroutine<double, double> averager() {
  double total = 0;
  long count = 0;
  std::optional<double> average;
  while (auto term = co_yield average) {
    total += *term;
    average = total / static_cast<double>(++count);
  }
}

// A consumer that returns the sum of what it received.
coflow::consumer<long, long> summer() {
  long total = 0;
  while (auto value = co_yield coflow::receive) total += *value;
  co_return total;
}

void print(const char* label, const auto& values) {
  std::cout << label;
  for (const auto& v : values) std::cout << ' ' << v;
  std::cout << '\n';
}

}  // namespace

int main() {
  // 1. A generator is a range-v3 view.
  print("fibonacci:", fibonacci() | ranges::views::take(6) | ranges::to<std::vector>());

  // 2. An infinite generator feeds a pipeline; take(5) stops the source.
  auto is_even = [](long x) { return x % 2 == 0; };
  print("even fibonacci:",
        coflow::run(fibonacci(), coflow::ops::filter(is_even) | coflow::ops::take(5) |
                                     coflow::sinks::to_vector()));

  // 3. A push stage as a lazy view: the running means of 1, 2, 3, 4.
  auto to_double = [](int x) { return static_cast<double>(x); };
  print("running means:", ranges::views::iota(1, 5) | ranges::views::transform(to_double) |
                              coflow::views::through(averager()) | ranges::to<std::vector>());

  // 4. An STL algorithm drives a pipeline through an output iterator.
  std::vector<long> xs = {3, 1, 4, 1, 5, 9, 2, 6};
  auto sum = coflow::open(summer());
  std::ranges::copy(xs, coflow::pusher(sum));
  std::cout << "sum via pusher: " << sum.close() << '\n';
}
