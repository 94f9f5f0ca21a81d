// averager2: a coroutine that returns its result when the stream ends.
//
// Python:
//
//   from collections import namedtuple
//
//   Result = namedtuple('Result', 'count average')
//
//   def averager():
//       total = 0.0
//       count = 0
//       average = None
//       while True:
//           term = yield
//           if term is None:
//               break
//           total += term
//           count += 1
//           average = total / count
//       return Result(count, average)
//
//   def finish(coro):
//       try:
//           coro.send(None)
//       except StopIteration as exc:
//           return exc.value
//
//   coro_avg = averager()
//   next(coro_avg)
//   for term in [10, 20, 6, 14]:
//       coro_avg.send(term)
//   print(finish(coro_avg))
//
//   empty = averager()
//   next(empty)
//   print(finish(empty))
//
// Prints:
//
//   Result(count=4, average=12.5)
//   Result(count=0, average=None)
//
// In coflow, close() delivers end of stream (Python's `send(None)`) and returns the result
// that Python carries in StopIteration.value.
#include <iostream>
#include <optional>
#include <ostream>

#include "pipeline/coroutine.hpp"
#include "pipeline/receive.hpp"

struct result {
  long count = 0;
  std::optional<double> average;
};

// operator<< writes a result as Python prints the namedtuple.
std::ostream& operator<<(std::ostream& os, const result& r) {
  os << "Result(count=" << r.count << ", average=";
  if (r.average) {
    os << *r.average;
  } else {
    os << "None";
  }
  return os << ')';
}

coflow::consumer<double, result> averager() {
  double total = 0;
  long count = 0;
  std::optional<double> average;
  while (auto term = co_yield coflow::receive) {  // an empty optional: the stream ended
    total += *term;
    average = total / static_cast<double>(++count);
  }
  co_return result{count, average};
}

int main() {
  auto coro_avg = averager();
  coro_avg.start();
  for (double term : {10.0, 20.0, 6.0, 14.0}) coro_avg.send(term);
  std::cout << coro_avg.close() << '\n';

  auto empty = averager();
  empty.start();
  std::cout << empty.close() << '\n';
}
