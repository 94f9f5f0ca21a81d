// coflow/pipeline/fn.hpp
//
// coflow::fn<f>: a function (or member pointer) as an empty callable object, so that an operator
// given it calls f directly and the compiler can inline it.
//
//   bool is_valid(const reading& r);
//   auto p = coflow::ops::filter(coflow::fn<is_valid>) | coflow::ops::averager() | ...;
//   // rather than coflow::ops::filter(is_valid)
//
// Why: passing a function by name passes a function pointer. The operator stores the pointer
// and calls through it, and GCC 12 at -O2 does not turn that call back into a direct one inside
// a fused pipeline (nor does range-v3's views::filter): the callable is not inlined, and a stage
// that costs a compare costs a call (see benchmarks/RESULTS.md, "Function names as callables").
// A lambda has a type of its own and inlines; so does fn<f>, whose type names f. Writing a
// lambda, `filter([](const reading& r) { return is_valid(r); })`, does the same.
// Semantics: fn<f>(args...) is std::invoke(f, args...): a function, a pointer to a member
//   function (called on its first argument) or to a data member (read from it).
// Exceptions: what f throws; fn<f> is noexcept exactly when that call is.
// Cost: none: an empty object, and a direct call to f that the compiler can inline.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <functional>
#include <type_traits>
#include <utility>

namespace coflow {

/// fn_t<F> is the type of coflow::fn<F>: calling it calls F.
template <auto F>
struct fn_t {
  static_assert(std::is_function_v<std::remove_pointer_t<decltype(F)>> ||
                    std::is_member_pointer_v<decltype(F)>,
                "coflow::fn<f>: f must name a function or a pointer to member");

  template <class... Args>
    requires std::invocable<decltype(F), Args...>
  constexpr decltype(auto) operator()(Args&&... args) const
      noexcept(std::is_nothrow_invocable_v<decltype(F), Args...>) {
    return std::invoke(F, std::forward<Args>(args)...);
  }
};

/// fn<f> is f as a callable object that inlines where a function pointer would not.
template <auto F>
inline constexpr fn_t<F> fn{};

}  // namespace coflow
