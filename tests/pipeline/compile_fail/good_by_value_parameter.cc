// By-value parameters are copied into the frame: always safe.
#include <memory>
#include <string>

#include "pipeline/coroutine.hpp"

coflow::coroutine<int, std::string> label(std::string prefix, std::unique_ptr<int> scale) {
  std::optional<std::string> reply;
  while (auto v = co_yield reply) reply = prefix + std::to_string(*v * *scale);
}

void use() {
  auto c = label("n=", std::make_unique<int>(2));
  c.start();
}
