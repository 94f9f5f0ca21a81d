// Tests for pipeline/coroutine.hpp: the Python generator-coroutine twins, every misuse, the
// lifetime of frames and locals, exceptions, emit, and move-only types.
#include "pipeline/coroutine.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "pipeline/protocol_error.hpp"
#include "pipeline/receive.hpp"
#include "pipeline/status.hpp"

namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// ---------------------------------------------------------------------------------------------
// What must and must not compile.

static_assert(!std::is_copy_constructible_v<coflow::coroutine<int>>);
static_assert(!std::is_copy_assignable_v<coflow::coroutine<int>>);
static_assert(std::is_nothrow_move_constructible_v<coflow::coroutine<int, double, long>>);
static_assert(std::is_nothrow_move_assignable_v<coflow::coroutine<int, double, long>>);
static_assert(std::is_void_v<coflow::consumer<int>::reply_type>);
static_assert(std::is_void_v<coflow::consumer<int, long>::reply_type>);
static_assert(std::is_same_v<coflow::consumer<int, long>, coflow::coroutine<int, void, long>>);
static_assert(std::is_same_v<coflow::coroutine<int, double>::reply_type, std::optional<double>>);
static_assert(
    std::is_same_v<decltype(std::declval<coflow::coroutine<int, double, long>&>().close()), long>);
static_assert(std::is_same_v<decltype(std::declval<coflow::coroutine<int, double>&>().send(1)),
                             std::optional<double>>);
static_assert(std::is_base_of_v<std::logic_error, coflow::protocol_error>);

struct takes_int {
  void operator()(int) const {}
};
struct takes_string {
  void operator()(std::string) const {}
};

template <class Coro, class Fn>
concept drivable_with = requires(Coro& c, typename Coro::input_type v, Fn out) {
  c.send(std::move(v), out);
  c.close(out);
};

template <class Coro, class Value>
concept accepts = requires(Coro& c, Value v) {
  c.send(v);
};

// send(value, out) and close(out) accept only a callback that can take the output type.
static_assert(drivable_with<coflow::coroutine<int, std::string>, takes_string>);
static_assert(!drivable_with<coflow::coroutine<int, std::string>, takes_int>);
// A value of the wrong type cannot be sent.
static_assert(accepts<coflow::coroutine<std::string, int>, const char*>);
static_assert(!accepts<coflow::coroutine<std::string, int>, std::vector<int>>);

// ---------------------------------------------------------------------------------------------
// The leak oracles. A `live_local` in a body exists exactly while the body's scope does: it is
// destroyed when the body returns or when its suspended frame is destroyed. A `frame_token`
// parameter is copied into the frame and lives exactly as long as the frame itself.

struct live_local {
  static inline int live = 0;
  live_local() { ++live; }
  live_local(const live_local&) = delete;
  live_local& operator=(const live_local&) = delete;
  ~live_local() { --live; }
};

struct frame_token {
  static inline int live = 0;
  frame_token() { ++live; }
  frame_token(const frame_token&) { ++live; }
  frame_token& operator=(const frame_token&) = default;
  ~frame_token() { --live; }
};

// Every suite checks, after each test, that no body scope and no frame outlived its test.
class LeakChecked : public ::testing::Test {
 protected:
  void TearDown() override {
    EXPECT_EQ(live_local::live, 0) << "a coroutine body's locals were never destroyed";
    EXPECT_EQ(frame_token::live, 0) << "a coroutine frame was never destroyed";
    live_local::live = 0;
    frame_token::live = 0;
  }
};

class CoroutinePythonTwins : public LeakChecked {};
class CoroutineMisuse : public LeakChecked {};
class CoroutineLifetime : public LeakChecked {};
class CoroutineExceptions : public LeakChecked {};
class CoroutineEmit : public LeakChecked {};
class CoroutineMoveOnly : public LeakChecked {};

// Runs `call` and returns the message of the protocol_error it throws.
template <class Call>
std::string protocol_error_from(Call call) {
  try {
    call();
  } catch (const coflow::protocol_error& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected coflow::protocol_error, got: " << e.what();
    return {};
  }
  ADD_FAILURE() << "expected coflow::protocol_error, nothing was thrown";
  return {};
}

// ---------------------------------------------------------------------------------------------
// The Python twins.

// def repeater():
//     while True:
//         received = yield
//         print('Echo:', received)
coflow::consumer<std::string> repeater(std::ostream& out, frame_token = {}) {
  live_local alive;
  while (auto received = co_yield coflow::receive) out << "Echo: " << *received << '\n';
}

