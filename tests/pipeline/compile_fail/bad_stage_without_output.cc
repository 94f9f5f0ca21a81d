// A stage description must state its output type; binding one that does not is rejected with
// a message that says what to add.
// expect-error: must state its output type
#include <type_traits>
#include <vector>

#include "operators/to_vector.hpp"
#include "pipeline/run.hpp"

struct twice_stage : coflow::stage_interface {
  template <class In, class Down>
  struct node {
    bool push(In&& value) { return down.push(value * 2); }
    [[nodiscard]] bool done() const { return down.done(); }
    decltype(auto) finish() { return down.finish(); }
    Down down;
  };

  template <class In, class MakeDown>
  auto bind(MakeDown make_down) const {
    using down_type = decltype(make_down(std::type_identity<In>{}));
    return node<In, down_type>{make_down(std::type_identity<In>{})};
  }
};

int main() {
  return coflow::run(std::vector{1, 2}, twice_stage{} | coflow::sinks::to_vector()).size();
}
