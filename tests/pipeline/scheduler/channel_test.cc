// Tests for pipeline/channel.hpp: FIFO order, back-pressure, close, the overflow policies,
// rendezvous channels, misuse, a throwing move, and lifetime; typed over int, double and a
// move-only type.
#include "pipeline/scheduler/channel.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
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
// A throwing move of T: the value stays where it was, every task stays in a wait list or is
// woken with the error, close() releases them all and nothing leaks.

// move_failed is what an armed move throws; it names the value that could not be moved.
struct move_failed : std::runtime_error {
  explicit move_failed(int v)
      : std::runtime_error("injected fault: move of " + std::to_string(v)), value(v) {}
  int value;
};

// move_fault makes the n-th move of one chosen value throw, and counts moves and live values.
struct move_fault {
  int armed = -1;  // the value whose move throws; -1: none
  long countdown = 0;
  long moves = 0;  // the moves that succeeded
  long live = 0;
  long throws = 0;
  void arm(int value, long nth = 1) noexcept {
    armed = value;
    countdown = nth;
  }
};

// throwing_move carries a number; its move throws when the fault is armed for that number, and
// then leaves the source as it was.
class throwing_move {
 public:
  throwing_move(int v, move_fault& fault) noexcept : value_(v), fault_(&fault) { ++fault_->live; }
  throwing_move(throwing_move&& other) : value_(other.value_), fault_(other.fault_) {
    if (fault_->armed == value_ && --fault_->countdown == 0) {
      fault_->armed = -1;
      ++fault_->throws;
      throw move_failed(value_);
    }
    other.value_ = -2;  // moved from
    ++fault_->moves;
    ++fault_->live;
  }
  throwing_move& operator=(throwing_move&&) = delete;
  ~throwing_move() { --fault_->live; }
  [[nodiscard]] int value() const noexcept { return value_; }

 private:
  int value_;
  move_fault* fault_;
};

static_assert(!std::is_nothrow_move_constructible_v<throwing_move>);

using fragile_channel = coflow::channel<throwing_move>;

// Where every value went: each sent value must be received exactly once or reported to its
// sender as not delivered.
struct ledger {
  std::vector<int> received;
  std::vector<int> not_delivered;   // sends that threw
  std::vector<int> receive_faults;  // receives that threw (their value stays in the channel)
};

// receive_all arms the fault for `arm` (if not -1), then receives until the channel is closed
// and drained; a receive that throws is recorded and tried again.
coflow::task<> receive_all(fragile_channel& ch, move_fault& fault, int arm, ledger& out) {
  if (arm != -1) fault.arm(arm);
  for (;;) {
    try {
      std::optional<throwing_move> v = co_await ch.receive();
      if (!v) co_return;
      out.received.push_back(v->value());
    } catch (const move_failed& e) {
      out.receive_faults.push_back(e.value);
    }
  }
}

// send_value sends v; if the send throws, v is recorded as not delivered.
coflow::task<> send_value(fragile_channel& ch, move_fault& fault, int v, ledger& out) {
  try {
    co_await ch.send(throwing_move(v, fault));
  } catch (const move_failed& e) {
    out.not_delivered.push_back(e.value);
  }
}

// moves_per_send is the number of moves of a value that `co_await ch.send(value)` makes, the
// last one into the channel: send() moves it into its awaiter, and some compilers move the
// awaiter before awaiting it. Measured by sending to a channel with room.
long moves_per_send() {
  move_fault probe;
  ledger unused;
  virtual_scheduler s;
  fragile_channel ch(1);
  s.run(send_value(ch, probe, 7, unused));
  return probe.moves;
}

// send_armed sends v with the fault armed for it so that its move into the channel (the
// hand-off to a receiver, or the append to the buffer) throws.
coflow::task<> send_armed(fragile_channel& ch, move_fault& fault, int v, ledger& out) {
  fault.arm(v, moves_per_send());
  co_await send_value(ch, fault, v, out);
}

coflow::task<> send_then_close(fragile_channel& ch, move_fault& fault, std::vector<int> values,
                               ledger& out) {
  for (int v : values) co_await send_value(ch, fault, v, out);
  ch.close();
}

