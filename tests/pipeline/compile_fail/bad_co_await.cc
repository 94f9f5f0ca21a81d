// A coroutine body waits only with co_yield.
// expect-error: co_await is not supported in a coflow::coroutine body
#include <coroutine>

#include "pipeline/coroutine.hpp"

coflow::consumer<int> waits_wrongly() { co_await std::suspend_always{}; }
