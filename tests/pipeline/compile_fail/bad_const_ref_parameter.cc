// A `const T&` parameter can bind a temporary that dies before the body reads it.
// expect-error: Take the parameter by value
#include <string>

#include "pipeline/coroutine.hpp"

coflow::consumer<int> prefix_lines(const std::string& prefix) {
  while (auto v = co_yield coflow::receive) (void)prefix.size();
}
