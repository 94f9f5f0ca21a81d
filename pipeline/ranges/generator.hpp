// coflow/pipeline/ranges/generator.hpp
//
// generator<T>: a lazy, single-pass sequence written as a coroutine that `co_yield`s its values,
// Python's generator function. It is an input range and a view for both the standard library
// and range-v3, so it feeds range-for, range adaptors and coflow::run.
//
//   coflow::generator<long> fibonacci() {   // a, b = 1, 2
//     long a = 1, b = 2;                     // while True:
//     for (;;) {                             //     yield a
//       co_yield a;                          //     a, b = b, a + b
//       a = std::exchange(b, a + b);
//     }
//   }
//
//   auto first6 = fibonacci() | ranges::views::take(6) | ranges::to<std::vector>();
//   // 1 2 3 5 8 13
//
//   auto g = fibonacci();                    // next()-style: begin() runs to the first yield,
//   auto it = g.begin();                     // ++it to the next one
//   long first = *it;                        // 1
//
// Semantics: the body runs only when the generator is advanced: begin() runs it to its first
//   `co_yield`, each ++it to the next one, and the iterator equals end() once the body returns.
//   A value is never computed before it is asked for (range-v3's and the standard's take(n)
//   over an input range do ask for one more after the n-th). `*it` is a `T&` to the value in the
//   frame, valid until the next advance: `co_yield lvalue` copies the value (the consumer may
//   move from `*it` without touching the body's variable), `co_yield rvalue` stores no copy at
//   all (`*it` refers to the yielded temporary, which lives until the body resumes).
// Single pass: begin() may be called once; a second call throws protocol_error. Copies of a
//   generator share one frame and one pass (see below), so begin() on a copy throws as well.
// Exceptions: an exception escaping the body is rethrown by the call that advanced it (begin()
//   or ++it); the generator is then finished and the iterator equals end(). Misuse throws
//   coflow::protocol_error naming the mistake: a second begin(), begin() on a generator without
//   a body (default-constructed or moved from), `*it` or ++it at the end, and advancing a
//   generator from inside its own body.
// Lifetime: a generator owns its frame; copying it shares the frame (range-v3 0.12 requires a
//   view to be copyable), and the frame, with the destructors of the body's locals, is destroyed
//   with the last copy, also before the body finished. Iterators point into the frame and must
//   not outlive it. The share count is not atomic: copies belong to one thread at a time.
// Allocation: one frame allocation per generator, none per value.
// Compile-time rules: `co_await` in a generator body is an error (a generator never waits);
//   a generator function may not take `const T&` or `T&&` parameters, which can bind a
//   temporary that dies before the lazy body reads it. Take parameters by value, or by
//   non-const reference to an object the caller keeps alive.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <coroutine>
#include <cstddef>
#include <exception>
#include <iterator>
#include <memory>
#include <ranges>
#include <string>
#include <type_traits>
#include <utility>

#include "pipeline/detail/parameters.hpp"
#include "pipeline/protocol_error.hpp"

namespace coflow {

template <class T>
class generator;

}  // namespace coflow

// range-v3 (0.12) recognises a view by deriving from its own ranges::view_base or through this
// trait. Specializing the trait, declared here, keeps range-v3's headers out of this one:
// programs that never include range-v3 do not pay for it.
namespace ranges::ext {
template <typename T>
struct enable_view;
template <typename T>
struct enable_view<coflow::generator<T>> : std::true_type {};
}  // namespace ranges::ext

namespace coflow {

/// generator<T> is a lazy, single-pass input range whose elements a coroutine body produces
/// with `co_yield`. Its elements are `T&` references into the frame.
template <class T>
class [[nodiscard]] generator : public std::ranges::view_base {
  static_assert(std::is_object_v<T> && !std::is_array_v<T>,
                "coflow::generator<T>: T must be an object type; the iterator yields T&");

  using value_holder = std::remove_cv_t<T>;

 public:
  class promise_type;
  class iterator;
  using handle_type = std::coroutine_handle<promise_type>;

  /// generator() has no body; it exists because range-v3 requires views to be
  /// default-constructible. begin() on it throws protocol_error.
  generator() noexcept = default;

  /// generator(const generator&) shares the frame and its single pass.
  generator(const generator& other) noexcept : handle_(other.handle_) {
    if (handle_) ++handle_.promise().owners_;
  }

  generator(generator&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}

  generator& operator=(generator other) noexcept {
    std::swap(handle_, other.handle_);
    return *this;
  }

  ~generator() { release(); }

  /// begin runs the body to its first `co_yield` and returns an iterator at that value (or at
  /// the end, if the body returned without yielding). It may be called once.
  iterator begin() {
    if (!handle_) fail("begin()", "the generator has no body (default-constructed or moved from)");
    auto& promise = handle_.promise();
    if (promise.begun_)
      fail("begin()", "begin() called a second time: a generator is a single-pass range");
    promise.begun_ = true;
    auto h = handle_;
    advance(h, "begin()");
    return iterator(h);
  }

  /// end is the sentinel an iterator equals once the body has returned.
  [[nodiscard]] std::default_sentinel_t end() const noexcept { return {}; }

 private:
  explicit generator(handle_type h) noexcept : handle_(h) {}

  [[noreturn]] static void fail(const char* call, const char* mistake) {
    throw protocol_error(std::string("coflow::generator::") + call + ": " + mistake);
  }

