// coflow/pipeline/protocol_error.hpp
//
// protocol_error: the exception coflow throws for every misuse of a coroutine, pipeline,
// generator or scheduler object (send before start, send after done, re-entrant send, use of a
// moved-from object, ...). It derives from std::logic_error because each one is a bug in the
// calling code, never a runtime condition; the message names the mistake.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <stdexcept>
#include <string>

namespace coflow {

/// protocol_error is thrown when a coflow object is used against its protocol. The message
/// names the call and the mistake, e.g. "coflow::coroutine::send(): send() before start()".
class protocol_error : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

}  // namespace coflow
