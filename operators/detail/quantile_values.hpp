// coflow/operators/detail/quantile_values.hpp
//
// What exact_quantiles and kll_sketch share: the value types they take, the check of a
// requested quantile q, and the encoding of their values in coflow's byte format.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <cmath>
#include <concepts>
#include <cstdint>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include "pipeline/bytes.hpp"

namespace coflow {

/// quantile_value<T> is a type whose values quantile aggregates keep: an integer of up to 64
/// bits or a float or double (not bool, not long double, whose bytes are not portable).
template <class T>
concept quantile_value = (std::integral<T> && !std::same_as<T, bool> && sizeof(T) <= 8) ||
                         std::same_as<T, float> || std::same_as<T, double>;

namespace detail {

/// is_nan(v) is true for a NaN; integers never are.
template <quantile_value T>
constexpr bool is_nan(T v) noexcept {
  if constexpr (std::floating_point<T>)
    return std::isnan(v);
  else
    return false;
}

/// check_quantile(q) throws std::invalid_argument unless 0 <= q <= 1 (so also for a NaN q).
inline void check_quantile(double q, const char* who) {
  if (q >= 0.0 && q <= 1.0) return;
  std::ostringstream message;
  message.precision(17);
  message << who << ": q = " << q << " is not in [0, 1]";
  throw std::invalid_argument(message.str());
}

/// value_tag<T>() names T in serialized bytes ("f64", "i32", "u8", ...), so that bytes of one
/// value type are not read as another.
template <quantile_value T>
std::string value_tag() {
  if constexpr (std::floating_point<T>) return sizeof(T) == 8 ? "f64" : "f32";
  return (std::is_signed_v<T> ? "i" : "u") + std::to_string(8 * sizeof(T));
}

/// write_value writes one value: floating point as f64, signed integers as i64, unsigned as
/// u64 (8 bytes each).
template <quantile_value T>
void write_value(byte_writer& w, T v) {
  if constexpr (std::floating_point<T>)
    w.f64(static_cast<double>(v));
  else if constexpr (std::is_signed_v<T>)
    w.i64(static_cast<std::int64_t>(v));
  else
    w.u64(static_cast<std::uint64_t>(v));
}

/// read_value reads what write_value wrote, rejecting a NaN and a value T cannot hold.
template <quantile_value T>
T read_value(byte_reader& r) {
  if constexpr (std::floating_point<T>) {
    const double d = r.f64();
    if (std::isnan(d)) throw format_error("coflow: a NaN among the kept values");
    if (std::isfinite(d) &&
        (d < std::numeric_limits<T>::lowest() || d > std::numeric_limits<T>::max()))
      throw format_error("coflow: a value out of the range of the value type");
    return static_cast<T>(d);
  } else if constexpr (std::is_signed_v<T>) {
    const std::int64_t v = r.i64();
    if (!std::in_range<T>(v))
      throw format_error("coflow: a value out of the range of the value type");
    return static_cast<T>(v);
  } else {
    const std::uint64_t v = r.u64();
    if (!std::in_range<T>(v))
      throw format_error("coflow: a value out of the range of the value type");
    return static_cast<T>(v);
  }
}

}  // namespace detail

}  // namespace coflow
