// coflow/pipeline/detail/require_cpp20.hpp
//
// The C++20 check. Every public coflow header includes this first, so that a translation unit
// compiled as C++17 or older stops here, with one line that says what to do, instead of going
// on into the coroutine and concept code and printing thousands of lines of errors.
//
// `#error` alone does not stop g++ (it reports the error and carries on), so it is followed by
// the include of a file that does not exist: a missing include is fatal in g++, clang and
// MSVC, and nothing after it is compiled. The user sees the `#error` line, then the missing
// file, whose name points back at it.
//
// MSVC reports its language mode in `_MSVC_LANG`; its `__cplusplus` stays 199711L unless
// /Zc:__cplusplus is given. Any mode newer than C++17 passes (a compiler's pre-standard
// `c++2a` mode too), so that the check never rejects a build that could work.
#pragma once

#if defined(_MSVC_LANG) ? _MSVC_LANG <= 201703L : __cplusplus <= 201703L
#error "coflow requires C++20: compile with -std=c++20 or later (MSVC: /std:c++20)"
#include "coflow_requires_cpp20_see_the_error_above"  // fatal, so that no other error follows
#endif