TEST_F(CoroutinePythonTwins, RepeaterEchoesEachValueItReceives) {
  std::ostringstream out;
  auto echo = repeater(out);
  echo.start();
  EXPECT_EQ(out.str(), "");
  echo.send("First");
  echo.send("Second");
  EXPECT_EQ(out.str(), "Echo: First\nEcho: Second\n");
  echo.close();
  EXPECT_TRUE(echo.done());
  EXPECT_EQ(live_local::live, 0);
}

// def minimize():
//     current = yield
//     while True:
//         value = yield current
//         current = min(value, current)
coflow::coroutine<int, int> minimize(frame_token = {}) {
  live_local alive;
  auto first = co_yield coflow::receive;
  if (!first) co_return;
  int current = *first;
  while (auto value = co_yield current) current = std::min(*value, current);
}

TEST_F(CoroutinePythonTwins, MinimizeRepliesWithTheRunningMinimum) {
  auto it = minimize();
  EXPECT_EQ(it.start(), std::nullopt);
  EXPECT_EQ(it.send(10), 10);
  EXPECT_EQ(it.send(4), 4);
  EXPECT_EQ(it.send(22), 4);
  EXPECT_EQ(it.send(-1), -1);
  it.close();
  EXPECT_TRUE(it.done());
}

// def averager():
//     total = 0.0
//     count = 0
//     average = None
//     while True:
//         term = yield average
//         total += term
//         count += 1
//         average = total / count
coflow::coroutine<double, double> averager(frame_token = {}) {
  live_local alive;
  double total = 0;
  long count = 0;
  std::optional<double> average;
  while (auto term = co_yield average) {
    total += *term;
    average = total / static_cast<double>(++count);
  }
}

TEST_F(CoroutinePythonTwins, AveragerRepliesWithTheRunningMean) {
  auto avg = averager();
  EXPECT_EQ(avg.status(), coflow::status::created);
  EXPECT_EQ(avg.start(), std::nullopt);  // Python's None
  EXPECT_EQ(avg.send(10), 10.0);
  EXPECT_EQ(avg.send(20), 15.0);
  EXPECT_EQ(avg.send(6), 12.0);
  EXPECT_EQ(avg.status(), coflow::status::suspended);
  EXPECT_TRUE(avg.receiving());
  EXPECT_EQ(live_local::live, 1);
  avg.close();
  EXPECT_EQ(avg.status(), coflow::status::done);
  EXPECT_TRUE(avg.done());
  EXPECT_EQ(live_local::live, 0);
}

// Result = namedtuple('Result', 'count average')
//
// def averager2():
//     total = 0.0
//     count = 0
//     average = None
//     while True:
//         term = yield
//         if term is None:
//             break
//         total += term
//         count += 1
//         average = total / count
//     return Result(count, average)
struct averager_result {
  long count = 0;
  std::optional<double> average;
};

coflow::consumer<double, averager_result> averager2(frame_token = {}) {
  live_local alive;
  double total = 0;
  long count = 0;
  std::optional<double> average;
  while (auto term = co_yield coflow::receive) {
    total += *term;
    average = total / static_cast<double>(++count);
  }
  co_return averager_result{count, average};
}

TEST_F(CoroutinePythonTwins, Averager2ReturnsCountAndAverageFromClose) {
  auto avg = averager2();
  avg.start();
  for (double term : {10.0, 20.0, 6.0, 14.0}) avg.send(term);
  const averager_result result = avg.close();
  EXPECT_EQ(result.count, 4);
  EXPECT_EQ(result.average, 12.5);
  EXPECT_TRUE(avg.done());
}

TEST_F(CoroutinePythonTwins, Averager2ReturnsAnEmptyAverageForAStartedStreamWithNoValues) {
  auto avg = averager2();
  avg.start();
  const averager_result result = avg.close();
  EXPECT_EQ(result.count, 0);
  EXPECT_EQ(result.average, std::nullopt);
}

TEST_F(CoroutinePythonTwins, Averager2ReturnsAnEmptyAverageWhenClosedBeforeStart) {
  auto avg = averager2();
  const averager_result result = avg.close();
  EXPECT_EQ(result.count, 0);
  EXPECT_EQ(result.average, std::nullopt);
  EXPECT_TRUE(avg.done());
}

TEST_F(CoroutinePythonTwins, CloseOnAFinishedCoroutineReturnsTheResultAgain) {
  auto avg = averager2();
  avg.start();
  avg.send(3);
  EXPECT_EQ(avg.close().count, 1);
  EXPECT_EQ(avg.close().count, 1);
}

// def coro():
//     yield 5
//     return 10
coflow::coroutine<int, int, int> five_then_ten(frame_token = {}) {
  live_local alive;
  co_yield 5;
  co_return 10;
}

