// A `T&&` parameter binds a temporary that dies at the end of the call expression.
// expect-error: Take the parameter by value
#include "pipeline/coroutine.hpp"

coflow::consumer<int> add(int&& offset) {
  while (auto v = co_yield coflow::receive) (void)(*v + offset);
}
