// coflow/pipeline/compose.hpp
//
// Composition: `a | b | sink` joins stage and sink descriptions into a coflow::chain, and
// bind_chain<In>(chain) turns a chain that ends in a sink into one node (see stage.hpp).
//
//   auto p = coflow::ops::filter(is_valid) | coflow::ops::transform(to_celsius)
//          | coflow::ops::averager() | coflow::sinks::last();
//
// A chain is a description: it holds its parts by value, is copyable when they are (every
// operator and sink; a coroutine object is move-only), and can be bound any number of times.
// Binding an lvalue chain copies its parts; binding an rvalue chain moves them, which is how
// a chain holding a coroutine object is run (`coflow::run(xs, std::move(p))`).
//
// Cost: composition is compile-time; a bound chain is one object whose push calls inline
// into each other, except where a coroutine stage resumes its frame (and adjacent coroutine
// stages resume each other directly, see coroutine_stage.hpp).
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

#include "pipeline/coroutine_stage.hpp"
#include "pipeline/stage.hpp"

namespace coflow {

template <class... Parts>
class chain;

namespace detail {

template <class T>
struct is_chain : std::false_type {};
template <class... Parts>
struct is_chain<chain<Parts...>> : std::true_type {};

template <class P, class In>
struct part_output;

}  // namespace detail

/// pipeline_part<P> is what `|` joins: a stage, a sink, a coroutine or a chain of them.
template <class P>
concept pipeline_part = stage_description<P> || sink_description<P> || detail::coroutine_part<P> ||
    detail::is_chain<std::remove_cvref_t<P>>::value;

/// chain<Parts...> is a composition of stages, possibly ended by a sink. Made with `|`.
template <class... Parts>
class chain : public stage_interface {
 public:
  explicit chain(std::tuple<Parts...> parts) : parts_(std::move(parts)) {}

  /// complete is true when the chain ends in a sink, so that it can run.
  static constexpr bool complete = [] {
    using last = std::tuple_element_t<sizeof...(Parts) - 1, std::tuple<Parts...>>;
    return sink_description<last> || detail::coroutine_sink_part<last>;
  }();

  /// output<In> is what the chain outputs for input In (a chain that ends in a sink outputs
  /// nothing further and is not a stage).
  template <class In>
  using output = typename detail::part_output<chain, In>::type;

  const std::tuple<Parts...>& parts() const& noexcept { return parts_; }
  std::tuple<Parts...>&& parts() && noexcept { return std::move(parts_); }

