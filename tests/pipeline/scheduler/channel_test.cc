// Tests for pipeline/channel.hpp: FIFO order, back-pressure, close, the overflow policies,
// rendezvous channels, misuse, and lifetime; typed over int, double and a move-only type.
#include "pipeline/scheduler/channel.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "pipeline/protocol_error.hpp"
#include "pipeline/scheduler/clock.hpp"
#include "pipeline/scheduler/scheduler.hpp"
#include "pipeline/scheduler/sleep.hpp"
#include "pipeline/scheduler/task.hpp"

namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using virtual_scheduler = coflow::basic_scheduler<coflow::manual_clock>;

static_assert(!std::is_copy_constructible_v<coflow::channel<int>>);
static_assert(!std::is_move_constructible_v<coflow::channel<int>>);
static_assert(std::is_same_v<coflow::channel<std::string>::value_type, std::string>);

// ---------------------------------------------------------------------------------------------
// Typed: int, double and a move-only type.

template <class T>
T make(int i);
template <>
int make<int>(int i) {
  return i;
}
template <>
double make<double>(int i) {
  return i + 0.5;
}
template <>
std::unique_ptr<int> make<std::unique_ptr<int>>(int i) {
  return std::make_unique<int>(i);
}

int unmake(int v) { return v; }
int unmake(double v) { return static_cast<int>(v); }
int unmake(const std::unique_ptr<int>& v) { return *v; }

template <class T>
coflow::task<> produce(coflow::channel<T>& ch, int from, int count, bool close) {
  for (int i = from; i < from + count; ++i) co_await ch.send(make<T>(i));
  if (close) ch.close();
}

template <class T>
coflow::task<std::vector<int>> collect(coflow::channel<T>& ch) {
  std::vector<int> got;
  while (std::optional<T> v = co_await ch.receive()) got.push_back(unmake(*v));
  co_return got;
}

template <class T>
class TypedChannel : public ::testing::Test {};

using value_types = ::testing::Types<int, double, std::unique_ptr<int>>;
TYPED_TEST_SUITE(TypedChannel, value_types);

TYPED_TEST(TypedChannel, DeliversEveryValueInSendOrder) {
  virtual_scheduler s;
  coflow::channel<TypeParam> ch(3);
  s.spawn(produce<TypeParam>(ch, 0, 10, true));
  EXPECT_THAT(s.run(collect<TypeParam>(ch)), ElementsAre(0, 1, 2, 3, 4, 5, 6, 7, 8, 9));
  EXPECT_EQ(ch.size(), 0u);
  EXPECT_TRUE(ch.closed());
}

TYPED_TEST(TypedChannel, ReceiversDrainAClosedChannelThenGetNothing) {
  virtual_scheduler s;
  coflow::channel<TypeParam> ch(4);
  s.run(produce<TypeParam>(ch, 7, 3, true));  // fills 3 of 4 places and closes
  EXPECT_EQ(ch.size(), 3u);
  EXPECT_THAT(s.run(collect<TypeParam>(ch)), ElementsAre(7, 8, 9));
  EXPECT_THAT(s.run(collect<TypeParam>(ch)), ElementsAre());  // still closed: at once
}

TYPED_TEST(TypedChannel, ARendezvousChannelPassesValuesStraightThrough) {
  virtual_scheduler s;
  coflow::channel<TypeParam> ch(0);
  EXPECT_EQ(ch.capacity(), 0u);
  s.spawn(produce<TypeParam>(ch, 0, 5, true));
  EXPECT_THAT(s.run(collect<TypeParam>(ch)), ElementsAre(0, 1, 2, 3, 4));
}

TYPED_TEST(TypedChannel, KeepLatestKeepsTheNewestValues) {
  virtual_scheduler s;
  coflow::channel<TypeParam> ch(2, coflow::overflow_policy::keep_latest);
  s.run(produce<TypeParam>(ch, 0, 6, true));  // never waits
  EXPECT_EQ(ch.dropped(), 4u);
  EXPECT_THAT(s.run(collect<TypeParam>(ch)), ElementsAre(4, 5));
}

// ---------------------------------------------------------------------------------------------
// Back-pressure and hand-off order.

coflow::task<> send_logged(coflow::channel<int>& ch, std::string& trace, int count) {
  for (int i = 0; i < count; ++i) {
    co_await ch.send(i);
    trace += "s" + std::to_string(i) + ' ';
  }
  ch.close();
}

