// coflow/pipeline/scheduler/task.hpp
//
// task<T>: a lazy coroutine that a coflow::scheduler runs on one thread, interleaved with
// other tasks at its co_await points. `task<>` is `task<void>`.
//
//   coflow::task<int> fetch(coflow::channel<int>& in) {
//     std::optional<int> v = co_await in.receive();   // waits while the channel is empty
//     co_await coflow::sleep_for(10ms);                 // other tasks run meanwhile
//     co_return v.value_or(0);
//   }
//   coflow::task<> report(coflow::channel<int>& in) {
//     int v = co_await fetch(in);                       // runs fetch(), waits for its result
//     std::cout << v << '\n';
//   }
//
// A task body may co_await another task, coflow::yield_now(), coflow::sleep_for / sleep_until,
// a coflow::event, a coflow::channel's send() / receive(), and coflow::push_async (a pipeline
// with a thread boundary); anything else is rejected at compile time, because nothing would
// resume the task.
//
// Semantics:
// - Lazy: creating a task runs nothing. It starts when a scheduler spawns it, or when a running
//   task co_awaits it (it then runs next, on the awaiting task's scheduler).
// - `co_await t` waits until t has finished and gives its result, moved out of t, or rethrows
//   the exception that escaped t's body. A task has one awaiter: a second co_await is a
//   protocol_error. Awaiting a task is not a yield: a task that finishes without suspending
//   hands its result back before any other task runs.
// - result() reads the outcome from outside, after the task finished (e.g. after
//   scheduler::run): the value, or the exception rethrown.
// Exceptions: an exception escaping a body is stored in the frame and reaches whoever awaits
// the task (co_await) or reads it (result()). When the task was handed over to the scheduler,
// or its handle dropped before it finished, and nobody awaits it, it propagates out of
// scheduler::run. (A handle dropped after its task failed, unread, drops the exception with
// it, as std::future does.) Misuse throws coflow::protocol_error: awaiting twice, awaiting a
// task that another scheduler runs, a task awaiting itself, result() before the task finished
// or after co_await moved it out, use of a moved-from task.
// Lifetime: move-only. The handle owns the frame before the task starts and after it
// finished; while it runs, the scheduler does, so dropping the handle detaches the task (it
// runs to its end, and its frame is then freed). Destroying the scheduler destroys every
// unfinished frame (its locals' destructors run); a handle left referring to one reports
// cancelled(). Parameters: a task function may not take `const T&` or `T&&` parameters, which
// can bind a temporary that dies before the body reads it (a compile-time error); take them by
// value, or by non-const reference to objects that outlive the task. A lambda's captures are
// the same: keep a capturing lambda alive until its task has finished.
// Cost: one frame allocation per task; none per suspension or resumption. A task that never
// reaches a co_await that suspends keeps the thread: scheduling is cooperative.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <concepts>
#include <coroutine>
#include <exception>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "pipeline/detail/parameters.hpp"
#include "pipeline/protocol_error.hpp"
#include "pipeline/scheduler/detail/scheduler_core.hpp"

namespace coflow {

template <class T = void>
class task;

namespace detail {

// What a task body may co_await: coflow's own awaitables, which know how to queue the task
// for resumption.
template <class A>
concept task_awaitable = std::derived_from<std::remove_cvref_t<A>, awaitable_base>;

template <class T>
struct task_result {
  std::optional<T> value;
  template <class U = T>
    requires std::convertible_to<U&&, T>
  void return_value(U&& v) { value.emplace(std::forward<U>(v)); }
};

template <>
struct task_result<void> {
  void return_void() noexcept {}
};

template <class T>
class task_promise : public task_node, public task_result<T> {
 public:
  task_promise() noexcept { handle = std::coroutine_handle<task_promise>::from_promise(*this); }

  task<T> get_return_object() noexcept;
  std::suspend_always initial_suspend() noexcept { return {}; }
  std::suspend_always final_suspend() noexcept {
    finished = true;
    return {};
  }
  void unhandled_exception() noexcept { failure = std::current_exception(); }

  template <task_awaitable A>
  A&& await_transform(A&& awaitable) noexcept {
    return std::forward<A>(awaitable);
  }

  template <class A>
    requires(!task_awaitable<A>)
  void await_transform(A&&) {
    static_assert(task_awaitable<A>,
                  "a coflow::task can co_await only another coflow::task, coflow::yield_now(), "
                  "coflow::sleep_for / sleep_until, a coflow::event, a coflow::channel's "
                  "send() / receive(), or coflow::push_async: nothing would resume the task "
                  "after another awaitable");
  }
};

[[noreturn]] inline void task_misuse(const char* call, const char* mistake) {
  throw protocol_error(std::string("coflow::task::") + call + ": " + mistake);
}

// Takes a finished frame's outcome: rethrows its failure, or moves its value out.
template <class T>
T take_result(task_node& node) {
  if (node.failure) std::rethrow_exception(node.failure);
  if (node.result_taken) task_misuse("co_await", "the result was already moved out");
  node.result_taken = true;
  if constexpr (!std::is_void_v<T>) {
    return std::move(*static_cast<task_promise<T>&>(node).value);
  }
}

// `co_await task`: starts the task if it is new, waits for it to finish, and takes its result.
template <class T>
class join_awaiter {
 public:
  explicit join_awaiter(task_node& target) noexcept : target_(&target) {}
  // Moved (by some compilers) before it is awaited, never while it waits.
  join_awaiter(join_awaiter&& other) noexcept : target_(other.target_), mistake_(other.mistake_) {}
  join_awaiter& operator=(const join_awaiter&) = delete;
  ~join_awaiter() {
    // Our task is destroyed while it waits (its scheduler is being destroyed).
    if (self_ != nullptr && self_->awaiting != nullptr) release_target();
  }

