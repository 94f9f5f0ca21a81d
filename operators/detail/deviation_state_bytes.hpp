// coflow/operators/detail/deviation_state_bytes.hpp
//
// The serialized form of mean_state and moments. Both keep the values as deviations from a
// shift K (the first finite value) in units of 2^e, with a compensated sum of the deviations
// and the IEEE sum of the non-finite values, and write
//   header(tag, 1), count, finite count, K, e, <the state's own doubles>, sum, its
//   compensation, the non-finite sum
// (u64, u64, f64, i64, f64 each). deviation_fields are the shared fields; each state passes
// its own doubles (moments: its mean and m2; mean_state: none) and checks what only it knows.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>
#include <vector>

#include "pipeline/bytes.hpp"

namespace coflow::detail {

/// deviation_fields are the fields mean_state and moments share.
struct deviation_fields {
  std::uint64_t count = 0;    // every value
  std::uint64_t n = 0;        // the finite ones
  double shift = 0;           // K, the first finite value
  std::int64_t exponent = 0;  // e, the units of the sum are 2^e
  double sum_hi = 0;          // the sum of the deviations ...
  double sum_lo = 0;          // ... and its compensation
  double special = 0;         // the IEEE sum of the non-finite values (0 if none)

  /// keeps_invariants is whether the fields, and the state's own doubles (which are finite,
  /// and 0 below two finite values), are what add and merge leave, with e in [min_exponent,
  /// max_exponent].
  [[nodiscard]] bool keeps_invariants(std::span<const double> own, std::int64_t min_exponent,
                                      std::int64_t max_exponent) const noexcept {
    bool finite = std::isfinite(shift) && std::isfinite(sum_hi) && std::isfinite(sum_lo);
    bool zero = sum_hi == 0 && sum_lo == 0;
    for (const double x : own) {
      finite = finite && std::isfinite(x);
      zero = zero && x == 0;
    }
    return n <= count && finite && exponent >= min_exponent && exponent <= max_exponent &&
           (n >= 2 || zero) && (n != 0 || shift == 0) && (count == n) == (special == 0) &&
           (count == n || !std::isfinite(special));
  }
};

/// write_deviation_state appends the bytes of a state: `fields` around its `own` doubles.
inline void write_deviation_state(std::vector<std::byte>& out, std::string_view tag,
                                  const deviation_fields& fields,
                                  std::initializer_list<double> own) {
  byte_writer w(out);
  w.header(tag, 1);
  w.u64(fields.count);
  w.u64(fields.n);
  w.f64(fields.shift);
  w.i64(fields.exponent);
  for (const double x : own) w.f64(x);
  w.f64(fields.sum_hi);
  w.f64(fields.sum_lo);
  w.f64(fields.special);
}

/// read_deviation_state reads what write_deviation_state wrote for `tag`, the state's own
/// doubles into `own`; format_error for bytes that do not hold such a state. The caller checks
/// the invariants.
inline deviation_fields read_deviation_state(std::span<const std::byte> bytes, std::string_view tag,
                                             std::span<double> own) {
  byte_reader r(bytes);
  r.header(tag, 1);
  deviation_fields fields;
  fields.count = r.u64();
  fields.n = r.u64();
  fields.shift = r.f64();
  fields.exponent = r.i64();
  for (double& x : own) x = r.f64();
  fields.sum_hi = r.f64();
  fields.sum_lo = r.f64();
  fields.special = r.f64();
  r.finish();
  return fields;
}

}  // namespace coflow::detail