TEST_F(CoroutinePythonTwins, YieldFiveThenReturnTenRepliesFiveAndClosesWithTen) {
  auto c = five_then_ten();
  EXPECT_EQ(c.start(), 5);
  EXPECT_EQ(c.status(), coflow::status::suspended);
  EXPECT_EQ(c.close(), 10);
  EXPECT_TRUE(c.done());
}

TEST_F(CoroutinePythonTwins, YieldFiveThenReturnTenFinishesWithAnEmptyReplyWhenSentAValue) {
  auto c = five_then_ten();
  EXPECT_EQ(c.start(), 5);
  EXPECT_EQ(c.send(1), std::nullopt);  // Python: StopIteration(10)
  EXPECT_TRUE(c.done());
  EXPECT_EQ(c.close(), 10);
}

// class DemoException(Exception):
//     pass
//
// def demo_exc_handling():
//     while True:
//         try:
//             x = yield
//         except DemoException:
//             print('Demo exception handled. Continuing...')
//         else:
//             print('Coroutine received value of', x)
struct demo_exception : std::runtime_error {
  demo_exception() : std::runtime_error("demo") {}
};

using demo_value = std::variant<int, std::string>;

std::string to_text(const demo_value& v) {
  if (const int* i = std::get_if<int>(&v)) return std::to_string(*i);
  return std::get<std::string>(v);
}

coflow::consumer<demo_value> demo_exc_handling(std::ostream& out, frame_token = {}) {
  live_local alive;
  for (;;) {
    try {
      auto x = co_yield coflow::receive;
      if (!x) co_return;
      out << "Coroutine received value of " << to_text(*x) << '\n';
    } catch (const demo_exception&) {
      out << "Demo exception handled. Continuing...\n";
    }
  }
}

TEST_F(CoroutinePythonTwins, HandledExceptionLetsTheCoroutineKeepReceiving) {
  std::ostringstream out;
  auto c = demo_exc_handling(out);
  c.start();
  c.send(34);
  c.throw_into(demo_exception());
  EXPECT_EQ(c.status(), coflow::status::suspended);
  c.send(343444);
  c.send(std::string("hi"));
  EXPECT_EQ(out.str(),
            "Coroutine received value of 34\n"
            "Demo exception handled. Continuing...\n"
            "Coroutine received value of 343444\n"
            "Coroutine received value of hi\n");
  c.close();
  EXPECT_TRUE(c.done());
}

TEST_F(CoroutinePythonTwins, UnhandledExceptionEndsTheCoroutineAndPropagatesOutOfThrowInto) {
  std::ostringstream out;
  auto c = demo_exc_handling(out);
  c.start();
  c.send(1);
  EXPECT_THROW(c.throw_into(std::out_of_range("not handled")), std::out_of_range);
  EXPECT_TRUE(c.done());
  EXPECT_EQ(live_local::live, 0);
  EXPECT_EQ(out.str(), "Coroutine received value of 1\n");
  EXPECT_THAT(protocol_error_from([&] { c.send(2); }), HasSubstr("after the coroutine is done"));
}

TEST_F(CoroutinePythonTwins, ThrowIntoAcceptsAnExceptionPtr) {
  std::ostringstream out;
  auto c = demo_exc_handling(out);
  c.start();
  c.throw_into(std::make_exception_ptr(demo_exception()));
  EXPECT_EQ(out.str(), "Demo exception handled. Continuing...\n");
  EXPECT_FALSE(c.done());
  c.close();
}

// import inspect
//
// def coro():
//     print(inspect.getgeneratorstate(c))   # GEN_RUNNING
//     while (yield) is not None:
//         pass
coflow::consumer<int> observe_own_status(std::optional<coflow::consumer<int>>& self,
                                         std::vector<coflow::status>& seen, frame_token = {}) {
  live_local alive;
  seen.push_back(self->status());
  while (co_yield coflow::receive) seen.push_back(self->status());
}

TEST_F(CoroutinePythonTwins, StatusGoesFromCreatedToSuspendedToDoneAndIsRunningInside) {
  std::vector<coflow::status> seen;
  std::optional<coflow::consumer<int>> c;
  c.emplace(observe_own_status(c, seen));
  EXPECT_EQ(c->status(), coflow::status::created);
  EXPECT_FALSE(c->done());
  EXPECT_FALSE(c->receiving());
  c->start();
  EXPECT_EQ(c->status(), coflow::status::suspended);
  c->send(1);
  EXPECT_EQ(c->status(), coflow::status::suspended);
  c->close();
  EXPECT_EQ(c->status(), coflow::status::done);
  EXPECT_TRUE(c->done());
  EXPECT_FALSE(c->receiving());
  EXPECT_THAT(seen, ElementsAre(coflow::status::running, coflow::status::running));
  EXPECT_EQ(coflow::to_string(coflow::status::running), "running");
  std::ostringstream names;
  names << coflow::status::created << ' ' << coflow::status::suspended << ' '
        << coflow::status::done;
  EXPECT_EQ(names.str(), "created suspended done");
}

