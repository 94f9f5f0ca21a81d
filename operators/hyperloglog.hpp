// coflow/operators/hyperloglog.hpp
//
// hyperloglog<T>: the number of distinct values in a stream, estimated in 2^p bytes of memory,
// with a relative standard error of 1.04 / sqrt(2^p) (0.81 % at the default p = 14, 16 KiB).
// A mergeable, serializable aggregate (operators/aggregate.hpp): sketches of parts of a stream,
// made on threads or machines, merge into exactly the sketch of the whole stream.
//
//   coflow::hyperloglog<std::string> users;            // p = 14
//   for (const auto& line : log) users.add(user_of(line));
//   std::uint64_t distinct = users.result();           // about the number of distinct users
//
//   auto sketch = coflow::run(ids, coflow::sinks::aggregate(coflow::hyperloglog<long>(12)));
//   sketch.merge(sketch_from_another_worker);          // register-wise maximum
//
// The sketch (Flajolet, Fusy, Gandouet, Meunier 2007): each value's 64-bit hash picks one of
// m = 2^p registers by its top p bits; the register keeps the largest rank (1 + the number of
// leading zero bits) seen among the remaining 64 - p bits. The estimator is Ertl's improved
// estimator ("New cardinality estimation algorithms for HyperLogLog sketches", 2017,
// Algorithm 6), computed from the histogram of register values. It needs neither HLL++'s
// empirical bias tables nor a switch to linear counting: its small-range term (σ) takes the
// place of linear counting and its large-range term (τ) that of the 2^32 correction, and it is
// close to unbiased from 0 to far beyond 10^9 distinct values. Small counts come out exact or
// within one (0 is exactly 0); from a few thousand distinct values on, the relative error is
// normal with the standard deviation above.
//
// Hashing (operators/detail/sketch_hash.hpp): numbers by their canonical 64-bit form through
// splitmix64 (so +0.0 and -0.0 are one value, all NaNs are one value, and an int and a long of
// the same value are the same value), strings by XXH64 of their bytes. The hash is the same on
// every platform, so serialized sketches from different machines merge.
//
// Exceptions: the constructor throws std::invalid_argument for p outside [4, 18]; merge throws
// std::invalid_argument for sketches of different p; deserialize throws coflow::format_error.
// add, result and estimate do not throw. Cost: add is one hash, a shift and a compare, O(1),
// no allocation; result is O(64 - p) (a histogram of the registers is kept up to date); merge
// is O(2^p); memory is 2^p bytes, the serialized form at most 0.75 · 2^p + 25 bytes (6 bits a
// register), less for a sketch of few values (only the registers in use).
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "operators/detail/sketch_hash.hpp"
#include "pipeline/bytes.hpp"

namespace coflow {

/// hyperloglog<T> estimates the number of distinct values of T added to it (see above). T is
/// a number or a string type (anything that converts to std::string_view).
template <detail::sketch_hashable T>
class hyperloglog {
 public:
  using value_type = T;

  static constexpr int min_precision = 4;
  static constexpr int max_precision = 18;
  static constexpr int default_precision = 14;

  /// hyperloglog() is the sketch of no values at the default precision, 14.
  hyperloglog() : hyperloglog(default_precision) {}

  /// hyperloglog(precision) is the sketch of no values with 2^precision registers.
  /// Throws std::invalid_argument unless 4 <= precision <= 18.
  explicit hyperloglog(int precision) : p_(checked(precision)), registers_(std::size_t{1} << p_) {
    histogram_[0] = static_cast<std::uint32_t>(registers_.size());
  }

  /// add(value) adds one value; adding it again changes nothing.
  void add(const T& value) noexcept { add_hash(detail::sketch_hash(value)); }

