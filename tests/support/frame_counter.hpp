// coflow/tests/support/frame_counter.hpp
//
// frame_counter: counts live coroutine frames (or body scopes) through RAII tokens, the primary
// leak oracle for coroutines. A leaked frame is not always reported by LeakSanitizer (a pointer
// to it can linger in a stack slot or register at -O1/-O2), but its token is never destroyed,
// so the count says so.
//
//   coflow::coroutine<int, int> stage(coflow::test_support::frame_counter& frames) {
//     auto alive = frames.enter();    // lives exactly as long as the body's scope
//     while (auto v = co_yield coflow::receive) co_yield coflow::emit(*v);
//   }
//
//   coflow::test_support::frame_counter frames;
//   {
//     auto p = coflow::open<int>(stage(frames) | coflow::sinks::to_vector());
//     EXPECT_EQ(frames.live(), 1);
//   }
//   EXPECT_EQ(frames.live(), 0);      // the frame was destroyed with the pipeline
//   EXPECT_TRUE(frames.balanced());   // and every token exactly once
//
// A token taken in the body lives while the body's scope does (from the first resume until
// the body returns, fails, or its suspended frame is destroyed). A token passed by value as a
// coroutine parameter is copied into the frame and lives as long as the frame itself, created
// or not. Tokens are copyable and movable; each object counts while it exists, so a moved-from
// token still counts until it is destroyed.
//
// Guarantees: one thread; no allocation; the counter must outlive its tokens. A token whose
// destructor finds its (volatile) canary dead is counted in double_exits() instead of
// unbalancing the count: a best-effort diagnostic, since a second destruction is itself
// undefined behaviour (the sanitizer builds report it); the exact oracle is live() == 0.
#pragma once

#include <cstdint>

namespace coflow::test_support {

/// frame_counter counts the tokens it handed out that are still alive.
class frame_counter {
 public:
  /// token is the RAII mark of one live frame (or body scope).
  class token {
   public:
    explicit token(frame_counter& counter) noexcept : counter_(&counter) { counter_->on_enter(); }
    token(const token& other) noexcept : counter_(other.counter_) { counter_->on_enter(); }
    token(token&& other) noexcept : counter_(other.counter_) { counter_->on_enter(); }
    token& operator=(const token&) = delete;
    token& operator=(token&&) = delete;
    ~token() {
      if (canary_ != alive) {
        ++counter_->double_exits_;
        return;
      }
      canary_ = dead;
      counter_->on_exit();
    }

   private:
    static constexpr std::uint32_t alive = 0xF2A3Eu;
    static constexpr std::uint32_t dead = 0xDEADu;

    frame_counter* counter_;
    volatile std::uint32_t canary_ = alive;
  };

  frame_counter() = default;
  frame_counter(const frame_counter&) = delete;
  frame_counter& operator=(const frame_counter&) = delete;

  /// enter returns a token that counts as one live frame until it is destroyed.
  [[nodiscard]] token enter() noexcept { return token(*this); }

  /// live is the number of tokens alive now.
  [[nodiscard]] long live() const noexcept { return entered_ - exited_; }
  /// entered is the number of tokens ever made (copies and moves included).
  [[nodiscard]] long entered() const noexcept { return entered_; }
  /// exited is the number of tokens destroyed.
  [[nodiscard]] long exited() const noexcept { return exited_; }
  /// peak is the largest number of tokens alive at once.
  [[nodiscard]] long peak() const noexcept { return peak_; }
  /// double_exits counts tokens destroyed a second time (always 0 in a correct program).
  [[nodiscard]] long double_exits() const noexcept { return double_exits_; }

  /// balanced is true when every token made was destroyed exactly once.
  [[nodiscard]] bool balanced() const noexcept { return live() == 0 && double_exits_ == 0; }

 private:
  void on_enter() noexcept {
    ++entered_;
    if (live() > peak_) peak_ = live();
  }
  void on_exit() noexcept { ++exited_; }

  long entered_ = 0;
  long exited_ = 0;
  long peak_ = 0;
  long double_exits_ = 0;
};

}  // namespace coflow::test_support