// ---------------------------------------------------------------------------------------------
// Misuse: every one throws protocol_error naming the mistake, and nothing leaks.

coflow::consumer<int> sink(frame_token = {}) {
  live_local alive;
  while (co_yield coflow::receive) {
  }
}

TEST_F(CoroutineMisuse, SendBeforeStartIsRejected) {
  auto c = minimize();
  EXPECT_THAT(protocol_error_from([&] { c.send(1); }), HasSubstr("send() before start()"));
  EXPECT_EQ(c.status(), coflow::status::created);
  EXPECT_EQ(c.start(), std::nullopt);  // still usable
  EXPECT_EQ(c.send(3), 3);
}

TEST_F(CoroutineMisuse, StartTwiceIsRejected) {
  auto c = sink();
  c.start();
  EXPECT_THAT(protocol_error_from([&] { c.start(); }), HasSubstr("already started"));
  EXPECT_EQ(c.status(), coflow::status::suspended);
}

TEST_F(CoroutineMisuse, EveryResumingCallAfterDoneIsRejected) {
  auto c = minimize();
  c.start();
  c.close();
  ASSERT_TRUE(c.done());
  EXPECT_THAT(protocol_error_from([&] { c.send(1); }), HasSubstr("after the coroutine is done"));
  EXPECT_THAT(protocol_error_from([&] { c.send(1, [](int) {}); }),
              HasSubstr("after the coroutine is done"));
  EXPECT_THAT(protocol_error_from([&] { c.next(); }), HasSubstr("after the coroutine is done"));
  EXPECT_THAT(protocol_error_from([&] { c.throw_into(demo_exception()); }),
              HasSubstr("after the coroutine is done"));
  EXPECT_THAT(protocol_error_from([&] { c.start(); }), HasSubstr("already started"));
  c.close();  // closing a finished coroutine does nothing more
  EXPECT_TRUE(c.done());
}

TEST_F(CoroutineMisuse, EveryCallOnAMovedFromCoroutineIsRejected) {
  auto moved_from = minimize();
  auto owner = std::move(moved_from);
  EXPECT_EQ(frame_token::live, 1);
  const std::string what = "moved-from";
  EXPECT_THAT(protocol_error_from([&] { moved_from.start(); }), HasSubstr(what));
  EXPECT_THAT(protocol_error_from([&] { moved_from.send(1); }), HasSubstr(what));
  EXPECT_THAT(protocol_error_from([&] { moved_from.send(1, [](int) {}); }), HasSubstr(what));
  EXPECT_THAT(protocol_error_from([&] { moved_from.next(); }), HasSubstr(what));
  EXPECT_THAT(protocol_error_from([&] { moved_from.close(); }), HasSubstr(what));
  EXPECT_THAT(protocol_error_from([&] { moved_from.close([](int) {}); }), HasSubstr(what));
  EXPECT_THAT(protocol_error_from([&] { moved_from.throw_into(demo_exception()); }),
              HasSubstr(what));
  EXPECT_THAT(protocol_error_from([&] { (void)moved_from.status(); }), HasSubstr(what));
  EXPECT_THAT(protocol_error_from([&] { (void)moved_from.done(); }), HasSubstr(what));
  EXPECT_FALSE(moved_from.receiving());
  EXPECT_FALSE(moved_from.emitting());
  // The frame went with the move and still works.
  EXPECT_EQ(owner.start(), std::nullopt);
  EXPECT_EQ(owner.send(7), 7);
}

TEST_F(CoroutineMisuse, ThrowIntoWithANullExceptionPtrIsRejected) {
  auto c = sink();
  c.start();
  EXPECT_THAT(protocol_error_from([&] { c.throw_into(std::exception_ptr()); }), HasSubstr("null"));
  EXPECT_EQ(c.status(), coflow::status::suspended);
}

// Tries every resuming call on its own coroutine from inside the body.
coflow::consumer<int> reenter(std::optional<coflow::consumer<int>>& self,
                              std::vector<std::string>& errors, frame_token = {}) {
  live_local alive;
  auto record = [&errors](auto call) {
    try {
      call();
      errors.push_back("no error");
    } catch (const coflow::protocol_error& e) {
      errors.push_back(e.what());
    }
  };
  record([&] { self->start(); });  // during the first run the body still stands at its start
  while (auto v = co_yield coflow::receive) {
    record([&] { self->send(*v + 1); });
    record([&] { self->next(); });
    record([&] { self->throw_into(demo_exception()); });
    record([&] { self->close(); });
    record([&] { self->start(); });
  }
}