coflow::task<> receive_logged(coflow::channel<int>& ch, std::string& trace) {
  while (std::optional<int> v = co_await ch.receive()) trace += "r" + std::to_string(*v) + ' ';
  trace += "end";
}

TEST(Channel, SendWaitsWhileFull) {
  virtual_scheduler s;
  coflow::channel<int> ch(2);
  std::string trace;
  s.spawn(send_logged(ch, trace, 5));
  s.spawn(receive_logged(ch, trace));
  s.run();
  // s0 s1 fill it; send(2) waits. The receiver takes 0, which moves 2 in and wakes the sender,
  // takes 1 and 2, and waits; the sender sends 3 (straight to the waiting receiver) and 4.
  EXPECT_EQ(trace, "s0 s1 r0 r1 r2 s2 s3 s4 r3 r4 end");
}

TEST(Channel, ReceiveWaitsWhileEmpty) {
  virtual_scheduler s;
  coflow::channel<int> ch(8);
  std::string trace;
  s.spawn(receive_logged(ch, trace));
  s.spawn(send_logged(ch, trace, 3));
  s.run();
  EXPECT_EQ(trace, "s0 s1 s2 r0 r1 r2 end");
}

coflow::task<> receive_one(coflow::channel<int>& ch, std::vector<std::string>& log,
                           std::string name) {
  std::optional<int> v = co_await ch.receive();
  log.push_back(name + '=' + (v ? std::to_string(*v) : std::string("none")));
}

coflow::task<> send_values(coflow::channel<int>& ch, std::vector<int> values) {
  for (int v : values) co_await ch.send(v);
}

TEST(Channel, WaitingReceiversAreServedInTheOrderTheyWaited) {
  virtual_scheduler s;
  coflow::channel<int> ch(1);
  std::vector<std::string> log;
  s.spawn(receive_one(ch, log, "a"));
  s.spawn(receive_one(ch, log, "b"));
  s.spawn(receive_one(ch, log, "c"));
  s.spawn(send_values(ch, {10, 20, 30}));
  s.run();
  EXPECT_THAT(log, ElementsAre("a=10", "b=20", "c=30"));
}

TEST(Channel, WaitingSendersAreServedInTheOrderTheyWaited) {
  virtual_scheduler s;
  coflow::channel<int> ch(1);
  s.spawn(send_values(ch, {1, 2}));  // 1 fills the buffer, 2 waits
  s.spawn(send_values(ch, {3, 4}));  // 3 waits
  s.spawn(send_values(ch, {5}));     // 5 waits
  std::vector<int> got;
  auto take_five = [&]() -> coflow::task<> {
    for (int i = 0; i < 5; ++i) got.push_back(*co_await ch.receive());
  };
  auto taker = take_five();  // the lambda outlives its task
  s.run(taker);
  // Each receive lets the longest-waiting sender in: 2, 3, 5; 4 is sent only after its
  // sender was woken.
  EXPECT_THAT(got, ElementsAre(1, 2, 3, 5, 4));
}

TEST(Channel, CloseWakesWaitingReceiversWithNothing) {
  virtual_scheduler s;
  coflow::channel<int> ch(1);
  std::vector<std::string> log;
  s.spawn(receive_one(ch, log, "a"));
  s.spawn(receive_one(ch, log, "b"));
  EXPECT_THROW(s.run(), coflow::protocol_error);  // deadlock: both wait
  ch.close();
  ch.close();  // harmless
  s.run();
  EXPECT_THAT(log, ElementsAre("a=none", "b=none"));
}

// ---------------------------------------------------------------------------------------------
// Misuse.

coflow::task<> send_one(coflow::channel<int>& ch, int v) { co_await ch.send(v); }

TEST(Channel, SendOnAClosedChannelIsAProtocolError) {
  virtual_scheduler s;
  coflow::channel<int> ch(4);
  ch.close();
  try {
    s.run(send_one(ch, 1));
    FAIL() << "send on a closed channel did not throw";
  } catch (const coflow::protocol_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("send on a closed channel"));
  }
  EXPECT_EQ(ch.size(), 0u);
}

TEST(Channel, ASendWaitingWhenTheChannelClosesIsAProtocolError) {
  virtual_scheduler s;
  coflow::channel<int> ch(1);
  auto first = send_one(ch, 1);
  auto second = send_one(ch, 2);
  s.spawn(first);
  s.spawn(second);
  EXPECT_THROW(s.run(), coflow::protocol_error);  // deadlock: second waits for room
  ch.close();
  s.run();
  EXPECT_NO_THROW(first.result());
  try {
    second.result();
    FAIL() << "the waiting send did not throw";
  } catch (const coflow::protocol_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("closed while send() waited"));
  }
  EXPECT_EQ(ch.size(), 1u);  // 1 is still there to drain
}