  /// add_hash(h) adds a value by its 64-bit hash, for values hashed elsewhere. The hash must
  /// be a good one (every bit equally likely), and sketches that merge must use the same.
  void add_hash(std::uint64_t h) noexcept {
    const std::size_t index = static_cast<std::size_t>(h >> (64 - p_));
    const std::uint64_t rest = h << p_;
    const auto rank = static_cast<std::uint8_t>(
        rest == 0 ? max_rank() : std::countl_zero(rest) + 1);  // rest != 0: at most 64 - p
    raise(index, rank);
  }

  /// merge(other) makes this the sketch of every value added to either: the register-wise
  /// maximum, bit for bit the sketch of all those values added to one sketch.
  /// Throws std::invalid_argument if the precisions differ.
  void merge(const hyperloglog& other) {
    if (other.p_ != p_)
      throw std::invalid_argument("coflow::hyperloglog::merge: the sketches' precisions differ (" +
                                  std::to_string(p_) + " and " + std::to_string(other.p_) +
                                  "); only sketches of one precision merge");
    for (std::size_t i = 0; i < registers_.size(); ++i) raise(i, other.registers_[i]);
  }

  /// result() is the estimated number of distinct values, rounded to the nearest integer.
  [[nodiscard]] std::uint64_t result() const noexcept {
    return static_cast<std::uint64_t>(std::llround(estimate()));
  }

  /// estimate() is the estimated number of distinct values, unrounded (Ertl's estimator).
  [[nodiscard]] double estimate() const noexcept {
    const int q = 64 - p_;
    const double m = static_cast<double>(registers_.size());
    double z = m * tau(1.0 - histogram_[static_cast<std::size_t>(q + 1)] / m);
    for (int k = q; k >= 1; --k) z = 0.5 * (z + histogram_[static_cast<std::size_t>(k)]);
    z += m * sigma(histogram_[0] / m);
    if (std::isinf(z)) return 0.0;  // no value added
    return m * m / (2.0 * std::log(2.0)) / z;
  }

  /// precision() is p: the sketch has 2^p registers.
  [[nodiscard]] int precision() const noexcept { return p_; }

  /// relative_standard_error() is 1.04 / sqrt(2^p), the stated relative standard error of the
  /// estimate: for many distinct values, about 68 % of estimates are within it, 99.7 % within
  /// three times it.
  [[nodiscard]] double relative_standard_error() const noexcept {
    return 1.04 / std::sqrt(static_cast<double>(registers_.size()));
  }

  /// registers() is the sketch's state: 2^p ranks, each from 0 (nothing seen) to 65 - p.
  [[nodiscard]] std::span<const std::uint8_t> registers() const noexcept { return registers_; }

  /// serialize(out) appends the sketch: its precision and its registers, 6 bits each, or for a
  /// sketch with few registers in use, only those (index and rank).
  void serialize(std::vector<std::byte>& out) const {
    byte_writer w(out);
    w.header(tag, version);
    w.u8(static_cast<std::uint8_t>(p_));
    const std::size_t used = registers_.size() - histogram_[0];
    if (used * 4 < dense_bytes()) {
      w.u8(sparse);
      w.u64(used);
      for (std::size_t i = 0; i < registers_.size(); ++i)
        if (registers_[i] != 0) w.u32(static_cast<std::uint32_t>(i << 6 | registers_[i]));
    } else {
      w.u8(dense);
      std::uint32_t bits = 0;
      int held = 0;
      for (std::uint8_t r : registers_) {
        bits |= std::uint32_t{r} << held;
        for (held += 6; held >= 8; held -= 8, bits >>= 8)
          w.u8(static_cast<std::uint8_t>(bits & 0xff));
      }
      if (held > 0) w.u8(static_cast<std::uint8_t>(bits));
    }
  }

