// The rule holds for a lambda's own parameters too.
// expect-error: Take the parameter by value
#include <string>

#include "pipeline/coroutine.hpp"

auto prefix_lines = [](const std::string& prefix) -> coflow::consumer<int> {
  while (auto v = co_yield coflow::receive) (void)prefix.size();
};
