// Generators: lazy sequences written as coroutines, and consumed as ranges.
//
// The Python they come from:
//
//   def fibonacci():                 def squares():
//       a, b = 1, 2                      for i in range(10):
//       while True:                          yield i * i
//           yield a
//           a, b = b, a + b
//
// Prints:
//   fibonacci: 1 2 3 5 8 13
//   squares (range-for): 0 1 4 9 16 25 36 49 64 81
//   squares (next): 0 1 4 9 16 25 36 49 64 81
#include <iostream>
#include <range/v3/range/conversion.hpp>
#include <range/v3/view/take.hpp>
#include <utility>
#include <vector>

#include "pipeline/ranges/generator.hpp"

coflow::generator<long> fibonacci() {
  long a = 1;
  long b = 2;
  for (;;) {
    co_yield a;
    a = std::exchange(b, a + b);  // a, b = b, a + b
  }
}

coflow::generator<int> squares() {
  for (int i = 0; i < 10; ++i) co_yield i* i;
}

int main() {
  // An infinite generator is fine: its body runs only as far as take(6) pulls it.
  const std::vector<long> first6 = fibonacci() | ranges::views::take(6) | ranges::to<std::vector>();
  std::cout << "fibonacci:";
  for (long x : first6) std::cout << ' ' << x;
  std::cout << '\n';

  std::cout << "squares (range-for):";
  for (int x : squares()) std::cout << ' ' << x;
  std::cout << '\n';

  // Python's next(): begin() runs the body to its first yield, ++it to the next one; the
  // iterator equals end() once the body has returned (Python's StopIteration).
  std::cout << "squares (next):";
  auto g = squares();
  auto it = g.begin();
  while (it != g.end()) {
    std::cout << ' ' << *it;
    ++it;
  }
  std::cout << '\n';
}
