// The program every packaging consumer builds (tests/packaging/consumers.sh): it includes coflow
// the way a user does, runs a fused pipeline and a coroutine stage, and prints what it got, which
// the script compares with expected_output.txt.
#include <iostream>
#include <optional>
#include <vector>

#include "coflow.hpp"

// README's taste: Python's averager as a coroutine.
coflow::coroutine<double, double> averager() {
  double total = 0;
  long count = 0;
  std::optional<double> average;
  while (auto term = co_yield average) {
    total += *term;
    average = total / static_cast<double>(++count);
  }
}

int main() {
  std::cout << "coflow " << coflow::version_string << " (" << COFLOW_VERSION << ")\n";

  std::optional<double> mean =
      coflow::run(std::vector{1.0, 2.0, 3.0, 4.0}, coflow::ops::averager() | coflow::sinks::last());
  std::cout << "ops::averager: " << mean.value_or(-1) << '\n';

  auto avg = averager();
  avg.start();
  avg.send(10);
  std::cout << "coroutine averager: " << avg.send(20).value_or(-1) << '\n';

  std::optional<double> piped = coflow::run(
      std::vector{2.0, 4.0, 6.0, 8.0},
      coflow::ops::filter([](double x) { return x > 3; }) | averager() | coflow::sinks::last());
  std::cout << "filter | averager: " << piped.value_or(-1) << '\n';

  // A thread boundary and two workers: the package must bring the thread library along.
  auto total = coflow::run(
      std::vector{1, 2, 3, 4, 5, 6, 7, 8, 9, 10},
      coflow::ops::ordered_parallel(2, coflow::ops::transform([](int x) { return x * x; })) |
          coflow::ops::thread_boundary() | coflow::sinks::sum());
  std::cout << "ordered_parallel | thread_boundary | sum: " << total << '\n';
}
