// coflow/pipeline/scheduler/feed.hpp
//
// feed(channel, target): the bridge from tasks to a push pipeline (fan-in). A task that
// receives every value of a channel, sends each into `target`, and returns target.close():
// several producer tasks send into one channel, and one pipeline consumes the merged stream.
//
//   coflow::channel<int> readings(16);
//   coflow::scheduler s;
//   s.spawn(sensor(readings, 1));                 // producers: co_await readings.send(v)
//   s.spawn(sensor(readings, 2));
//   s.spawn(close_when_done(readings, ...));      // closes the channel after the producers
//   auto sum = summer();                           // a coflow::consumer<int, long>
//   sum.start();
//   long total = s.run(coflow::feed(readings, std::move(sum)));
//
// Semantics: the task receives until the channel is closed and drained, sending each value
// into target in arrival order; it stops early as soon as target.done() (e.g. a take(n) is
// full, or the consumer returned), and finally returns target.close(). After an early stop the
// channel is left as it is: values still buffered stay there, and producers waiting for room
// wait on (close the channel, or let run(feed task) return and the scheduler cancel them).
// `target` is anything with send(v), close() and done() (the push_target concept): a started
// coflow::consumer<T, R>, or an opened coflow::pipeline. It is not started here.
// Exceptions: an exception from target.send() or target.close() propagates out of the task
// (to its awaiter, or to scheduler::run), and the rest of the channel is not read.
// Lifetime: the channel is taken by reference and must outlive the task. An lvalue target is
// taken by reference too (the caller keeps it alive, and can inspect it afterwards); an rvalue
// target is moved into the task's frame.
// Cost: one task frame; per value, one channel receive and one target.send().
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <concepts>
#include <optional>
#include <type_traits>
#include <utility>

#include "pipeline/scheduler/channel.hpp"
#include "pipeline/scheduler/task.hpp"

namespace coflow {

/// push_target<Target, T> is an object that values of type T can be pushed into, and that
/// says when it wants no more and finishes with a result: send(v), done(), close().
template <class Target, class T>
concept push_target = requires(Target& target, T value) {
  target.send(std::move(value));
  { target.done() } -> std::convertible_to<bool>;
  target.close();
};

namespace detail {

template <class Target>
using close_result_t = std::remove_cvref_t<decltype(std::declval<Target&>().close())>;

// Stored is Target& for an lvalue target (the caller keeps it), Target for an rvalue.
// no_sanitize: clang 14's -fsanitize=function (part of `undefined`) copies the ramp function's
// prologue data into the coroutine's resume and destroy clones, which for a function template
// (a COMDAT section of its own) the assembler rejects ("Cannot represent a difference across
// sections"). The body has nothing else UBSan would check that the callees do not.
template <class T, class Stored>
__attribute__((no_sanitize("undefined"))) task<close_result_t<std::remove_reference_t<Stored>>>
feed_task(channel<T>& source, Stored target) {
  while (!target.done()) {
    std::optional<T> value = co_await source.receive();
    if (!value) break;
    target.send(std::move(*value));
  }
  if constexpr (std::is_void_v<close_result_t<std::remove_reference_t<Stored>>>) {
    target.close();
  } else {
    co_return target.close();
  }
}

}  // namespace detail

/// feed returns a task that pushes every value of `source` into `target` and returns
/// target.close(); see the file comment.
template <class T, class Target>
  requires push_target<std::remove_reference_t<Target>, T>
[[nodiscard]] task<detail::close_result_t<std::remove_cvref_t<Target>>> feed(channel<T>& source,
                                                                             Target&& target) {
  if constexpr (std::is_lvalue_reference_v<Target>) {
    return detail::feed_task<T, Target>(source, target);
  } else {
    return detail::feed_task<T, std::remove_cvref_t<Target>>(source, std::move(target));
  }
}

}  // namespace coflow
