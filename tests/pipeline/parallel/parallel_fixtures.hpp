// Shared by the parallel tests: a counter of live objects, to see that every frame (and the
// state a stage holds) is destroyed, and inputs.
#pragma once

#include <atomic>
#include <cstddef>
#include <numeric>
#include <range/v3/view/iota.hpp>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include "pipeline/stage.hpp"

namespace coflow::test {

// counting::live() is how many `alive` objects exist; a stage that captures one is destroyed
// when its count drops.
struct counting {
  static std::atomic<int>& count() {
    static std::atomic<int> n = 0;
    return n;
  }
  static void reset() { count() = 0; }
  static int live() { return count().load(); }
};

struct alive {
  alive() { ++counting::count(); }
  alive(const alive&) { ++counting::count(); }
  alive(alive&&) noexcept { ++counting::count(); }
  alive& operator=(const alive&) = default;
  alive& operator=(alive&&) noexcept = default;
  ~alive() { --counting::count(); }
};

inline std::vector<int> iota_vector(std::size_t n) {
  std::vector<int> xs(n);
  std::iota(xs.begin(), xs.end(), 0);
  return xs;
}

// 0, 1, 2, ... without end: only a done pipeline stops a run over it.
inline auto endless_ints() { return ranges::views::iota(0); }

// A sink whose finish() throws.
struct throwing_at_finish : sink_interface {
  template <class In>
  struct node {
    bool push(In&&) { return true; }
    [[nodiscard]] bool done() const { return false; }
    int finish() { throw std::logic_error("finish"); }
  };
  template <class In>
  node<In> open() const {
    return {};
  }
};

// A stage that passes values on and throws at end of stream.
struct throwing_at_flush : stage_interface {
  template <class In>
  using output = In;

  template <class In, class Down>
  struct node {
    bool push(In&& v) { return down.push(std::move(v)); }
    [[nodiscard]] bool done() const { return down.done(); }
    void finish() { throw std::domain_error("flush"); }
    Down down;
  };

  template <class In, class MakeDown>
  auto bind(MakeDown make_down) const {
    using down_type = decltype(make_down(std::type_identity<In>{}));
    return node<In, down_type>{make_down(std::type_identity<In>{})};
  }
};

// A stage whose binding throws: a worker's copy of it fails before it takes a value.
struct throwing_at_bind : stage_interface {
  template <class In>
  using output = In;

  template <class In, class MakeDown>
  auto bind(MakeDown make_down) const {
    using down_type = decltype(make_down(std::type_identity<In>{}));
    throw std::length_error("bind");
    return throwing_at_flush::node<In, down_type>{make_down(std::type_identity<In>{})};
  }
};

}  // namespace coflow::test
