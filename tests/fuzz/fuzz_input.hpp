// coflow/tests/fuzz/fuzz_input.hpp
//
// What the fuzz targets share: fuzz_input reads small decisions out of the fuzzer's bytes, and
// fuzz_check reports a broken property the way libFuzzer expects (print, then abort), so that
// the same target works under libFuzzer and under tests/fuzz/replay_main.cc.
//
//   extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
//     coflow::fuzz::fuzz_input in(data, size);
//     while (!in.empty()) {
//       switch (in.pick(3)) { ... }
//     }
//     coflow::fuzz::fuzz_check(frames.live() == 0, "a frame leaked");
//     return 0;
//   }
//
// Reading past the end yields zeros, so every input, however short, decodes to something.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace coflow::fuzz {

/// fuzz_input is a cursor over the fuzzer's bytes.
class fuzz_input {
 public:
  fuzz_input(const std::uint8_t* data, std::size_t size) noexcept : data_(data), size_(size) {}

  /// empty is true once every byte was read.
  [[nodiscard]] bool empty() const noexcept { return pos_ >= size_; }

  /// byte is the next byte, 0 past the end.
  std::uint8_t byte() noexcept { return pos_ < size_ ? data_[pos_++] : 0; }

  /// pick(n) is a choice among n (n >= 1).
  std::size_t pick(std::size_t n) noexcept { return byte() % n; }

  /// flag is a yes/no decision.
  bool flag() noexcept { return (byte() & 1) != 0; }

  /// small_int(lo, hi) is an int in [lo, hi] from one byte (hi - lo < 256).
  int small_int(int lo, int hi) noexcept {
    return lo + static_cast<int>(byte() % static_cast<unsigned>(hi - lo + 1));
  }

  /// u64 is the next eight bytes, little-endian.
  std::uint64_t u64() noexcept {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(byte()) << (8 * i);
    return v;
  }

  /// any_double is any double, NaN and infinities included: the next eight bytes' bits.
  double any_double() noexcept {
    const std::uint64_t bits = u64();
    double d;
    std::memcpy(&d, &bits, sizeof d);
    return d;
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

/// fuzz_check aborts with `what` when a property does not hold.
inline void fuzz_check(bool ok, const std::string& what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz property broken: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace coflow::fuzz
