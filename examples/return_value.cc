// return_value: a coroutine that yields a value and then returns another.
//
// Python:
//
//   def coro():
//       yield 5
//       return 10
//
//   c = coro()
//   print(next(c))
//   try:
//       next(c)
//   except StopIteration as exc:
//       print(exc.value)
//
// Prints:
//
//   5
//   10
//
// In coflow, `co_yield 5` answers 5 and waits for the next value; close() ends the stream, the
// body runs on to `co_return 10`, and close() returns 10.
#include <iostream>

#include "pipeline/coroutine.hpp"

coflow::coroutine<int, int, int> coro() {
  co_yield 5;
  co_return 10;
}

int main() {
  auto c = coro();
  std::cout << *c.start() << '\n';
  std::cout << c.close() << '\n';
}