TEST_F(CoroutineMisuse, ReentrantCallsFromInsideTheRunningBodyAreRejected) {
  std::vector<std::string> errors;
  std::optional<coflow::consumer<int>> c;
  c.emplace(reenter(c, errors));
  c->start();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], HasSubstr("already running"));
  c->send(1);
  ASSERT_EQ(errors.size(), 6u);
  EXPECT_THAT(errors[1], HasSubstr("send()"));
  for (const std::string& e : errors) EXPECT_THAT(e, HasSubstr("already running"));
  EXPECT_EQ(c->status(), coflow::status::suspended);
  c->close();
  EXPECT_TRUE(c->done());
}

// Python:
//   def stubborn():
//       while True:
//           try:
//               yield
//           except GeneratorExit:
//               pass
//   c = stubborn(); next(c); c.close()   # RuntimeError: generator ignored GeneratorExit
coflow::consumer<int> ignores_end_of_stream(int& ends_seen, frame_token = {}) {
  live_local alive;
  for (;;) {
    if (!(co_yield coflow::receive)) ++ends_seen;
  }
}

TEST_F(CoroutineMisuse, ABodyThatWaitsAgainAfterCloseIsDestroyedAndReported) {
  int ends_seen = 0;
  auto c = ignores_end_of_stream(ends_seen);
  c.start();
  EXPECT_THAT(protocol_error_from([&] { c.close(); }), HasSubstr("after end of stream"));
  EXPECT_EQ(ends_seen, 1);
  EXPECT_EQ(live_local::live, 0) << "the frame must be destroyed at once";
  EXPECT_EQ(frame_token::live, 0);
  EXPECT_EQ(c.status(), coflow::status::done);
  EXPECT_TRUE(c.done());
  EXPECT_FALSE(c.receiving());
  // Every later call is checked, not a use of the destroyed frame.
  EXPECT_NO_THROW(c.close());
  EXPECT_THAT(protocol_error_from([&] { c.send(1); }), HasSubstr("after the coroutine is done"));
  EXPECT_THAT(protocol_error_from([&] { c.next(); }), HasSubstr("after the coroutine is done"));
  EXPECT_THAT(protocol_error_from([&] { c.throw_into(demo_exception()); }),
              HasSubstr("after the coroutine is done"));
  EXPECT_THAT(protocol_error_from([&] { c.start(); }), HasSubstr("already started"));
}

// Emits a final batch at end of stream, as a batcher flushes.
coflow::coroutine<int, int> flushes_sum_at_end(frame_token = {}) {
  live_local alive;
  int total = 0;
  while (auto v = co_yield coflow::receive) total += *v;
  co_yield coflow::emit(total);
}

TEST_F(CoroutineMisuse, CloseWithoutAnOutputCallbackOnABodyThatEmitsWhileClosingIsRejected) {
  auto c = flushes_sum_at_end();
  c.start();
  c.send(2);
  EXPECT_THAT(protocol_error_from([&] { c.close(); }), HasSubstr("close(out)"));
  EXPECT_TRUE(c.done());
  EXPECT_EQ(live_local::live, 0);
  EXPECT_EQ(frame_token::live, 0);
}

TEST_F(CoroutineMisuse, NextWhileTheBodyWaitsForAValueIsRejected) {
  auto c = minimize();
  c.start();
  EXPECT_THAT(protocol_error_from([&] { c.next(); }), HasSubstr("waits for a value"));
  EXPECT_EQ(c.send(5), 5);  // still usable
}

coflow::coroutine<int, int> emit_twice(frame_token = {}) {
  live_local alive;
  while (auto v = co_yield coflow::receive) {
    co_yield coflow::emit(*v);
    co_yield coflow::emit(*v);
  }
}

TEST_F(CoroutineMisuse, SendWhileTheBodyIsEmittingIsRejected) {
  auto twice = emit_twice();
  twice.start();
  EXPECT_EQ(twice.send(3), 3);
  ASSERT_TRUE(twice.emitting());
  EXPECT_THAT(protocol_error_from([&] { twice.send(9); }), HasSubstr("emitting, not receiving"));
  EXPECT_EQ(twice.next(), 3);
  EXPECT_EQ(twice.next(), std::nullopt);
  EXPECT_TRUE(twice.receiving());
  twice.close();
}

// ---------------------------------------------------------------------------------------------
// Lifetime.

TEST_F(CoroutineLifetime, DestroyingASuspendedCoroutineDestroysItsLocalsAndFrame) {
  {
    auto c = averager();
    c.start();
    c.send(1);
    EXPECT_EQ(live_local::live, 1);
    EXPECT_EQ(frame_token::live, 1);
  }
  EXPECT_EQ(live_local::live, 0);
  EXPECT_EQ(frame_token::live, 0);
}