  // Resumes the body to its next yield or its end. On return, `h` is null if the body
  // destroyed the last owner of its own frame meanwhile (the frame is gone then).
  static void advance(handle_type& h, const char* call) {
    auto& promise = h.promise();
    if (promise.running_)
      fail(call, "the generator is already running (advanced from inside its own body)");
    promise.value_ = nullptr;
    promise.running_ = true;
    h.resume();
    promise.running_ = false;
    if (promise.orphaned_) {
      std::exchange(h, nullptr).destroy();
      fail(call,
           "the generator was destroyed from inside its own body; its frame was destroyed when "
           "the body suspended");
    }
    if (promise.failure_) std::rethrow_exception(std::exchange(promise.failure_, nullptr));
  }

  void release() noexcept {
    if (!handle_) return;
    auto& promise = handle_.promise();
    if (--promise.owners_ == 0) {
      // The frame cannot be destroyed under a running body; its resumer destroys it.
      if (promise.running_) {
        promise.orphaned_ = true;
      } else {
        handle_.destroy();
      }
    }
    handle_ = nullptr;
  }

  handle_type handle_;
};

/// generator<T>::iterator is the input iterator of a generator. Copies of it advance the same
/// frame; it equals std::default_sentinel once the body has returned.
template <class T>
class generator<T>::iterator {
 public:
  using iterator_concept = std::input_iterator_tag;
  using iterator_category = std::input_iterator_tag;
  using value_type = std::remove_cv_t<T>;
  using difference_type = std::ptrdiff_t;
  using reference = T&;
  using pointer = T*;

  iterator() noexcept = default;

  /// operator* is the value the body yielded last, valid until the next advance.
  reference operator*() const { return *current("operator*()"); }
  pointer operator->() const { return current("operator->()"); }

  /// operator++ runs the body to its next `co_yield` or its end; an exception escaping the
  /// body propagates from here.
  iterator& operator++() {
    if (at_end()) generator::fail("operator++()", "the iterator is at the end of the generator");
    generator::advance(handle_, "operator++()");
    return *this;
  }
  void operator++(int) { ++*this; }

  friend bool operator==(const iterator& it, std::default_sentinel_t) noexcept {
    return it.at_end();
  }

 private:
  friend class generator;
  explicit iterator(handle_type h) noexcept : handle_(h) {}

  [[nodiscard]] bool at_end() const noexcept { return !handle_ || handle_.done(); }

  // The yielded value is null at the end, before begin() and while the body runs.
  pointer current(const char* call) const {
    pointer value = handle_ ? handle_.promise().value_ : nullptr;
    if (value == nullptr) generator::fail(call, "the iterator is at the end of the generator");
    return value;
  }

  handle_type handle_;
};

/// generator<T>::promise_type is the frame's side of a generator: it keeps a pointer to the
/// value yielded last, the exception that escaped the body, and the share count.
template <class T>
class generator<T>::promise_type {
  // Holds the copy of a yielded lvalue in the frame, across the suspension.
  struct yield_copy {
    value_holder copy;
    promise_type* promise;
    static constexpr bool await_ready() noexcept { return false; }
    void await_suspend(std::coroutine_handle<>) noexcept { promise->value_ = std::addressof(copy); }
    static constexpr void await_resume() noexcept {}
  };

  template <class>
  static constexpr bool unsupported = false;

 public:
  generator get_return_object() noexcept { return generator(handle_type::from_promise(*this)); }

  static std::suspend_always initial_suspend() noexcept { return {}; }
  static std::suspend_always final_suspend() noexcept { return {}; }

  /// `co_yield rvalue`: the consumer reads the temporary itself, which lives in the frame until
  /// the body resumes. No copy, no move.
  std::suspend_always yield_value(value_holder&& value) noexcept {
    value_ = std::addressof(value);
    return {};
  }

  /// `co_yield lvalue`: the consumer reads (and may move from) a copy, never the body's object.
  yield_copy yield_value(const value_holder& value) noexcept(
      std::is_nothrow_copy_constructible_v<value_holder>) {
    if constexpr (std::is_copy_constructible_v<value_holder>) {
      return yield_copy{value, this};
    } else {
      static_assert(std::is_copy_constructible_v<value_holder>,
                    "co_yield of an lvalue copies it, and this element type cannot be copied: "
                    "yield it with `co_yield std::move(x)`");
      std::terminate();  // not reached: the static_assert has failed
    }
  }

  void return_void() noexcept {}

  void unhandled_exception() noexcept { failure_ = std::current_exception(); }

  /// A generator body produces values and never waits: there is nothing to co_await.
  /// (It returns an awaitable only so that the static_assert is the one error reported.)
  template <class Awaitable>
  std::suspend_never await_transform(Awaitable&&) {
    static_assert(unsupported<Awaitable>,
                  "co_await is not supported in a coflow::generator body: a generator produces "
                  "values with `co_yield` and cannot wait; use a coflow::task to wait");
    return {};
  }

 private:
  friend class generator;
  friend class generator::iterator;

  T* value_ = nullptr;
  std::exception_ptr failure_;  // escaped the body; rethrown by the call that advanced it
  std::size_t owners_ = 1;      // generator objects sharing the frame
  bool begun_ = false;
  bool running_ = false;
  bool orphaned_ = false;  // the last owner was destroyed while the body was running
};

}  // namespace coflow

/// Rejects generator functions whose parameters can dangle (C++ Core Guidelines CP.53).
template <class T, class... Params>
struct std::coroutine_traits<coflow::generator<T>, Params...> {
  static_assert(coflow::detail::parameters_by_value<coflow::generator<T>, Params...>,
                "a coflow::generator function must take its parameters by value: a `const T&` "
                "or `T&&` parameter can bind a temporary that is destroyed before the lazy "
                "body reads it. Take the parameter by value (or by non-const reference to an "
                "object the caller keeps alive).");
  using promise_type = typename coflow::generator<T>::promise_type;
};
