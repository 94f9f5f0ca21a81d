// A `T&&` parameter binds a temporary that dies at the end of the call expression.
// expect-error: a coflow::generator function must take its parameters by value
#include <string>

#include "pipeline/ranges/generator.hpp"

coflow::generator<char> letters(std::string&& text) {
  for (char c : text) co_yield c;
}
