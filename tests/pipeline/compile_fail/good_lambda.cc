// Lambda coroutines: the closure is passed to its call operator as `const L&`, and that object
// parameter is exempt (the closure's captures are the caller's to keep alive).
#include <string>

#include "pipeline/coroutine.hpp"

void use() {
  auto plain = [](int offset) -> coflow::coroutine<int, int> {
    std::optional<int> reply;
    while (auto v = co_yield reply) reply = *v + offset;
  };
  std::string name = "total";
  auto capturing = [name](std::string& log) -> coflow::consumer<int> {
    while (auto v = co_yield coflow::receive) log += name;
  };
  auto generic = [](auto factor) -> coflow::coroutine<int, int> {
    std::optional<int> reply;
    while (auto v = co_yield reply) reply = *v * factor;
  };
  auto mutable_lambda = [count = 0]() mutable -> coflow::consumer<int> {
    while (auto v = co_yield coflow::receive) ++count;
  };
  std::string log;
  auto a = plain(1);
  auto b = capturing(log);
  auto c = generic(2);
  auto d = generic(2L);
  auto e = mutable_lambda();
}
