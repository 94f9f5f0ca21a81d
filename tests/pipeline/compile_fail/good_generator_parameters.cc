// Generator functions: parameters by value or by non-const reference, plain and generic
// lambdas, and yields of lvalues, rvalues and moved move-only values.
#include <memory>
#include <string>

#include "pipeline/ranges/generator.hpp"

coflow::generator<char> letters(std::string text) {
  for (char c : text) co_yield c;
}

coflow::generator<char> letters_of(std::string& text) {
  for (char c : text) co_yield c;
}

coflow::generator<std::unique_ptr<int>> boxes(int n) {
  for (int i = 0; i < n; ++i) {
    auto box = std::make_unique<int>(i);
    co_yield std::move(box);
    co_yield std::make_unique<int>(-i);
  }
}

void use() {
  std::string kept = "abc";
  for (char c : letters("xyz")) (void)c;
  for (char c : letters_of(kept)) (void)c;
  for (auto& box : boxes(2)) (void)box;
  auto plain = [](int n) -> coflow::generator<int> {
    for (int i = 0; i < n; ++i) co_yield i;
  };
  auto generic = [](auto n) -> coflow::generator<int> {
    for (int i = 0; i < n; ++i) co_yield i;
  };
  const std::string name = "captured";
  auto capturing = [name]() -> coflow::generator<char> {
    for (char c : name) co_yield c;
  };
  for (int i : plain(3)) (void)i;
  for (int i : generic(3)) (void)i;
  for (char c : capturing()) (void)c;
}
