// coflow/operators/counter.hpp
//
// counter: the number of values, as a mergeable, serializable state (see
// operators/aggregate.hpp), so that every basic aggregate has one.
//
//   coflow::counter c = coflow::run(words, coflow::sinks::aggregate(coflow::counter{}));
//   c.result();   // how many words
//
// Semantics: add takes a value of any type (counter::value_type converts from anything) and
//   counts it; merge adds the counts; result() is the count, a std::uint64_t, 0 for none.
// Exceptions: add and merge throw std::overflow_error past 2^64 - 1 values (never in
//   practice, but a merge of corrupt states must not wrap). deserialize throws
//   coflow::format_error for bytes that do not hold a counter.
// Serialization: tag "coflow.counter", version 1, the count as a u64.
// Cost: one checked increment per value.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <vector>

#include "pipeline/bytes.hpp"

namespace coflow {

/// counter is the mergeable count of values of any type.
class counter {
 public:
  /// value_type is what add() takes: anything converts to it, and is only counted.
  struct value_type {
    template <class T>
    value_type(const T&) noexcept {}  // NOLINT(google-explicit-constructor): counts anything
  };

  counter() = default;

  /// add counts one value.
  void add(const value_type&) { increase(1); }

  /// merge adds another counter's count.
  void merge(const counter& other) { increase(other.count_); }

  /// result is the number of values counted.
  [[nodiscard]] std::uint64_t result() const noexcept { return count_; }

  /// serialize appends the state's bytes to `out`.
  void serialize(std::vector<std::byte>& out) const {
    byte_writer w(out);
    w.header("coflow.counter", 1);
    w.u64(count_);
  }

  /// deserialize reads what serialize wrote; format_error for anything else.
  static counter deserialize(std::span<const std::byte> bytes) {
    byte_reader r(bytes);
    r.header("coflow.counter", 1);
    counter c;
    c.count_ = r.u64();
    r.finish();
    return c;
  }

  friend bool operator==(const counter&, const counter&) = default;

 private:
  void increase(std::uint64_t by) {
    std::uint64_t next;
    if (__builtin_add_overflow(count_, by, &next)) [[unlikely]]
      throw std::overflow_error("coflow::counter: more than 2^64 - 1 values");
    count_ = next;
  }

  std::uint64_t count_ = 0;
};

}  // namespace coflow