TEST_F(CoroutineLifetime, DestroyingACoroutineThatNeverStartedDestroysItsFrame) {
  {
    auto c = averager();
    EXPECT_EQ(frame_token::live, 1);
    EXPECT_EQ(live_local::live, 0);  // the body has not run
  }
  EXPECT_EQ(frame_token::live, 0);
}

TEST_F(CoroutineLifetime, MoveAssignmentDestroysTheFrameItReplaces) {
  auto a = averager();
  a.start();
  auto b = averager();
  b.start();
  b.send(8);
  EXPECT_EQ(frame_token::live, 2);
  a = std::move(b);
  EXPECT_EQ(frame_token::live, 1);
  EXPECT_EQ(live_local::live, 1);
  EXPECT_EQ(a.send(2), 5.0);  // a now runs b's frame
  auto& same = a;
  a = std::move(same);  // self-move keeps the frame
  EXPECT_EQ(a.send(5), 5.0);
}

TEST_F(CoroutineLifetime, LambdaCoroutinesPlainAndGenericWork) {
  int offset = 100;
  // The closures outlive their coroutines: a lambda's captures are the caller's to keep alive.
  auto add_offset = [offset](frame_token = {}) -> coflow::coroutine<int, int> {
    live_local alive;
    std::optional<int> reply;
    while (auto v = co_yield reply) reply = *v + offset;
  };
  auto scale = [](auto factor, frame_token = {}) -> coflow::coroutine<int, int> {
    live_local alive;
    std::optional<int> reply;
    while (auto v = co_yield reply) reply = *v * factor;
  };
  auto a = add_offset();
  auto b = scale(3);
  a.start();
  b.start();
  EXPECT_EQ(a.send(1), 101);
  EXPECT_EQ(b.send(5), 15);
  EXPECT_EQ(frame_token::live, 2);
}

coflow::consumer<int> destroys_its_owner(std::optional<coflow::consumer<int>>& self,
                                         bool then_return, frame_token = {}) {
  live_local alive;
  while (auto v = co_yield coflow::receive) {
    if (*v == 0) {
      self.reset();  // the owner dies while its body runs
      if (then_return) co_return;
    }
  }
}

TEST_F(CoroutineLifetime, DestroyingTheOwnerFromInsideItsBodyIsDeferredAndReported) {
  std::optional<coflow::consumer<int>> c;
  c.emplace(destroys_its_owner(c, /*then_return=*/false));
  c->start();
  c->send(1);
  EXPECT_THAT(protocol_error_from([&] { c->send(0); }),
              HasSubstr("destroyed from inside its own body"));
  EXPECT_FALSE(c.has_value());
  EXPECT_EQ(live_local::live, 0);
  EXPECT_EQ(frame_token::live, 0);
}

TEST_F(CoroutineLifetime, DestroyingTheOwnerAndThenFinishingIsAlsoReported) {
  std::optional<coflow::consumer<int>> c;
  c.emplace(destroys_its_owner(c, /*then_return=*/true));
  c->start();
  EXPECT_THAT(protocol_error_from([&] { c->send(0); }),
              HasSubstr("destroyed from inside its own body"));
  EXPECT_FALSE(c.has_value());
  EXPECT_EQ(frame_token::live, 0);
}

// ---------------------------------------------------------------------------------------------
// Exceptions escaping the body.

coflow::coroutine<int, int> rejects_negatives(frame_token = {}) {
  live_local alive;
  int total = 0;
  while (auto v = co_yield total) {
    if (*v < 0) throw std::invalid_argument("negative value");
    total += *v;
  }
}

TEST_F(CoroutineExceptions, AnExceptionEscapingTheBodyPropagatesOutOfSendAndEndsIt) {
  auto c = rejects_negatives();
  EXPECT_EQ(c.start(), 0);
  EXPECT_EQ(c.send(2), 2);
  EXPECT_THROW(c.send(-1), std::invalid_argument);
  EXPECT_TRUE(c.done());
  EXPECT_EQ(live_local::live, 0);
  EXPECT_THAT(protocol_error_from([&] { c.send(1); }), HasSubstr("after the coroutine is done"));
}

TEST_F(CoroutineExceptions, AnExceptionEscapingThroughSendWithACallbackEndsTheCoroutine) {
  auto c = rejects_negatives();
  c.start();
  std::vector<int> replies;
  c.send(1, [&](int v) { replies.push_back(v); });
  EXPECT_THROW(c.send(-1, [&](int v) { replies.push_back(v); }), std::invalid_argument);
  EXPECT_THAT(replies, ElementsAre(1));
  EXPECT_TRUE(c.done());
}

coflow::coroutine<int, int> fails_at_once(frame_token = {}) {
  live_local alive;
  throw std::runtime_error("before the first suspension");
  co_yield coflow::receive;
}

