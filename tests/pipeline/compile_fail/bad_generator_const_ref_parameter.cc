// A lazy body reads its parameters after the call returned: `const T&` may have dangled.
// expect-error: a coflow::generator function must take its parameters by value
#include <string>

#include "pipeline/ranges/generator.hpp"

coflow::generator<char> letters(const std::string& text) {
  for (char c : text) co_yield c;
}
