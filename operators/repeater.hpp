// coflow/operators/repeater.hpp
//
// ops::repeater(os): writes "Echo: <value>" and a newline to a stream for each value, and
// passes the value on. The C++ form of the Python coroutine
//
//   def repeater():
//       while True:
//           received = yield
//           print('Echo:', received)
//
//   std::ostringstream out;
//   coflow::run(std::vector{1, 2}, coflow::ops::repeater(out) | coflow::sinks::null());
//   // out.str() == "Echo: 1\nEcho: 2\n"
//
// Semantics: each value is written with operator<< (under the stream's own flags, so a double
//   prints as the stream formats it), then moved on unchanged. At end of stream the stream is
//   flushed, then end of stream goes on downstream.
// Exceptions: what the stream throws (if its exceptions() mask asks for it) propagates before
//   the value is passed on; what downstream throws propagates after the line was written.
// Lifetime: the stream is held by reference: it must outlive the pipeline.
// Cost: fused: one formatted write per value, no resume, no allocation of its own.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <ostream>
#include <type_traits>
#include <utility>

#include "pipeline/stage.hpp"

namespace coflow {

namespace detail {

template <class T>
concept echoable = requires(std::ostream& os, const T& value) {
  os << value;
};

template <class In, class Down>
struct repeater_node {
  bool push(In&& value) {
    *os << "Echo: " << std::as_const(value) << '\n';
    return down.push(std::move(value));
  }
  [[nodiscard]] bool done() const { return down.done(); }
  decltype(auto) finish() {
    os->flush();
    return down.finish();
  }

  std::ostream* os;
  Down down;
};

}  // namespace detail

namespace ops {

/// repeater_stage is the description made by repeater(os).
struct repeater_stage : stage_interface {
  /// output<In> is the type it outputs for input In.
  template <class In>
  using output = In;

  std::ostream* os;

  template <class In, class MakeDown>
  auto bind(MakeDown make_down) const {
    static_assert(detail::echoable<In>,
                  "coflow::ops::repeater(os): the values must be printable with "
                  "`os << value` (declare an operator<< for the element type)");
    using down_type = decltype(make_down(std::type_identity<In>{}));
    return detail::repeater_node<In, down_type>{os, make_down(std::type_identity<In>{})};
  }
};

/// repeater(os) writes "Echo: <value>\n" to os for each value and passes the value on.
[[nodiscard]] inline repeater_stage repeater(std::ostream& os) { return {{}, &os}; }

}  // namespace ops

}  // namespace coflow