  bool await_ready() const noexcept { return target_->finished; }

  template <class Promise>
  bool await_suspend(std::coroutine_handle<Promise> h) noexcept {
    task_node& self = node_of(h);
    if (&self == target_) {
      mistake_ = "a task awaits itself";
      return false;
    }
    if (!target_->started) {
      self.core->start(*target_, /*at_front=*/true);
    } else if (target_->core != self.core) {
      mistake_ = "the task runs on another scheduler than the awaiting task";
      return false;
    }
    target_->continuation = &self;
    target_->join_pending = true;
    self.awaiting = target_;
    self_ = &self;
    return true;
  }

  T await_resume() {
    if (mistake_ != nullptr) task_misuse("co_await", mistake_);
    if (self_ == nullptr) return take_result<T>(*target_);  // finished before we waited
    task_node* target = self_->awaiting;
    if (target == nullptr) task_misuse("co_await", "the awaited task was destroyed");
    struct release_guard {
      join_awaiter& awaiter;
      ~release_guard() { awaiter.release_target(); }
    } guard{*this};
    return take_result<T>(*target);
  }

 private:
  // Ends the wait; frees the target if its handle was dropped meanwhile (it is ours to free).
  void release_target() noexcept {
    task_node* target = std::exchange(self_->awaiting, nullptr);
    if (target == nullptr) return;
    target->continuation = nullptr;
    target->join_pending = false;
    if (target->finished && target->owner == nullptr) target->handle.destroy();
  }

  task_node* target_;
  task_node* self_ = nullptr;  // the awaiting task, once it suspended
  const char* mistake_ = nullptr;
};

}  // namespace detail

/// task<T> is a coroutine run by a coflow::scheduler that finishes with a T (nothing for
/// task<void>). See the file comment for its semantics.
template <class T>
class [[nodiscard]] task : public detail::task_owner {
  static_assert(std::is_void_v<T> ||
                    (std::is_object_v<T> && !std::is_array_v<T> && std::is_move_constructible_v<T>),
                "coflow::task<T>: T must be void or a move-constructible object type");

 public:
  using promise_type = detail::task_promise<T>;
  using value_type = T;

  task(task&&) noexcept = default;
  task& operator=(task&&) noexcept = default;
  ~task() = default;

  /// done is true once the body has returned or thrown, or the task was cancelled (its
  /// scheduler was destroyed before it finished). False for a moved-from task.
  [[nodiscard]] bool done() const noexcept {
    return cancelled_ || (node_ != nullptr && node_->finished);
  }

  /// cancelled is true when the scheduler running the task was destroyed before it finished.
  [[nodiscard]] bool cancelled() const noexcept { return cancelled_; }

  /// result rethrows the exception that escaped the body, or returns the value (a reference
  /// into the frame, valid while this handle lives). Throws protocol_error if the task has not
  /// finished, was cancelled, or its value was moved out by co_await.
  decltype(auto) result() & { return result_ref(); }

  /// result on an rvalue moves the value out (once; a second read is a protocol_error).
  T result() && {
    if constexpr (std::is_void_v<T>) {
      result_ref();
    } else {
      T value = std::move(result_ref());
      node_->result_taken = true;
      return value;
    }
  }

  /// co_await on a task: see the file comment.
  detail::join_awaiter<T> operator co_await() {
    if (node_ == nullptr) fail_empty("co_await");
    if (node_->awaited)
      detail::task_misuse("co_await",
                          "the task is awaited a second time (a task has one awaiter, which "
                          "receives its result)");
    node_->awaited = true;
    return detail::join_awaiter<T>(*node_);
  }

 private:
  friend class detail::task_promise<T>;
  explicit task(promise_type& promise) noexcept : task_owner(promise) {}

  [[noreturn]] void fail_empty(const char* call) const {
    if (cancelled_)
      detail::task_misuse(call,
                          "the task was cancelled: its scheduler was destroyed before it finished");
    detail::task_misuse(call, "use of a moved-from task");
  }

  std::add_lvalue_reference_t<T> result_ref() {
    if (node_ == nullptr) fail_empty("result()");
    if (!node_->finished) detail::task_misuse("result()", "the task has not finished");
    if (node_->failure) std::rethrow_exception(node_->failure);
    if (node_->result_taken)
      detail::task_misuse("result()", "the result was moved out by co_await or result()");
    if constexpr (!std::is_void_v<T>) {
      return *static_cast<promise_type&>(*node_).value;
    }
  }
};

template <class T>
task<T> detail::task_promise<T>::get_return_object() noexcept {
  return task<T>(*this);
}

}  // namespace coflow

/// Rejects task functions whose parameters can dangle (C++ Core Guidelines CP.53).
template <class T, class... Params>
struct std::coroutine_traits<coflow::task<T>, Params...> {
  static_assert(coflow::detail::parameters_by_value<coflow::task<T>, Params...>,
                "a coflow::task function must take its parameters by value: a `const T&` or "
                "`T&&` parameter can bind a temporary that is destroyed before the lazy body "
                "reads it. Take the parameter by value (or by non-const reference to an object "
                "the caller keeps alive).");
  using promise_type = typename coflow::task<T>::promise_type;
};
