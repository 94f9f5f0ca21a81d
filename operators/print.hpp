// coflow/operators/print.hpp
//
// sinks::print(os, separator = "\n"): writes each value to a stream with operator<<, each
// followed by the separator; the result is void.
//
//   coflow::run(xs, coflow::ops::averager() | coflow::sinks::print(std::cout));
//
// Semantics: never done. The stream is held by reference: it must outlive the pipeline.
// Exceptions: what the stream throws (if its exceptions() mask asks for it).
// Cost: one formatted write per value.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <ostream>
#include <string>
#include <utility>

#include "pipeline/stage.hpp"

namespace coflow {

namespace detail {

template <class In>
struct print_node {
  bool push(In&& value) {
    *os << value << separator;
    return true;
  }
  [[nodiscard]] bool done() const { return false; }
  void finish() { os->flush(); }

  std::ostream* os;
  std::string separator;
};

}  // namespace detail

namespace sinks {

/// print_sink is the description made by print(os).
struct print_sink : sink_interface {
  std::ostream* os;
  std::string separator;

  template <class In>
  auto open() const {
    return detail::print_node<In>{os, separator};
  }
};

/// print(os, separator) writes each value and the separator to os.
[[nodiscard]] inline print_sink print(std::ostream& os, std::string separator = "\n") {
  return {{}, &os, std::move(separator)};
}

}  // namespace sinks

}  // namespace coflow
