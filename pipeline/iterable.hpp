// coflow/pipeline/iterable.hpp
//
// coflow::iterable<R>: what coflow accepts as an input range, so that the core takes ranges
// from the standard library and from range-v3 alike without including range-v3.
//
//   static_assert(coflow::iterable<std::vector<int>>);
//   static_assert(coflow::iterable<decltype(ranges::views::iota(std::int64_t{0}, n))>);
//
// Semantics: R is iterable when an lvalue of R is a std::ranges::input_range, or when it has
//   begin() and end() (members, or found by argument-dependent lookup) whose iterator can be
//   dereferenced, pre-incremented and compared with the sentinel. The second form admits
//   range-v3's views that the standard's concepts reject, such as views::iota over 64-bit
//   integers (its difference type is a class) and the views built on them.
// detail::iterable_begin(r) and detail::iterable_end(r) use std::ranges::begin/end for a
// standard range and the member or ADL begin/end otherwise; iterable_value_t<R> and
// iterable_reference_t<R> are the element's value type and the type of *begin(r).
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <concepts>
#include <iterator>
#include <ranges>
#include <type_traits>
#include <utility>

namespace coflow {

namespace detail::iterable_lookup {

// Unqualified begin(r) below finds the argument's own begin by argument-dependent lookup; no
// coflow namespace declares a begin or end for ordinary lookup to find. (No deleted "poison
// pill" overloads as std::ranges::begin has: a template begin(auto&) would be a better match
// for a non-const lvalue than a user's begin(const T&), and hide it.)

template <class R>
concept has_member_begin_end = requires(R& r) {
  r.begin();
  r.end();
};

template <class R>
concept has_adl_begin_end = requires(R& r) {
  begin(r);
  end(r);
};

template <class R>
constexpr auto begin_of(R& r) {
  if constexpr (has_member_begin_end<R>) {
    return r.begin();
  } else {
    return begin(r);
  }
}

template <class R>
constexpr auto end_of(R& r) {
  if constexpr (has_member_begin_end<R>) {
    return r.end();
  } else {
    return end(r);
  }
}

// An iterator and sentinel that a loop `for (; it != last; ++it) use(*it);` can walk.
template <class It, class Sentinel>
concept walkable = std::copy_constructible<It> &&
    requires(It it, const It& cit, const Sentinel& last) {
  *it;
  requires !std::is_void_v<decltype(*it)>;
  { ++it } -> std::same_as<It&>;
  { cit != last } -> std::convertible_to<bool>;
};

template <class R>
concept walkable_begin_end = (has_member_begin_end<R> || has_adl_begin_end<R>)&&requires(R& r) {
  requires walkable<decltype(begin_of(r)), decltype(end_of(r))>;
};

}  // namespace detail::iterable_lookup

/// iterable<R> is a range coflow can read from: a std::ranges::input_range, or anything with
/// begin() and end() whose iterator is dereferenceable, pre-incrementable and comparable with
/// the sentinel (range-v3's views among them). R is taken as an lvalue, as run() uses it.
template <class R>
concept iterable = std::ranges::input_range<R&> || detail::iterable_lookup::walkable_begin_end<R>;

namespace detail {

/// iterable_begin(r) is r's first iterator: std::ranges::begin for a standard range.
template <iterable R>
constexpr auto iterable_begin(R& r) {
  if constexpr (std::ranges::input_range<R&>) {
    return std::ranges::begin(r);
  } else {
    return iterable_lookup::begin_of(r);
  }
}

/// iterable_end(r) is r's sentinel: std::ranges::end for a standard range.
template <iterable R>
constexpr auto iterable_end(R& r) {
  if constexpr (std::ranges::input_range<R&>) {
    return std::ranges::end(r);
  } else {
    return iterable_lookup::end_of(r);
  }
}

template <class It>
struct iterable_value {
  using type = std::remove_cvref_t<decltype(*std::declval<It&>())>;
};
template <class It>
  requires requires { typename std::iter_value_t<It>; }
struct iterable_value<It> {
  using type = std::iter_value_t<It>;
};

}  // namespace detail

/// iterable_iterator_t<R> is the type of R's iterator.
template <iterable R>
using iterable_iterator_t = decltype(detail::iterable_begin(std::declval<R&>()));

/// iterable_reference_t<R> is the type of *begin(r).
template <iterable R>
using iterable_reference_t = decltype(*std::declval<iterable_iterator_t<R>&>());

/// iterable_value_t<R> is R's element type: the iterator's value_type, or the dereferenced
/// type without reference and cv-qualifiers.
template <iterable R>
using iterable_value_t = typename detail::iterable_value<iterable_iterator_t<R>>::type;

}  // namespace coflow
