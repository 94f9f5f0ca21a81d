// averager: a coroutine that answers each value with the running mean.
//
// Python:
//
//   def averager():
//       total = 0.0
//       count = 0
//       average = None
//       while True:
//           term = yield average
//           total += term
//           count += 1
//           average = total / count
//
//   coro_avg = averager()
//   print(next(coro_avg))
//   print(coro_avg.send(10))
//   print(coro_avg.send(20))
//   print(coro_avg.send(6))
//   coro_avg.close()
//
// Prints:
//
//   None
//   10.0
//   15.0
//   12.0
#include <iomanip>
#include <iostream>
#include <optional>

#include "pipeline/coroutine.hpp"

coflow::coroutine<double, double> averager() {
  double total = 0;
  long count = 0;
  std::optional<double> average;  // Python's None: the first reply is empty
  while (auto term = co_yield average) {
    total += *term;
    average = total / static_cast<double>(++count);
  }
}

// print writes a reply as Python's print does for these values: None, or a float with one
// decimal place.
void print(std::optional<double> reply) {
  if (reply) {
    std::cout << std::fixed << std::setprecision(1) << *reply << '\n';
  } else {
    std::cout << "None\n";
  }
}

int main() {
  auto coro_avg = averager();
  print(coro_avg.start());  // Python: next(coro_avg)
  print(coro_avg.send(10));
  print(coro_avg.send(20));
  print(coro_avg.send(6));
  coro_avg.close();
}
