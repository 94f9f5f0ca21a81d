// Fixtures shared by the typed tests of batch, group_by, partition and tee: a move-only value
// type, the value types the tests run over, and make<T> / make_vector<T>, which spell values of
// any of those types from ints, so that one expected list of ints checks every type.
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <vector>

namespace coflow::value_type_testing {

// A value that can be moved but not copied: a stage that copies its values does not compile.
struct move_only {
  explicit move_only(int v) : value(v) {}
  move_only(move_only&&) = default;
  move_only& operator=(move_only&&) = default;
  friend bool operator==(const move_only&, const move_only&) = default;
  int value;
};

/// value_types are the element types of the typed tests.
using value_types = ::testing::Types<int, double, move_only>;

/// make<T>(v) is the value of type T that stands for v.
template <class T>
T make(int v) {
  return T(v);
}

/// make_vector<T>(values) is each of values made a T, in order.
template <class T>
std::vector<T> make_vector(std::initializer_list<int> values) {
  std::vector<T> out;
  for (int v : values) out.push_back(make<T>(v));
  return out;
}

}  // namespace coflow::value_type_testing
