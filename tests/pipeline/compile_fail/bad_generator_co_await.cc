// A generator body produces values and never waits.
// expect-error: co_await is not supported in a coflow::generator body
#include <coroutine>

#include "pipeline/ranges/generator.hpp"

coflow::generator<int> waits_wrongly() {
  co_await std::suspend_always{};
  co_yield 1;
}