TEST(Channel, KeepLatestWithoutRoomIsAProtocolError) {
  EXPECT_THROW(coflow::channel<int>(0, coflow::overflow_policy::keep_latest),
               coflow::protocol_error);
}

// ---------------------------------------------------------------------------------------------
// Overflow policies.

coflow::task<std::vector<bool>> send_all(coflow::channel<int>& ch, std::vector<int> values) {
  std::vector<bool> kept;
  for (int v : values) kept.push_back(co_await ch.send(v));
  co_return kept;
}

coflow::task<std::vector<int>> receive_all(coflow::channel<int>& ch) {
  std::vector<int> got;
  while (std::optional<int> v = co_await ch.receive()) got.push_back(*v);
  co_return got;
}

TEST(Channel, DropNewestDiscardsValuesSentWhileFull) {
  virtual_scheduler s;
  coflow::channel<int> ch(2, coflow::overflow_policy::drop_newest);
  EXPECT_EQ(ch.policy(), coflow::overflow_policy::drop_newest);
  EXPECT_THAT(s.run(send_all(ch, {1, 2, 3, 4})), ElementsAre(true, true, false, false));
  EXPECT_EQ(ch.dropped(), 2u);
  ch.close();
  EXPECT_THAT(s.run(receive_all(ch)), ElementsAre(1, 2));
}

TEST(Channel, DropNewestStillHandsValuesToWaitingReceivers) {
  virtual_scheduler s;
  coflow::channel<int> ch(0, coflow::overflow_policy::drop_newest);
  std::vector<std::string> log;
  s.spawn(receive_one(ch, log, "r"));
  auto sent = send_all(ch, {1, 2});
  s.run(sent);
  EXPECT_THAT(sent.result(), ElementsAre(true, false));  // 1 to the receiver, 2 to nobody
  s.run();
  EXPECT_THAT(log, ElementsAre("r=1"));
}

TEST(Channel, KeepLatestWithCapacityOneKeepsTheLastValue) {
  virtual_scheduler s;
  coflow::channel<int> ch(1, coflow::overflow_policy::keep_latest);
  EXPECT_THAT(s.run(send_all(ch, {1, 2, 3})), ElementsAre(true, true, true));
  EXPECT_EQ(ch.dropped(), 2u);
  ch.close();
  EXPECT_THAT(s.run(receive_all(ch)), ElementsAre(3));
}

TEST(Channel, WaitPolicyDropsNothing) {
  virtual_scheduler s;
  coflow::channel<int> ch(1);
  EXPECT_EQ(ch.policy(), coflow::overflow_policy::wait);
  auto sender = send_all(ch, {1, 2, 3});
  s.spawn(sender);
  auto receiver = receive_all(ch);
  s.spawn(receiver);
  auto closer = [&]() -> coflow::task<> {
    co_await sender;
    ch.close();
  };
  s.spawn(closer());
  s.run();
  EXPECT_THAT(receiver.result(), ElementsAre(1, 2, 3));
  EXPECT_EQ(ch.dropped(), 0u);
}

// ---------------------------------------------------------------------------------------------
// Lifetime.

TEST(Channel, DestroyingItReleasesWaitingTasksAndRunReportsADeadlock) {
  virtual_scheduler s;
  std::vector<std::string> log;
  {
    coflow::channel<int> ch(1);
    s.spawn(receive_one(ch, log, "r"));
    EXPECT_THROW(s.run(), coflow::protocol_error);
  }
  EXPECT_THROW(s.run(), coflow::protocol_error);
  EXPECT_TRUE(log.empty());
}

TEST(Channel, BufferedValuesAreDestroyedWithTheChannel) {
  auto counter = std::make_shared<int>(0);
  {
    virtual_scheduler s;
    coflow::channel<std::shared_ptr<int>> ch(3);
    auto fill = [&]() -> coflow::task<> {
      co_await ch.send(counter);
      co_await ch.send(counter);
    };
    s.run(fill());
    EXPECT_EQ(counter.use_count(), 3);
  }
  EXPECT_EQ(counter.use_count(), 1);
}

}  // namespace