TEST_F(CoroutineExceptions, AnExceptionBeforeTheFirstSuspensionPropagatesOutOfStart) {
  auto c = fails_at_once();
  EXPECT_THROW(c.start(), std::runtime_error);
  EXPECT_TRUE(c.done());
  EXPECT_EQ(live_local::live, 0);
  EXPECT_NO_THROW(c.close());  // nothing more to run
}

TEST_F(CoroutineExceptions, AnExceptionBeforeTheFirstSuspensionPropagatesOutOfClose) {
  auto c = fails_at_once();
  EXPECT_THROW(c.close(), std::runtime_error);
  EXPECT_TRUE(c.done());
}

coflow::consumer<int, int> fails_at_end_of_stream(frame_token = {}) {
  live_local alive;
  int total = 0;
  while (auto v = co_yield coflow::receive) total += *v;
  throw std::runtime_error("cannot finish");
  co_return total;
}

TEST_F(CoroutineExceptions, AnExceptionWhileClosingPropagatesOutOfClose) {
  auto c = fails_at_end_of_stream();
  c.start();
  c.send(1);
  EXPECT_THROW(c.close(), std::runtime_error);
  EXPECT_TRUE(c.done());
  EXPECT_EQ(live_local::live, 0);
  EXPECT_THAT(protocol_error_from([&] { c.close(); }), HasSubstr("without a result"));
}

TEST_F(CoroutineExceptions, ThrowIntoANewCoroutineEndsItWithoutRunningTheBody) {
  std::ostringstream out;
  auto c = demo_exc_handling(out);
  EXPECT_THROW(c.throw_into(demo_exception()), demo_exception);
  EXPECT_TRUE(c.done());
  EXPECT_EQ(out.str(), "");
  EXPECT_EQ(frame_token::live, 0);
}

coflow::coroutine<int, int> count_up_to(frame_token = {}) {
  live_local alive;
  while (auto v = co_yield coflow::receive) {
    for (int i = 0; i < *v; ++i) co_yield coflow::emit(i);
  }
}

TEST_F(CoroutineExceptions, AThrowingOutputCallbackLeavesTheBodyAtItsEmitPoint) {
  auto split = count_up_to();
  split.start();
  auto fail_on_one = [](int v) {
    if (v == 1) throw std::runtime_error("downstream failed");
  };
  EXPECT_THROW(split.send(3, fail_on_one), std::runtime_error);
  EXPECT_TRUE(split.emitting());
  EXPECT_EQ(split.next(), 2);
  EXPECT_EQ(split.next(), std::nullopt);
  EXPECT_TRUE(split.receiving());
}

TEST_F(CoroutineExceptions, AThrowingCallbackWhileClosingDestroysTheFrame) {
  auto c = flushes_sum_at_end();
  c.start();
  c.send(1);
  EXPECT_THROW(c.close([](int) { throw std::runtime_error("sink failed"); }), std::runtime_error);
  EXPECT_TRUE(c.done());
  EXPECT_EQ(frame_token::live, 0);
}

// ---------------------------------------------------------------------------------------------
// emit: several outputs per input, and a flush at end of stream.

coflow::coroutine<std::string, std::string> split_words(frame_token = {}) {
  live_local alive;
  while (auto line = co_yield coflow::receive) {
    std::istringstream words(*line);
    for (std::string word; words >> word;) co_yield coflow::emit(word);
  }
}

TEST_F(CoroutineEmit, WordSplitterPassesEveryWordToTheCallback) {
  auto split = split_words();
  split.start();
  std::vector<std::string> words;
  auto collect = [&](std::string w) { words.push_back(std::move(w)); };
  split.send("the quick  brown", collect);
  split.send("", collect);
  split.send("fox", collect);
  EXPECT_THAT(words, ElementsAre("the", "quick", "brown", "fox"));
  EXPECT_TRUE(split.receiving());
  split.close(collect);
  EXPECT_TRUE(split.done());
}

TEST_F(CoroutineEmit, WordSplitterCanBeDrivenWithSendAndNext) {
  auto split = split_words();
  split.start();
  EXPECT_EQ(split.send("to be or"), "to");
  EXPECT_TRUE(split.emitting());
  EXPECT_EQ(split.status(), coflow::status::suspended);
  EXPECT_EQ(split.next(), "be");
  EXPECT_EQ(split.next(), "or");
  EXPECT_EQ(split.next(), std::nullopt);  // back at its receive point
  EXPECT_TRUE(split.receiving());
  EXPECT_EQ(split.send(""), std::nullopt);
  EXPECT_TRUE(split.receiving());
  split.close();
  EXPECT_TRUE(split.done());
}

