// coflow/pipeline/detail/parameters.hpp
//
// The dangling-parameter rule shared by every coflow coroutine type (coroutine, generator):
// a coroutine function may not take a parameter that can bind a temporary (`const T&`,
// `T&&`), because the body runs after the call that created it has returned (C++ Core
// Guidelines CP.53). Each coroutine type checks `parameters_by_value` in its
// std::coroutine_traits specialization, with a static_assert that says what to do instead.
#pragma once

#include <concepts>
#include <type_traits>

namespace coflow::detail {

template <class T>
concept complete_type = requires {
  sizeof(T);
};

// A parameter that can bind a temporary: `const T&` or `T&&`. A lambda's call operator takes
// its own closure as `const L&`, and the closure type is still incomplete inside its body:
// that parameter is exempt (a lambda's captures are the caller's to keep alive, CP.51).
template <class P>
inline constexpr bool binds_temporary = (std::is_rvalue_reference_v<P> ||
                                         (std::is_lvalue_reference_v<P> &&
                                          std::is_const_v<std::remove_reference_t<P>>)) &&
                                        complete_type<std::remove_cvref_t<P>>;

// The closure of a generic lambda is complete by the time its call operator is instantiated,
// so its `const L&` object parameter is recognised instead as the object whose call operator,
// given the remaining parameters, returns this very coroutine type. The conjunction stops at
// an incomplete type before asking whether it is invocable.
template <class Coro, class Object, class... Rest>
concept call_operator_object = complete_type<std::remove_cvref_t<Object>> &&
    std::is_class_v<std::remove_cvref_t<Object>> && std::is_invocable_v<Object, Rest...> &&
    std::same_as<std::invoke_result_t<Object, Rest...>, Coro>;

template <class Coro, class Object, class... Rest>
inline constexpr bool object_parameter_ok =
    !binds_temporary<Object> || call_operator_object<Coro, Object, Rest...>;

// parameters_by_value<Coro, Params...> is true when no parameter of a coroutine function
// returning Coro can bind a temporary.
template <class Coro, class... Params>
inline constexpr bool parameters_by_value = (!binds_temporary<Params> && ...);

template <class Coro, class Object, class... Rest>
inline constexpr bool parameters_by_value<Coro, Object, Rest...> =
    (!binds_temporary<Rest> && ... && object_parameter_ok<Coro, Object, Rest...>);

}  // namespace coflow::detail
