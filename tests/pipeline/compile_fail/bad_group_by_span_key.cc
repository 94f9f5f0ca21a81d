// A group_by key must not view the value: the value moves into its group, and the key would
// dangle.
// expect-error: which would dangle once the value moves into its group
#include <span>
#include <vector>

#include "operators/group_by.hpp"
#include "operators/null.hpp"
#include "pipeline/compose.hpp"

void groups_by_a_span() {
  auto key = [](const std::vector<int>& v) { return std::span<const int>(v); };
  auto node =
      coflow::bind_chain<std::vector<int>>(coflow::sinks::group_by(key, coflow::sinks::null()));
  (void)node;
}
