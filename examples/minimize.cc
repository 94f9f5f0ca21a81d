// minimize: a coroutine that answers each value with the smallest value seen so far.
//
// Python:
//
//   def minimize():
//       current = yield
//       while True:
//           value = yield current
//           current = min(value, current)
//
//   it = minimize()
//   next(it)
//   print(it.send(10))
//   print(it.send(4))
//   print(it.send(22))
//
// Prints:
//
//   10
//   4
//   4
#include <algorithm>
#include <iostream>

#include "pipeline/coroutine.hpp"
#include "pipeline/receive.hpp"

coflow::coroutine<int, int> minimize() {
  auto first = co_yield coflow::receive;
  if (!first) co_return;  // end of stream before any value
  int current = *first;
  while (auto value = co_yield current) current = std::min(*value, current);
}

int main() {
  auto it = minimize();
  it.start();  // Python: next(it)
  std::cout << *it.send(10) << '\n';
  std::cout << *it.send(4) << '\n';
  std::cout << *it.send(22) << '\n';
  it.close();
}
