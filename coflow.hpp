// coflow.hpp: the umbrella header. Includes every public coflow header; the library's own
// headers, tests and benchmarks include exactly what they use instead.
#pragma once

#include "pipeline/coroutine.hpp"
#include "pipeline/protocol_error.hpp"
#include "pipeline/receive.hpp"
#include "pipeline/status.hpp"
