// coflow/tests/support/typed_values.hpp
//
// Helpers for typed tests that run the same operator test over int, double and a move-only
// type. make_value<T>(i) makes the i-th value of type T and key_of(v) reads back the int it
// was made from, so one expected list of ints checks every type:
//
//   using Types = coflow::test_support::value_types;   // int, double, std::unique_ptr<int>
//   auto out = coflow::run(coflow::test_support::values<TypeParam>(0, 5), ...);
//   EXPECT_EQ(coflow::test_support::keys(out), (std::vector{0, 1, 2, 3, 4}));
//
// values<T>(first, last) is a view that makes each value as it is read (a prvalue), so a
// move-only type flows through a pipeline without being copied.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <optional>
#include <range/v3/view/iota.hpp>
#include <range/v3/view/transform.hpp>
#include <vector>

namespace coflow::test_support {

/// value_types are the element types of the typed operator tests.
using value_types = ::testing::Types<int, double, std::unique_ptr<int>>;

/// make_value<T>(i) is the value of type T that stands for i.
template <class T>
T make_value(int i);

template <>
inline int make_value<int>(int i) {
  return i;
}

// Not a whole number, so that a value truncated to int on the way would be caught.
template <>
inline double make_value<double>(int i) {
  return i + 0.5;
}

template <>
inline std::unique_ptr<int> make_value<std::unique_ptr<int>>(int i) {
  return std::make_unique<int>(i);
}

/// key_of(v) is the int that v stands for.
inline int key_of(int v) { return v; }
inline int key_of(double v) { return static_cast<int>(std::floor(v)); }
inline int key_of(const std::unique_ptr<int>& v) { return v ? *v : -1000000; }

/// keys(vs) is the int each value stands for, in order.
template <class T>
std::vector<int> keys(const std::vector<T>& vs) {
  std::vector<int> out;
  out.reserve(vs.size());
  for (const auto& v : vs) out.push_back(key_of(v));
  return out;
}

/// key(v) reads an optional result: the int it stands for, or nothing.
template <class T>
std::optional<int> key(const std::optional<T>& v) {
  if (!v) return std::nullopt;
  return key_of(*v);
}

/// values<T>(first, last) makes T values standing for first, ..., last - 1 as they are read.
template <class T>
auto values(int first, int last) {
  return ranges::views::iota(first, last) |
         ranges::views::transform([](int i) { return make_value<T>(i); });
}

}  // namespace coflow::test_support
