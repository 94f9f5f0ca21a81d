// exception_handling: an exception thrown into a coroutine, handled or not.
//
// Python:
//
//   class DemoException(Exception):
//       """An exception type for the demonstration."""
//
//   def demo_exc_handling():
//       while True:
//           try:
//               x = yield
//           except DemoException:
//               print('Demo exception handled. Continuing...')
//           else:
//               print('Coroutine received value of', x)
//
//   exc_coro = demo_exc_handling()
//   next(exc_coro)
//   exc_coro.send(34)
//   exc_coro.throw(DemoException)
//   exc_coro.send(343444)
//   exc_coro.send('hi')
//   try:
//       exc_coro.throw(ZeroDivisionError)
//   except ZeroDivisionError:
//       print('ZeroDivisionError was not handled: it propagated and ended the coroutine')
//
// Prints:
//
//   Coroutine received value of 34
//   Demo exception handled. Continuing...
//   Coroutine received value of 343444
//   Coroutine received value of hi
//   ZeroDivisionError was not handled: it propagated and ended the coroutine
#include <iostream>
#include <stdexcept>
#include <string>
#include <variant>

#include "pipeline/coroutine.hpp"
#include "pipeline/receive.hpp"

struct demo_exception : std::runtime_error {
  demo_exception() : std::runtime_error("demo exception") {}
};

struct zero_division_error : std::domain_error {
  zero_division_error() : std::domain_error("division by zero") {}
};

// Python's coroutine takes any object; this one takes a number or a string.
using value = std::variant<int, std::string>;

std::ostream& operator<<(std::ostream& os, const value& v) {
  std::visit([&os](const auto& x) { os << x; }, v);
  return os;
}

coflow::consumer<value> demo_exc_handling() {
  for (;;) {
    try {
      auto x = co_yield coflow::receive;
      if (!x) co_return;  // end of stream
      std::cout << "Coroutine received value of " << *x << '\n';
    } catch (const demo_exception&) {
      std::cout << "Demo exception handled. Continuing...\n";
    }
  }
}

int main() {
  auto exc_coro = demo_exc_handling();
  exc_coro.start();
  exc_coro.send(34);
  exc_coro.throw_into(demo_exception());
  exc_coro.send(343444);
  exc_coro.send(std::string("hi"));
  try {
    exc_coro.throw_into(zero_division_error());
  } catch (const zero_division_error&) {
    if (exc_coro.done()) {
      std::cout << "ZeroDivisionError was not handled: it propagated and ended the coroutine\n";
    }
  }
}
