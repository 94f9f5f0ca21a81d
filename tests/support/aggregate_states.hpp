// tests/support/aggregate_states.hpp
//
// Helpers for the tests of mergeable aggregates (operators/aggregate.hpp): a state folded from
// values, and a state's bytes.
//
//   auto m = coflow::testing::folded<coflow::moments>(values);   // add(x) for each x
//   std::vector<std::byte> b = coflow::testing::bytes_of(m);      // m.serialize(b)
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace coflow::testing {

/// folded is an aggregate of type A to which every value of xs was added, in order.
template <class A, class T>
A folded(std::span<const T> xs) {
  A a;
  for (const T& x : xs) a.add(x);
  return a;
}

/// bytes_of is what a.serialize writes.
template <class A>
std::vector<std::byte> bytes_of(const A& a) {
  std::vector<std::byte> out;
  a.serialize(out);
  return out;
}

}  // namespace coflow::testing