 private:
  std::tuple<Parts...> parts_;
};

namespace detail {

// What a part outputs for input In; a chain folds its parts' outputs.
template <class P, class In>
struct part_output {
  using type = typename P::template output<In>;
};
template <class P, class In>
  requires coroutine_stage_part<P>
struct part_output<P, In> {
  using type = typename P::output_type;
};
template <class In, class... Parts>
struct part_output<chain<Parts...>, In> {
  using type = In;
};
template <class In, class First, class... Rest>
struct part_output<chain<First, Rest...>, In>
    : part_output<chain<Rest...>, typename part_output<First, In>::type> {};

}  // namespace detail

/// output_t<P, In> is the type a stage, a coroutine stage or a chain of them outputs for input
/// type In, as its description states it (`template <class In> using output = ...`).
template <class P, class In>
using output_t = typename detail::part_output<std::remove_cvref_t<P>, In>::type;

namespace detail {

template <class P>
auto as_tuple(P&& part) {
  if constexpr (is_chain<std::remove_cvref_t<P>>::value) {
    return std::forward<P>(part).parts();
  } else {
    return std::tuple<std::remove_cvref_t<P>>(std::forward<P>(part));
  }
}

template <class... Parts>
chain<Parts...> make_chain(std::tuple<Parts...>&& parts) {
  return chain<Parts...>(std::move(parts));
}

// Opens a sink part for input In.
template <class In, class Part>
auto open_sink(Part&& part) {
  using P = std::remove_cvref_t<Part>;
  if constexpr (coroutine_sink_part<P>) {
    static_assert(std::is_rvalue_reference_v<Part&&>,
                  "this pipeline holds a coroutine object, which is move-only and runs once: "
                  "pass the pipeline as an rvalue (std::move(p))");
    return coroutine_sink_node<In, P>(std::move(part));
  } else {
    static_assert(sink_description<P>,
                  "a pipeline must end in a sink (coflow::sinks::to_vector(), last(), sum(), "
                  "... or a consumer coroutine); this one ends in a stage whose output goes "
                  "nowhere");
    return std::forward<Part>(part).template open<In>();
  }
}

// Binds a stage part for input In in front of the downstream that make_down builds.
template <class In, class Part, class MakeDown>
auto bind_stage(Part&& part, MakeDown make_down) {
  using P = std::remove_cvref_t<Part>;
  if constexpr (coroutine_part<P>) {
    static_assert(std::is_rvalue_reference_v<Part&&>,
                  "this pipeline holds a coroutine object, which is move-only and runs once: "
                  "pass the pipeline as an rvalue (std::move(p))");
    static_assert(coroutine_stage_part<P>,
                  "a consumer coroutine (Out = void) outputs nothing: it can only end a pipeline");
    using down_type = decltype(make_down(std::type_identity<typename P::output_type>{}));
    return coroutine_node<In, P, down_type>(
        std::move(part), make_down(std::type_identity<typename P::output_type>{}));
  } else {
    static_assert(stage_description<P>,
                  "only the last part of a pipeline may be a sink: a sink outputs nothing");
    static_assert(
        requires { typename P::template output<In>; },
        "a stage description must state its output type for each input type: "
        "`template <class In> using output = ...;` (see pipeline/stage.hpp)");
    // The type the stage binds its downstream for must be the one it states.
    auto checked_make_down = [&make_down]<class Out>(std::type_identity<Out> out) {
      static_assert(std::same_as<Out, typename P::template output<In>>,
                    "a stage bound its downstream for another type than its `output<In>`");
      return make_down(out);
    };
    return std::forward<Part>(part).template bind<In>(checked_make_down);
  }
}

template <class In, std::size_t I, class Tuple>
auto bind_from(Tuple&& parts) {
  constexpr std::size_t size = std::tuple_size_v<std::remove_cvref_t<Tuple>>;
  if constexpr (I + 1 == size) {
    return open_sink<In>(std::get<I>(std::forward<Tuple>(parts)));
  } else {
    auto make_down = [&parts]<class Out>(std::type_identity<Out>) {
      return bind_from<Out, I + 1>(std::forward<Tuple>(parts));
    };
    return bind_stage<In>(std::get<I>(std::forward<Tuple>(parts)), make_down);
  }
}

}  // namespace detail

namespace detail {

template <class P>
concept complete_chain =
    is_chain<std::remove_cvref_t<P>>::value && std::remove_cvref_t<P>::complete;

}  // namespace detail

/// runnable<P> is something that can run: a chain that ends in a sink, a sink, or a coroutine
/// that can end a pipeline.
template <class P>
concept runnable =
    sink_description<P> || detail::coroutine_sink_part<P> || detail::complete_chain<P>;

/// bind_chain<In>(p) binds a runnable description for input type In into its head node.
/// Used by run(), open() and the operators that hold sub-pipelines (tee, group_by).
template <class In, class P>
  requires runnable<P>
auto bind_chain(P&& p) { return detail::bind_from<In, 0>(detail::as_tuple(std::forward<P>(p))); }

/// a | b joins two parts into a chain. Everything after a sink is an error.
template <pipeline_part A, pipeline_part B>
  requires(stage_description<A> || sink_description<A> || detail::coroutine_part<A> ||
           stage_description<B> || sink_description<B> || detail::coroutine_part<B>)
auto operator|(A&& a, B&& b) {
  static_assert(
      !sink_description<A> && !detail::complete_chain<A>,
      "nothing can follow a sink in a pipeline: a sink takes the values and outputs none");
  return detail::make_chain(
      std::tuple_cat(detail::as_tuple(std::forward<A>(a)), detail::as_tuple(std::forward<B>(b))));
}

}  // namespace coflow
