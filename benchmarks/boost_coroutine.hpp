// coflow/benchmarks/boost_coroutine.hpp
//
// Boost.Coroutine2, the stackful coroutine the suite compares coflow with. Included through this
// header because GCC 12 reports a -Wmaybe-uninitialized inside Boost's own control block once it
// is inlined into our code (boost/coroutine2/detail/state.hpp); the warning is about Boost, so it
// is silenced for Boost's lines only.
#pragma once

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <boost/coroutine2/all.hpp>

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
