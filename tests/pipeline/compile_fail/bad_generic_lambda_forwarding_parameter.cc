// A generic lambda's `auto&&` parameter becomes `int&&` for an rvalue argument.
// expect-error: Take the parameter by value
#include "pipeline/coroutine.hpp"

auto add = [](auto&& offset) -> coflow::consumer<int> {
  while (auto v = co_yield coflow::receive) (void)(*v + offset);
};

void use() { auto c = add(1); }
