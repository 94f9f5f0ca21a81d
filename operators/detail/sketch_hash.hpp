// coflow/operators/detail/sketch_hash.hpp
//
// The 64-bit hash and the canonical form of values that the sketches (hyperloglog, top_k) use.
// Not for users: the functions may change with the sketches' format versions.
//
// The hash is the same on every platform and standard library (no std::hash), so that sketches
// serialized on one machine merge with sketches made on another:
//   - numbers: the canonical value as 64 bits through splitmix64 (Steele, Lea, Flood 2014; the
//     finalizer is Stafford's "mix13"). splitmix64 is a bijection of 64-bit words, so distinct
//     canonical values never collide, and consecutive integers come out uncorrelated (std::hash
//     of an integer is the identity in libstdc++, which would put them in one HyperLogLog
//     bucket after another).
//   - strings: XXH64 with seed 0 (Collet, xxHash), the bytes as they are.
// The canonical form: integers as their value (signed ones sign-extended, so hyperloglog<int>
// and hyperloglog<long> agree on a value); float and double as a double with -0.0 made +0.0
// and every NaN one quiet NaN; long double by its sign, exponent and mantissa (its padding
// bytes are never read).
#pragma once

#include <bit>
#include <cmath>
#include <compare>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>

namespace coflow::detail {

/// sketch_hashable<T>: a number (bool and the character types included) or something that
/// converts to std::string_view (std::string, std::string_view, a string literal).
template <class T>
concept sketch_hashable =
    std::is_arithmetic_v<T> || std::convertible_to<const T&, std::string_view>;

/// splitmix64(x) is one step of splitmix64: a bijective mix of 64-bit words.
constexpr std::uint64_t splitmix64(std::uint64_t x) noexcept {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

namespace xxh64 {

inline constexpr std::uint64_t prime1 = 0x9e3779b185ebca87ULL;
inline constexpr std::uint64_t prime2 = 0xc2b2ae3d27d4eb4fULL;
inline constexpr std::uint64_t prime3 = 0x165667b19e3779f9ULL;
inline constexpr std::uint64_t prime4 = 0x85ebca77c2b2ae63ULL;
inline constexpr std::uint64_t prime5 = 0x27d4eb2f165667c5ULL;

inline std::uint64_t read64(const unsigned char* p) noexcept {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];  // little-endian on every platform
  return v;
}

inline std::uint64_t read32(const unsigned char* p) noexcept {
  return std::uint64_t{p[0]} | std::uint64_t{p[1]} << 8 | std::uint64_t{p[2]} << 16 |
         std::uint64_t{p[3]} << 24;
}

constexpr std::uint64_t round(std::uint64_t acc, std::uint64_t input) noexcept {
  return std::rotl(acc + input * prime2, 31) * prime1;
}

constexpr std::uint64_t merge_round(std::uint64_t acc, std::uint64_t v) noexcept {
  return (acc ^ round(0, v)) * prime1 + prime4;
}

}  // namespace xxh64

/// xxhash64(bytes) is XXH64 of the bytes with seed 0.
inline std::uint64_t xxhash64(std::string_view bytes) noexcept {
  using namespace xxh64;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::size_t len = bytes.size();
  const unsigned char* const end = p + len;
  std::uint64_t h;
  if (len >= 32) {
    std::uint64_t v1 = prime1 + prime2, v2 = prime2, v3 = 0, v4 = 0 - prime1;
    for (const unsigned char* limit = end - 32; p <= limit; p += 32) {
      v1 = round(v1, read64(p));
      v2 = round(v2, read64(p + 8));
      v3 = round(v3, read64(p + 16));
      v4 = round(v4, read64(p + 24));
    }
    h = std::rotl(v1, 1) + std::rotl(v2, 7) + std::rotl(v3, 12) + std::rotl(v4, 18);
    h = merge_round(h, v1);
    h = merge_round(h, v2);
    h = merge_round(h, v3);
    h = merge_round(h, v4);
  } else {
    h = prime5;
  }
  h += len;
  for (; end - p >= 8; p += 8) h = std::rotl(h ^ round(0, read64(p)), 27) * prime1 + prime4;
  if (end - p >= 4) {
    h = std::rotl(h ^ (read32(p) * prime1), 23) * prime2 + prime3;
    p += 4;
  }
  for (; p < end; ++p) h = std::rotl(h ^ (*p * prime5), 11) * prime1;
  h = (h ^ (h >> 33)) * prime2;
  h = (h ^ (h >> 29)) * prime3;
  return h ^ (h >> 32);
}

/// canonical(x) is x with -0.0 made +0.0 and every NaN the one quiet NaN of its type; other
/// values as they are.
template <class T>
constexpr T canonical(T x) noexcept {
  if constexpr (std::is_floating_point_v<T>) {
    if (x != x) return std::numeric_limits<T>::quiet_NaN();
    if (x == T{0}) return T{0};
  }
  return x;
}

/// sketch_hash(x) is the 64-bit hash of x's canonical form (see the top of this file).
template <sketch_hashable T>
std::uint64_t sketch_hash(const T& x) noexcept {
  if constexpr (std::is_integral_v<T>) {
    if constexpr (std::is_signed_v<T>)
      return splitmix64(static_cast<std::uint64_t>(static_cast<std::int64_t>(x)));
    else
      return splitmix64(static_cast<std::uint64_t>(x));
  } else if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
    return splitmix64(std::bit_cast<std::uint64_t>(static_cast<double>(canonical(x))));
  } else if constexpr (std::is_floating_point_v<T>) {
    const T c = canonical(x);
    if (c != c || c == T{0} || std::isinf(c))  // exact in a double
      return splitmix64(std::bit_cast<std::uint64_t>(static_cast<double>(c)));
    int exponent = 0;
    const T fraction = std::frexp(c, &exponent);  // |fraction| in [0.5, 1)
    // Exact for x86's 64-bit mantissa; a wider long double keeps its top 64 bits.
    const auto mantissa = static_cast<std::uint64_t>(std::ldexp(std::fabs(fraction), 64));
    const auto sign_and_exponent =
        static_cast<std::uint64_t>(static_cast<std::int64_t>(exponent)) * 2 + (c < 0 ? 1 : 0);
    return splitmix64(mantissa ^ splitmix64(sign_and_exponent));
  } else {
    return xxhash64(std::string_view(x));
  }
}

/// sketch_equal(a, b): a and b have one canonical form (all NaNs are equal, and -0.0 == +0.0).
template <class T>
constexpr bool sketch_equal(const T& a, const T& b) {
  if constexpr (std::is_floating_point_v<T>)
    return a == b || (a != a && b != b);
  else
    return a == b;
}

/// sketch_less(a, b) is a total order over canonical values (floating point by IEEE 754
/// totalOrder, so the canonical NaN comes after +infinity).
template <class T>
constexpr bool sketch_less(const T& a, const T& b) {
  if constexpr (std::is_floating_point_v<T>)
    return std::strong_order(a, b) < 0;
  else
    return a < b;
}

/// sketch_hasher and sketch_key_equal adapt sketch_hash and sketch_equal to unordered maps.
struct sketch_hasher {
  template <class T>
  std::size_t operator()(const T& x) const noexcept {
    return static_cast<std::size_t>(sketch_hash(x));
  }
};

struct sketch_key_equal {
  template <class T>
  bool operator()(const T& a, const T& b) const {
    return sketch_equal(a, b);
  }
};

}  // namespace coflow::detail
