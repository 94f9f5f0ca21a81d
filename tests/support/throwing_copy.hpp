// coflow/tests/support/throwing_copy.hpp
//
// throwing_copy: a value whose N-th copy throws, for testing what a pipeline or coroutine does
// when copying a value fails halfway through a call. Every value is linked to a copy_fault,
// which counts the copies made and arms the failure.
//
//   coflow::test_support::copy_fault fault;
//   coflow::test_support::throwing_copy v(7, fault);
//   fault.arm(2);                       // the second copy from now throws
//   auto a = v;                         // fine
//   EXPECT_THROW(auto b = v, coflow::test_support::injected_fault);
//   auto c = v;                         // fine again: only the N-th copy throws
//   EXPECT_EQ(fault.live(), 3);         // v, a, c
//
// Guarantees: copy construction and copy assignment count as copies and may throw
// injected_fault; moves never throw and never count; a copy that throws constructs nothing (a
// throwing copy assignment leaves the target unchanged). live() counts the linked values alive,
// so a test can check that a failed call leaked none. One thread; no allocation; the fault must
// outlive its values.
#pragma once

#include <stdexcept>
#include <string>

namespace coflow::test_support {

/// injected_fault is what the armed copy throws.
class injected_fault : public std::runtime_error {
 public:
  injected_fault(long copy_number, int value)
      : std::runtime_error("injected fault: copy #" + std::to_string(copy_number) + " of value " +
                           std::to_string(value)),
        copy_number_(copy_number),
        value_(value) {}

  /// copy_number is the number of the copy that threw, counted since the fault was armed.
  [[nodiscard]] long copy_number() const noexcept { return copy_number_; }
  /// value is the value that was being copied.
  [[nodiscard]] int value() const noexcept { return value_; }

 private:
  long copy_number_;
  int value_;
};

/// copy_fault counts the copies of the values linked to it and makes the armed one throw.
class copy_fault {
 public:
  copy_fault() = default;
  copy_fault(const copy_fault&) = delete;
  copy_fault& operator=(const copy_fault&) = delete;

  /// arm(nth) makes the nth copy from now throw (1: the next one); arm(0) disarms.
  void arm(long nth) noexcept {
    armed_at_ = nth;
    since_armed_ = 0;
  }

  /// copies is the number of copies attempted, the throwing ones included.
  [[nodiscard]] long copies() const noexcept { return copies_; }
  /// throws is the number of copies that threw.
  [[nodiscard]] long throws() const noexcept { return throws_; }
  /// live is the number of linked values alive now.
  [[nodiscard]] long live() const noexcept { return live_; }

 private:
  template <class>
  friend class basic_throwing_copy;

  // Called before a copy is made; throws if this is the armed copy.
  void on_copy(int value) {
    ++copies_;
    if (armed_at_ == 0) return;
    if (++since_armed_ == armed_at_) {
      armed_at_ = 0;
      ++throws_;
      throw injected_fault(since_armed_, value);
    }
  }

  long armed_at_ = 0;
  long since_armed_ = 0;
  long copies_ = 0;
  long throws_ = 0;
  long live_ = 0;
};

/// basic_throwing_copy<Tag> is an int-carrying value whose copy can be made to throw; Tag only
/// tells different value types apart. Use throwing_copy unless a test needs two.
template <class Tag>
class basic_throwing_copy {
 public:
  /// basic_throwing_copy(v, fault) makes a value carrying v, linked to `fault`.
  basic_throwing_copy(int v, copy_fault& fault) noexcept : value_(v), fault_(&fault) {
    ++fault_->live_;
  }

  basic_throwing_copy(const basic_throwing_copy& other)
      : value_(other.value_), fault_(other.fault_) {
    fault_->on_copy(value_);  // before counting: a throwing copy constructs nothing
    ++fault_->live_;
  }

  basic_throwing_copy(basic_throwing_copy&& other) noexcept
      : value_(other.value_), fault_(other.fault_) {
    ++fault_->live_;
  }

  basic_throwing_copy& operator=(const basic_throwing_copy& other) {
    other.fault_->on_copy(other.value_);
    value_ = other.value_;  // the link stays: live() counts this object under its own fault
    return *this;
  }

  basic_throwing_copy& operator=(basic_throwing_copy&& other) noexcept {
    value_ = other.value_;
    return *this;
  }

  ~basic_throwing_copy() { --fault_->live_; }

  /// value is the number the value carries.
  [[nodiscard]] int value() const noexcept { return value_; }

  friend bool operator==(const basic_throwing_copy& a, const basic_throwing_copy& b) noexcept {
    return a.value_ == b.value_;
  }

 private:
  int value_;
  copy_fault* fault_;
};

/// throwing_copy is the usual throwing value type.
using throwing_copy = basic_throwing_copy<void>;

}  // namespace coflow::test_support
