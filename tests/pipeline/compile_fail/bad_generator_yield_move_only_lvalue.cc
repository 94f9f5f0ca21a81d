// `co_yield lvalue` copies; a move-only value must be moved out explicitly.
// expect-error: co_yield of an lvalue copies it, and this element type cannot be copied
#include <memory>

#include "pipeline/ranges/generator.hpp"

coflow::generator<std::unique_ptr<int>> boxes() {
  auto box = std::make_unique<int>(1);
  co_yield box;
}

void use() {
  for (auto& box : boxes()) (void)box;
}
