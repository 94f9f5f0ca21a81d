// states: a coroutine's life cycle, as inspect.getgeneratorstate reports it.
//
// Python (printing coflow's names for inspect's states):
//
//   from inspect import getgeneratorstate
//
//   NAMES = {'GEN_CREATED': 'created', 'GEN_RUNNING': 'running',
//            'GEN_SUSPENDED': 'suspended', 'GEN_CLOSED': 'done'}
//
//   def state(gen):
//       return NAMES[getgeneratorstate(gen)]
//
//   def coro():
//       print('inside the body:', state(c))
//       while True:
//           x = yield
//           print('inside the body, received', x, 'while', state(c))
//
//   c = coro()
//   print('after creation:', state(c))
//   next(c)
//   print('after next:', state(c))
//   c.send(7)
//   print('after send:', state(c))
//   c.close()
//   print('after close:', state(c))
//
// Prints:
//
//   after creation: created
//   inside the body: running
//   after next: suspended
//   inside the body, received 7 while running
//   after send: suspended
//   after close: done
#include <iostream>

#include "pipeline/coroutine.hpp"
#include "pipeline/receive.hpp"
#include "pipeline/status.hpp"

// The body reads its own state through this pointer, as the Python body reads the global `c`.
const coflow::consumer<int>* c = nullptr;

coflow::consumer<int> coro() {
  std::cout << "inside the body: " << c->status() << '\n';
  while (auto x = co_yield coflow::receive) {
    std::cout << "inside the body, received " << *x << " while " << c->status() << '\n';
  }
}

int main() {
  auto gen = coro();
  c = &gen;
  std::cout << "after creation: " << gen.status() << '\n';
  gen.start();  // Python: next(c)
  std::cout << "after next: " << gen.status() << '\n';
  gen.send(7);
  std::cout << "after send: " << gen.status() << '\n';
  gen.close();
  std::cout << "after close: " << gen.status() << '\n';
}
