// coflow/tests/support/counting_new.hpp
//
// allocations and deallocations: how many times the global operator new and operator delete
// ran, and the largest size asked, for the allocation tests. A test binary that depends on
// //tests/support:counting_new gets counting_new.cc's replacements of every form of the global
// operator new and delete, which count each call and forward to malloc and free; so it must not
// replace them itself, and is a binary of its own.
//
//   const std::size_t before = coflow::test_support::allocations;
//   auto c = averager();   // a coroutine: its frame
//   EXPECT_EQ(coflow::test_support::allocations - before, 1u);
//
// Under AddressSanitizer this still works: the program's own operator new takes precedence
// over the sanitizer's, and the sanitizer keeps checking the memory through its malloc
// interceptor.
// Threads: the counters are atomic (relaxed), so threads may allocate; a count read while
// another thread allocates is a count of that moment.
#pragma once

#include <atomic>
#include <cstddef>

namespace coflow::test_support {

/// allocations counts the calls of the global operator new (every form).
inline std::atomic<std::size_t> allocations{0};

/// deallocations counts the calls of the global operator delete (every form) with a pointer.
inline std::atomic<std::size_t> deallocations{0};

/// largest_allocation is the largest size asked of operator new so far (reset it to 0 before
/// the code it is to measure).
inline std::atomic<std::size_t> largest_allocation{0};

}  // namespace coflow::test_support
