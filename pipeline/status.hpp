// coflow/pipeline/status.hpp
//
// status: the life-cycle state of a coroutine or pipeline, as Python's
// inspect.getgeneratorstate reports it (GEN_CREATED, GEN_RUNNING, GEN_SUSPENDED, GEN_CLOSED).
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <ostream>
#include <string_view>

namespace coflow {

/// status is where a coroutine stands: `created` (not started), `running` (its body is
/// executing, as seen from inside it), `suspended` (waiting at a receive or emit point) or
/// `done` (returned, failed, or closed).
enum class status { created, running, suspended, done };

/// to_string returns the enumerator's name.
constexpr std::string_view to_string(status s) noexcept {
  switch (s) {
    case status::created:
      return "created";
    case status::running:
      return "running";
    case status::suspended:
      return "suspended";
    case status::done:
      return "done";
  }
  return "unknown";
}

inline std::ostream& operator<<(std::ostream& os, status s) { return os << to_string(s); }

}  // namespace coflow
