// A non-const reference cannot bind a temporary: it names an object the caller keeps alive.
#include <ostream>
#include <vector>

#include "pipeline/coroutine.hpp"

coflow::consumer<int> echo(std::ostream& out) {
  while (auto v = co_yield coflow::receive) out << *v << '\n';
}

coflow::consumer<int> collect(std::vector<int>& into) {
  while (auto v = co_yield coflow::receive) into.push_back(*v);
}
