// repeater: a coroutine that echoes every value sent to it.
//
// Python:
//
//   def repeater():
//       while True:
//           received = yield
//           print('Echo:', received)
//
//   r = repeater()
//   next(r)
//   r.send('First')
//   r.send('Second')
//
// Prints:
//
//   Echo: First
//   Echo: Second
#include <iostream>
#include <ostream>
#include <string>

#include "pipeline/coroutine.hpp"
#include "pipeline/receive.hpp"

// The stream is a non-const reference: the caller keeps it alive while the coroutine runs.
coflow::consumer<std::string> repeater(std::ostream& out) {
  while (auto received = co_yield coflow::receive) out << "Echo: " << *received << '\n';
}

int main() {
  auto r = repeater(std::cout);
  r.start();  // Python: next(r)
  r.send("First");
  r.send("Second");
  r.close();
}
