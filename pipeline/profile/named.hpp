// coflow/pipeline/profile/named.hpp
//
// named(name, part): gives a stage, a sink or a coroutine a name for coflow::instrumented's
// profile, and otherwise changes nothing.
//
//   auto p = coflow::instrumented(coflow::named("parse", parse_lines())
//                                 | coflow::named("valid", coflow::ops::filter(is_valid))
//                                 | coflow::sinks::count());
//   // p.profile().stages(): "parse", "valid", "count"
//
// Semantics: the named part binds exactly as `part` does: same node, same values, same
//   result. A named stage is a stage and a named sink a sink; a named coroutine is a stage when
//   it answers values (Out is not void), and a sink otherwise. Name a whole sub-chain by
//   naming its parts one by one: a chain is not a single stage.
// Exceptions: only those of copying the name and the part.
// Lifetime: the description holds the name and the part by value; the name is not in the
//   bound node.
// Cost: none per value; the bound node is the part's own.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <string>
#include <type_traits>
#include <utility>

#include "pipeline/compose.hpp"
#include "pipeline/stage.hpp"

namespace coflow {

namespace detail {

// A named part is a sink when its part is one, or a coroutine that outputs nothing.
template <class P>
inline constexpr bool named_as_sink = sink_description<P> ||
                                      (coroutine_part<P> && !coroutine_stage_part<P>);

}  // namespace detail

/// named_part<P> is the description made by named(name, part).
template <class P>
class named_part
    : public std::conditional_t<detail::named_as_sink<P>, sink_interface, stage_interface> {
 public:
  named_part(std::string name, P part) : name_(std::move(name)), part_(std::move(part)) {}

  /// name is the name given to the part.
  [[nodiscard]] const std::string& name() const noexcept { return name_; }

  /// part is the named stage, sink or coroutine.
  [[nodiscard]] const P& part() const& noexcept { return part_; }

  /// output<In> is what the named part outputs for input In.
  template <class In>
  using output = output_t<P, In>;

  template <class In, class MakeDown>
    requires(!detail::named_as_sink<P>)
  auto bind(MakeDown make_down) const& { return detail::bind_stage<In>(part_, make_down); }
  template <class In, class MakeDown>
    requires(!detail::named_as_sink<P>)
  auto bind(MakeDown make_down) && { return detail::bind_stage<In>(std::move(part_), make_down); }

  template <class In>
    requires detail::named_as_sink<P>
  auto open() const& { return detail::open_sink<In>(part_); }
  template <class In>
    requires detail::named_as_sink<P>
  auto open() && { return detail::open_sink<In>(std::move(part_)); }

 private:
  std::string name_;
  P part_;
};

/// named(name, part) names a stage, a sink or a coroutine for coflow::instrumented.
template <class P>
[[nodiscard]] named_part<std::remove_cvref_t<P>> named(std::string name, P&& part) {
  using part_type = std::remove_cvref_t<P>;
  static_assert(stage_description<part_type> || sink_description<part_type> ||
                    detail::coroutine_part<part_type>,
                "coflow::named(name, part): part must be one stage, sink or coroutine (an "
                "operator such as ops::filter(f), a sink, or a coflow::coroutine)");
  static_assert(!detail::is_chain<part_type>::value,
                "coflow::named(name, part): part is a chain of several stages; name each of "
                "them instead (named(\"a\", a) | named(\"b\", b))");
  return named_part<part_type>(std::move(name), std::forward<P>(part));
}

}  // namespace coflow
