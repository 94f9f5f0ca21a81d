// batches: a hot stage that takes a span of values per resume.
//
// The running averager of averager.cc, written as in Python, resumes once per value. Written
// with `co_yield coflow::receive_batch`, it resumes once per span: a pipeline fed from a
// contiguous range (a vector here) hands its values on in spans of up to coflow::max_batch_size,
// and the filter in front of it, told with coflow::lookahead that its predicate may see a whole
// span at once (it has no side effects and never throws), passes on the values it keeps as one
// span. Without lookahead a filter tests and passes on one value at a time, so that its
// predicate never runs on values past an early stop. Both averagers give the same means; the
// batched one answers each span with a span of means.
#include <cstddef>
#include <cstdint>
#include <iostream>
#include <optional>
#include <vector>

#include "operators/filter.hpp"
#include "operators/to_vector.hpp"
#include "pipeline/coroutine.hpp"
#include "pipeline/lookahead.hpp"
#include "pipeline/receive.hpp"
#include "pipeline/run.hpp"

namespace {

// One value per resume, as in Python: `while True: term = yield average; ...`.
coflow::coroutine<double, double> averager() {
  double total = 0;
  std::uint64_t count = 0;
  std::optional<double> average;
  while (auto term = co_yield average) {
    total += *term;
    average = total / static_cast<double>(++count);
  }
}

// One span per resume. `batches` counts the resumes that brought values.
coflow::coroutine<double, double> batched_averager(std::size_t& batches) {
  double total = 0;
  std::uint64_t count = 0;
  std::vector<double> means;
  auto batch = co_yield coflow::receive_batch;  // std::optional<std::span<const double>>
  while (batch) {
    ++batches;
    means.clear();
    for (double term : *batch) {
      total += term;
      means.push_back(total / static_cast<double>(++count));
    }
    batch = co_yield coflow::receive_batch(means);  // output the means, wait for the next span
  }
}

}  // namespace

int main() {
  std::vector<double> readings;
  for (std::uint64_t i = 0; i < 1000; ++i) {
    readings.push_back(static_cast<double>((i * 2654435761u) % 1000));
  }
  auto valid = [](double x) { return x < 900; };

  auto one_by_one =
      coflow::run(readings, coflow::ops::filter(valid) | averager() | coflow::sinks::to_vector());
  std::size_t batches = 0;
  auto batched = coflow::run(readings, coflow::ops::filter(valid, coflow::lookahead) |
                                           batched_averager(batches) | coflow::sinks::to_vector());

  std::cout << "values kept: " << batched.size() << '\n';
  std::cout << "final mean: " << batched.back() << '\n';
  std::cout << "same means as the one-by-one averager: " << (batched == one_by_one ? "yes" : "no")
            << '\n';
  std::cout << "resumes of the batched averager: " << batches << " (spans of up to "
            << coflow::max_batch_size << " readings)\n";

  // A value sent alone arrives as a batch of one, so the batched stage works everywhere.
  std::size_t single_batches = 0;
  auto avg = batched_averager(single_batches);
  avg.start();
  std::cout << "send(10) -> " << *avg.send(10) << ", send(20) -> " << *avg.send(20) << '\n';
  avg.close();
}
