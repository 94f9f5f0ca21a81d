// coflow/tests/support/counted.hpp
//
// counted<Tag>: a value type that counts its constructions, copies, moves and destructions,
// the oracle for "every value is destroyed exactly once" in tests of pipelines and coroutines.
//
//   using value = coflow::test_support::counted<struct my_test>;
//   value::reset();
//   {
//     auto out = coflow::run(std::vector<value>{value(1), value(2)}, ... | to_vector());
//   }
//   EXPECT_EQ(value::stats().live(), 0);        // nothing leaked
//   EXPECT_EQ(value::stats().bad_destructions, 0);  // nothing destroyed twice
//
// Guarantees: the counters are per Tag, so tests that use different tags do not disturb each
// other; they are plain integers (one thread). Moves never throw; a moved-from value keeps its
// number and says moved_from(). No allocation. A value also keeps a canary, volatile so that
// the compiler cannot drop the store in the destructor, and counts a destructor or read that
// finds it dead in bad_destructions / bad_reads. That is a best-effort diagnostic (the second
// destruction is itself undefined behaviour, which the sanitizer builds report); the exact
// oracle is live() coming back to 0.
#pragma once

#include <compare>
#include <cstdint>

namespace coflow::test_support {

/// counts are the lifetime events of the counted<Tag> values of one Tag.
struct counts {
  long constructions = 0;  // every constructor: from an int, copy and move
  long copies = 0;         // copy constructions and copy assignments
  long moves = 0;          // move constructions and move assignments
  long destructions = 0;
  long bad_destructions = 0;  // a destructor ran on an object that was not alive
  long bad_reads = 0;         // a value was read, copied or moved from after its destruction

  /// live is the number of values constructed and not yet destroyed.
  [[nodiscard]] long live() const noexcept { return constructions - destructions; }
};

/// counted<Tag> is an int-carrying value whose lifetime events are counted in stats().
template <class Tag = void>
class counted {
 public:
  /// counted(v) makes a value carrying v.
  explicit counted(int v = 0) noexcept : value_(v) { ++stats().constructions; }

  counted(const counted& other) noexcept : value_(other.checked_value()) {
    ++stats().constructions;
    ++stats().copies;
  }

  counted(counted&& other) noexcept : value_(other.checked_value()) {
    other.moved_from_ = true;
    ++stats().constructions;
    ++stats().moves;
  }

  counted& operator=(const counted& other) noexcept {
    value_ = other.checked_value();
    moved_from_ = other.moved_from_;
    ++stats().copies;
    return *this;
  }

  counted& operator=(counted&& other) noexcept {
    value_ = other.checked_value();
    moved_from_ = other.moved_from_;
    other.moved_from_ = true;
    ++stats().moves;
    return *this;
  }

  ~counted() {
    if (canary_ != alive) ++stats().bad_destructions;
    canary_ = dead;
    ++stats().destructions;
  }

  /// value is the number the value carries (a moved-from value keeps it).
  [[nodiscard]] int value() const noexcept { return checked_value(); }

  /// moved_from is true once the value was moved from.
  [[nodiscard]] bool moved_from() const noexcept { return moved_from_; }

  /// stats are the counters of every counted<Tag>.
  static counts& stats() noexcept {
    static counts c;
    return c;
  }

  /// reset zeroes the counters; call it at the start of a test.
  static void reset() noexcept { stats() = counts{}; }

  friend bool operator==(const counted& a, const counted& b) noexcept {
    return a.value() == b.value();
  }
  friend std::strong_ordering operator<=>(const counted& a, const counted& b) noexcept {
    return a.value() <=> b.value();
  }

 private:
  static constexpr std::uint32_t alive = 0xC0FFEEu;
  static constexpr std::uint32_t dead = 0xDEADu;

  [[nodiscard]] int checked_value() const noexcept {
    if (canary_ != alive) ++stats().bad_reads;
    return value_;
  }

  int value_;
  bool moved_from_ = false;
  volatile std::uint32_t canary_ = alive;
};

}  // namespace coflow::test_support