TEST_F(CoroutineEmit, NextStartsANewCoroutine) {
  auto split = split_words();
  EXPECT_EQ(split.next(), std::nullopt);
  EXPECT_TRUE(split.receiving());
  EXPECT_EQ(split.send("a"), "a");
  split.close();
}

TEST_F(CoroutineEmit, CloseFinishesPendingEmitsBeforeEndOfStream) {
  auto split = split_words();
  split.start();
  EXPECT_EQ(split.send("one two three"), "one");
  std::vector<std::string> rest;
  split.close([&](std::string w) { rest.push_back(std::move(w)); });
  EXPECT_THAT(rest, ElementsAre("two", "three"));
  EXPECT_TRUE(split.done());
}

coflow::coroutine<int, std::vector<int>> batch(std::size_t size, frame_token = {}) {
  live_local alive;
  std::vector<int> current;
  while (auto v = co_yield coflow::receive) {
    current.push_back(*v);
    if (current.size() == size) co_yield coflow::emit(std::exchange(current, {}));
  }
  if (!current.empty()) co_yield coflow::emit(std::move(current));
}

TEST_F(CoroutineEmit, BatcherFlushesThePartialBatchThroughCloseOut) {
  auto b = batch(2);
  std::vector<std::vector<int>> batches;
  auto collect = [&](std::vector<int> v) { batches.push_back(std::move(v)); };
  b.start(collect);
  for (int v = 1; v <= 5; ++v) b.send(v, collect);
  EXPECT_THAT(batches, ElementsAre(ElementsAre(1, 2), ElementsAre(3, 4)));
  b.close(collect);
  EXPECT_THAT(batches, ElementsAre(ElementsAre(1, 2), ElementsAre(3, 4), ElementsAre(5)));
  EXPECT_TRUE(b.done());
}

TEST_F(CoroutineEmit, BatcherWithAFullLastBatchFlushesNothingAtClose) {
  auto b = batch(2);
  std::vector<std::vector<int>> batches;
  auto collect = [&](std::vector<int> v) { batches.push_back(std::move(v)); };
  b.start();
  for (int v = 1; v <= 4; ++v) b.send(v, collect);
  b.close();  // nothing to flush: close without a callback is fine
  EXPECT_THAT(batches, ElementsAre(ElementsAre(1, 2), ElementsAre(3, 4)));
}

TEST_F(CoroutineEmit, CloseOutStartsANewCoroutineAndCollectsItsFlush) {
  auto b = batch(3);
  std::vector<std::vector<int>> batches;
  b.close([&](std::vector<int> v) { batches.push_back(std::move(v)); });
  EXPECT_THAT(batches, IsEmpty());
  EXPECT_TRUE(b.done());
}

// ---------------------------------------------------------------------------------------------
// Move-only types.

coflow::coroutine<std::unique_ptr<int>, int> sum_boxes(frame_token = {}) {
  live_local alive;
  int total = 0;
  while (auto box = co_yield total) total += **box;
}

TEST_F(CoroutineMoveOnly, MoveOnlyValuesAreMovedIn) {
  auto c = sum_boxes();
  EXPECT_EQ(c.start(), 0);
  EXPECT_EQ(c.send(std::make_unique<int>(3)), 3);
  auto four = std::make_unique<int>(4);
  EXPECT_EQ(c.send(std::move(four)), 7);
  c.close();
}

coflow::consumer<int, std::unique_ptr<std::vector<int>>> collect_boxed(frame_token = {}) {
  live_local alive;
  auto all = std::make_unique<std::vector<int>>();
  while (auto v = co_yield coflow::receive) all->push_back(*v);
  co_return std::move(all);
}

TEST_F(CoroutineMoveOnly, AMoveOnlyResultIsMovedOutByClose) {
  auto c = collect_boxed();
  c.start();
  c.send(1);
  c.send(2);
  std::unique_ptr<std::vector<int>> result = c.close();
  ASSERT_NE(result, nullptr);
  EXPECT_THAT(*result, ElementsAre(1, 2));
  EXPECT_THAT(protocol_error_from([&] { c.close(); }),
              HasSubstr("moved out by an earlier close()"));
}

coflow::coroutine<int, std::unique_ptr<int>> box_each(frame_token = {}) {
  live_local alive;
  while (auto v = co_yield coflow::receive) co_yield coflow::emit(std::make_unique<int>(*v));
}

TEST_F(CoroutineMoveOnly, MoveOnlyOutputsAreMovedOut) {
  auto c = box_each();
  c.start();
  std::optional<std::unique_ptr<int>> reply = c.send(6);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(**reply, 6);
  std::vector<int> seen;
  c.next();
  c.send(8, [&](std::unique_ptr<int> p) { seen.push_back(*p); });
  EXPECT_THAT(seen, ElementsAre(8));
  c.close();
}

}  // namespace