  /// deserialize(bytes) is the sketch that serialize wrote. Throws coflow::format_error for
  /// bytes that are not a whole hyperloglog of a precision in [4, 18] with valid registers.
  static hyperloglog deserialize(std::span<const std::byte> bytes) {
    byte_reader r(bytes);
    r.header(tag, version);
    const int p = r.u8();
    if (p < min_precision || p > max_precision)
      throw format_error("coflow: hyperloglog bytes of precision " + std::to_string(p) +
                         ", not in [4, 18]");
    hyperloglog h(p);
    const auto top = static_cast<std::uint32_t>(h.max_rank());
    const std::uint8_t encoding = r.u8();
    if (encoding == sparse) {
      const std::size_t used = r.count(4);
      std::size_t next = 0;  // the lowest index the next register may have
      for (std::size_t n = 0; n < used; ++n) {
        const std::uint32_t entry = r.u32();
        const std::size_t index = entry >> 6;
        const std::uint32_t rank = entry & 63;
        if (index < next || index >= h.registers_.size() || rank == 0 || rank > top)
          throw format_error("coflow: hyperloglog bytes with an invalid register entry");
        h.raise(index, static_cast<std::uint8_t>(rank));
        next = index + 1;
      }
    } else if (encoding == dense) {
      std::uint32_t bits = 0;
      int held = 0;
      for (std::size_t i = 0; i < h.registers_.size(); ++i) {
        for (; held < 6; held += 8) bits |= std::uint32_t{r.u8()} << held;
        const std::uint32_t rank = bits & 63;
        bits >>= 6;
        held -= 6;
        if (rank > top)
          throw format_error("coflow: hyperloglog bytes with a register of rank " +
                             std::to_string(rank) + " (at most " + std::to_string(top) + ")");
        h.raise(i, static_cast<std::uint8_t>(rank));
      }
      if (bits != 0) throw format_error("coflow: hyperloglog bytes with stray padding bits");
    } else {
      throw format_error("coflow: hyperloglog bytes of unknown encoding " +
                         std::to_string(encoding));
    }
    r.finish();
    return h;
  }

  /// Two sketches are equal if they have the same precision and registers.
  friend bool operator==(const hyperloglog& a, const hyperloglog& b) noexcept {
    return a.p_ == b.p_ && a.registers_ == b.registers_;
  }

 private:
  static constexpr const char* tag = "hyperloglog";
  static constexpr std::uint32_t version = 1;
  static constexpr std::uint8_t dense = 0;
  static constexpr std::uint8_t sparse = 1;

  static int checked(int precision) {
    if (precision < min_precision || precision > max_precision)
      throw std::invalid_argument(
          "coflow::hyperloglog: precision p = " + std::to_string(precision) + " is not in [4, 18]");
    return precision;
  }

  [[nodiscard]] int max_rank() const noexcept { return 64 - p_ + 1; }
  [[nodiscard]] std::size_t dense_bytes() const noexcept { return (registers_.size() * 6 + 7) / 8; }

  void raise(std::size_t index, std::uint8_t rank) noexcept {
    std::uint8_t& r = registers_[index];
    if (rank <= r) return;
    --histogram_[r];
    ++histogram_[rank];
    r = rank;
  }

  // Ertl 2017, Algorithm 6: σ(x) = x + Σ_{k≥1} x^(2^k) 2^(k-1), for the registers still 0.
  static double sigma(double x) noexcept {
    if (x == 1.0) return std::numeric_limits<double>::infinity();
    double y = 1.0;
    double z = x;
    double previous;
    do {
      x *= x;
      previous = z;
      z += x * y;
      y += y;
    } while (z != previous);
    return z;
  }

  // τ(x) = (1 - x - Σ_{k≥1} (1 - x^(2^-k))^2 2^-k) / 3, for the registers at the top rank.
  static double tau(double x) noexcept {
    if (x == 0.0 || x == 1.0) return 0.0;
    double y = 1.0;
    double z = 1.0 - x;
    double previous;
    do {
      x = std::sqrt(x);
      previous = z;
      y *= 0.5;
      z -= (1.0 - x) * (1.0 - x) * y;
    } while (z != previous);
    return z / 3.0;
  }

  int p_;
  std::vector<std::uint8_t> registers_;
  std::array<std::uint32_t, 64> histogram_{};  // histogram_[k]: registers of rank k
};

}  // namespace coflow