TEST(ChannelThrowingMove, AReceiveMakingRoomWakesTheSenderWhoseValueCannotMoveInWithTheError) {
  move_fault fault;
  ledger out;
  {
    virtual_scheduler s;
    fragile_channel ch(1);
    s.spawn(send_then_close(ch, fault, {1, 2, 3}, out));  // 1 fills the buffer, 2 waits
    s.spawn(receive_all(ch, fault, 2, out));              // taking 1 makes room: moving 2 in throws
    EXPECT_NO_THROW(s.run());                             // no task stranded: no deadlock
    EXPECT_EQ(ch.size(), 0u);
  }
  EXPECT_EQ(fault.throws, 1);
  EXPECT_THAT(out.received, ElementsAre(1, 3));
  EXPECT_THAT(out.not_delivered, ElementsAre(2));
  EXPECT_TRUE(out.receive_faults.empty());
  EXPECT_EQ(fault.live, 0);
}

TEST(ChannelThrowingMove, ASendToAWaitingReceiverThatThrowsLeavesTheReceiverWaiting) {
  for (std::size_t capacity : {0u, 2u}) {
    SCOPED_TRACE(testing::Message() << "capacity " << capacity);
    move_fault fault;
    ledger out;
    {
      virtual_scheduler s;
      fragile_channel ch(capacity);
      auto sender = [](fragile_channel& c, move_fault& f, ledger& o) -> coflow::task<> {
        co_await send_armed(c, f, 5, o);  // the hand-off to the waiting receiver throws
        co_await send_value(c, f, 6, o);  // the receiver still waits, and gets this one
        c.close();
      };
      s.spawn(receive_all(ch, fault, -1, out));
      s.spawn(sender(ch, fault, out));
      EXPECT_NO_THROW(s.run());
      EXPECT_EQ(ch.size(), 0u);
    }
    EXPECT_EQ(fault.throws, 1);
    EXPECT_THAT(out.received, ElementsAre(6));
    EXPECT_THAT(out.not_delivered, ElementsAre(5));
    EXPECT_TRUE(out.receive_faults.empty());
    EXPECT_EQ(fault.live, 0);
  }
}

TEST(ChannelThrowingMove, AReceiveFromAWaitingSenderThatThrowsLeavesTheSenderWaiting) {
  move_fault fault;
  ledger out;
  {
    virtual_scheduler s;
    fragile_channel ch(0);
    s.spawn(send_then_close(ch, fault, {5, 6}, out));  // 5 waits for a receiver
    s.spawn(receive_all(ch, fault, 5, out));           // taking 5 throws once; 5 stays
    EXPECT_NO_THROW(s.run());
  }
  EXPECT_EQ(fault.throws, 1);
  EXPECT_THAT(out.receive_faults, ElementsAre(5));
  EXPECT_THAT(out.received, ElementsAre(5, 6));
  EXPECT_TRUE(out.not_delivered.empty());
  EXPECT_EQ(fault.live, 0);
}

TEST(ChannelThrowingMove, AReceiveFromTheBufferThatThrowsLeavesTheValueBuffered) {
  move_fault fault;
  ledger out;
  {
    virtual_scheduler s;
    fragile_channel ch(1);
    s.spawn(send_then_close(ch, fault, {1, 2, 3}, out));  // 1 fills the buffer, 2 waits
    s.spawn(receive_all(ch, fault, 1, out));              // taking 1 throws once; 1 stays
    EXPECT_NO_THROW(s.run());
  }
  EXPECT_EQ(fault.throws, 1);
  EXPECT_THAT(out.receive_faults, ElementsAre(1));
  EXPECT_THAT(out.received, ElementsAre(1, 2, 3));
  EXPECT_TRUE(out.not_delivered.empty());
  EXPECT_EQ(fault.live, 0);
}

TEST(ChannelThrowingMove, KeepLatestDiscardsNothingWhenTheNewValueCannotMoveIn) {
  move_fault fault;
  ledger out;
  {
    virtual_scheduler s;
    fragile_channel ch(2, coflow::overflow_policy::keep_latest);
    auto sender = [](fragile_channel& c, move_fault& f, ledger& o) -> coflow::task<> {
      co_await send_value(c, f, 1, o);
      co_await send_value(c, f, 2, o);
      co_await send_armed(c, f, 3, o);  // full: 3 would replace 1, but its move throws
      c.close();
    };
    s.run(sender(ch, fault, out));
    EXPECT_EQ(ch.size(), 2u);
    EXPECT_EQ(ch.dropped(), 0u);
    s.run(receive_all(ch, fault, -1, out));
  }
  EXPECT_EQ(fault.throws, 1);
  EXPECT_THAT(out.received, ElementsAre(1, 2));
  EXPECT_THAT(out.not_delivered, ElementsAre(3));
  EXPECT_EQ(fault.live, 0);
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
