// coflow/tests/support/small_stack.hpp
//
// Runs code on a thread with a stack of a fixed, small size, to show that deep pipelines do
// not depend on the main thread's large stack (8 MiB by default on Linux, and often
// unlimited in CI shells).
//
//   auto result = coflow::test_support::run_with_stack(2 << 20, [] { return deep_work(); });
//
// run_with_stack starts a POSIX thread whose stack is exactly `stack_bytes` long (rounded up
// to whole pages, and at least PTHREAD_STACK_MIN), runs fn there, joins it, and returns what
// fn returned or rethrows what fn threw. A stack overflow on that thread is a crash (SIGSEGV,
// or an AddressSanitizer report), which is what a test of stack depth wants to see.
// current_stack_size() tells a test how large the stack it runs on really is.
#pragma once

#include <pthread.h>
#include <unistd.h>

#include <climits>
#include <concepts>
#include <cstddef>
#include <exception>
#include <optional>
#include <system_error>
#include <type_traits>
#include <utility>

namespace coflow::test_support {

/// current_stack_size is the size in bytes of the calling thread's stack.
inline std::size_t current_stack_size() {
  pthread_attr_t attr;
  if (int err = pthread_getattr_np(pthread_self(), &attr); err != 0)
    throw std::system_error(err, std::generic_category(), "pthread_getattr_np");
  std::size_t size = 0;
  const int err = pthread_attr_getstacksize(&attr, &size);
  pthread_attr_destroy(&attr);
  if (err != 0) throw std::system_error(err, std::generic_category(), "pthread_attr_getstacksize");
  return size;
}

namespace detail {

template <class Fn>
struct stack_job {
  using result_type = std::invoke_result_t<Fn&>;
  using stored_type = std::conditional_t<std::is_void_v<result_type>, bool, result_type>;

  Fn fn;
  std::optional<stored_type> result;
  std::exception_ptr failure;

  static void* trampoline(void* self) noexcept {
    auto& job = *static_cast<stack_job*>(self);
    try {
      if constexpr (std::is_void_v<result_type>) {
        job.fn();
        job.result.emplace(true);
      } else {
        job.result.emplace(job.fn());
      }
    } catch (...) {
      job.failure = std::current_exception();
    }
    return nullptr;
  }
};

inline std::size_t round_to_pages(std::size_t bytes) {
  const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  bytes = bytes < static_cast<std::size_t>(PTHREAD_STACK_MIN)
              ? static_cast<std::size_t>(PTHREAD_STACK_MIN)
              : bytes;
  return (bytes + page - 1) / page * page;
}

}  // namespace detail

/// run_with_stack runs fn on a new thread with a stack of stack_bytes, waits for it, and
/// returns fn's result or rethrows its exception.
template <class Fn>
  requires std::invocable<Fn&> std::invoke_result_t<Fn&> run_with_stack(std::size_t stack_bytes,
                                                                        Fn fn) {
    detail::stack_job<Fn> job{std::move(fn), std::nullopt, nullptr};
    pthread_attr_t attr;
    if (int err = pthread_attr_init(&attr); err != 0)
      throw std::system_error(err, std::generic_category(), "pthread_attr_init");
    int err = pthread_attr_setstacksize(&attr, detail::round_to_pages(stack_bytes));
    pthread_t thread;
    if (err == 0) err = pthread_create(&thread, &attr, &detail::stack_job<Fn>::trampoline, &job);
    pthread_attr_destroy(&attr);
    if (err != 0) throw std::system_error(err, std::generic_category(), "pthread_create");
    if (int join_err = pthread_join(thread, nullptr); join_err != 0)
      throw std::system_error(join_err, std::generic_category(), "pthread_join");
    if (job.failure) std::rethrow_exception(job.failure);
    if constexpr (!std::is_void_v<std::invoke_result_t<Fn&>>) return std::move(*job.result);
  }

}  // namespace coflow::test_support
