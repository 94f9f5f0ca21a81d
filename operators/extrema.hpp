// coflow/operators/extrema.hpp
//
// extrema<T>: the running minimum and maximum of numbers, as a mergeable, serializable state
// (see operators/aggregate.hpp).
//
//   coflow::extrema<int> a, b;
//   a.add(5); a.add(3);
//   b.add(9);
//   a.merge(b);   // a.min() == 3, a.max() == 9
//
// Semantics: T is an integer type, float or double. min() and max() are empty for no values.
//   Of equal values the earliest is kept, bit for bit (-0.0 and 0.0 compare equal), as
//   ops::minimize and ops::maximize do; in merge, this state's values come before other's.
//   result() is the state itself.
// NaN: as for ops::minimize / ops::maximize, once a NaN has been added or merged, min() and
//   max() are NaN from then on (NaN propagates), whatever the order.
// Exceptions: none, except deserialize: coflow::format_error for bytes that do not hold an
//   extrema state of the same T.
// Serialization: tag "coflow.extrema<...>" naming T's kind and width; doubles bit-exact
//   (NaN payloads, -0.0), float through double (exact).
// Cost: two comparisons per value, no allocation.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/bytes.hpp"

namespace coflow {

/// extrema<T> is the mergeable running minimum and maximum of values of type T.
template <class T>
  requires std::integral<T> || std::same_as<T, float> || std::same_as<T, double>
class extrema {
 public:
  /// value_type is what add() takes.
  using value_type = T;

  extrema() = default;

  /// add folds one value.
  void add(const T& x) noexcept {
    if (!min_) {
      min_ = x;
      max_ = x;
      return;
    }
    if constexpr (std::floating_point<T>) {
      if (std::isnan(*min_)) return;
      if (std::isnan(x)) {
        min_ = x;
        max_ = x;
        return;
      }
    }
    if (x < *min_) min_ = x;
    if (*max_ < x) max_ = x;
  }

  /// merge folds another state, whose values count as later than this one's.
  void merge(const extrema& other) noexcept {
    if (!other.min_) return;
    const T low = *other.min_;  // `other` may be *this
    const T high = *other.max_;
    add(low);
    if constexpr (std::floating_point<T>) {
      if (std::isnan(low)) return;
    }
    add(high);
  }

  /// result is the state itself: ask it for min() and max().
  [[nodiscard]] const extrema& result() const noexcept { return *this; }

  /// min is the smallest value so far (NaN once a NaN was seen); empty for none.
  [[nodiscard]] std::optional<T> min() const noexcept { return min_; }

  /// max is the largest value so far (NaN once a NaN was seen); empty for none.
  [[nodiscard]] std::optional<T> max() const noexcept { return max_; }

  /// serialize appends the state's bytes to `out`.
  void serialize(std::vector<std::byte>& out) const {
    byte_writer w(out);
    w.header(tag(), 1);
    w.u8(min_ ? 1 : 0);
    if (min_) {
      write(w, *min_);
      write(w, *max_);
    }
  }

  /// deserialize reads what serialize wrote; format_error for anything else.
  static extrema deserialize(std::span<const std::byte> bytes) {
    byte_reader r(bytes);
    r.header(tag(), 1);
    extrema e;
    const std::uint8_t present = r.u8();
    if (present > 1) throw format_error("coflow: an extrema state with a bad presence byte");
    if (present == 1) {
      e.min_ = read(r);
      e.max_ = read(r);
      bool valid = !(*e.max_ < *e.min_);
      if constexpr (std::floating_point<T>)
        valid = valid && std::isnan(*e.min_) == std::isnan(*e.max_);
      if (!valid) throw format_error("coflow: an extrema state whose minimum exceeds its maximum");
    }
    r.finish();
    return e;
  }

 private:
  static std::string tag() {
    if constexpr (std::same_as<T, float>) {
      return "coflow.extrema<f32>";
    } else if constexpr (std::same_as<T, double>) {
      return "coflow.extrema<f64>";
    } else {
      return std::string("coflow.extrema<") + (std::signed_integral<T> ? "i" : "u") +
             std::to_string(8 * sizeof(T)) + ">";
    }
  }

  static void write(byte_writer& w, T x) {
    if constexpr (std::floating_point<T>) {
      w.f64(static_cast<double>(x));
    } else if constexpr (std::signed_integral<T>) {
      w.i64(x);
    } else {
      w.u64(x);
    }
  }

  static T read(byte_reader& r) {
    if constexpr (std::floating_point<T>) {
      return static_cast<T>(r.f64());
    } else {
      const auto wide = [&] {
        if constexpr (std::signed_integral<T>) {
          return r.i64();
        } else {
          return r.u64();
        }
      }();
      if (!std::in_range<T>(wide)) throw format_error("coflow: an extrema value out of range");
      return static_cast<T>(wide);
    }
  }

  std::optional<T> min_;
  std::optional<T> max_;
};

}  // namespace coflow
