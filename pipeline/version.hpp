// coflow/pipeline/version.hpp
//
// version: coflow's version, defined here and nowhere else. CMake's project() reads the three
// COFLOW_VERSION_* lines from this file, and the pkg-config file and CMake's version file are
// generated from that, so the numbers cannot drift apart.
//
// For the preprocessor, COFLOW_VERSION is MAJOR * 10000 + MINOR * 100 + PATCH, as Boost and fmt
// spell theirs (0.3.0 is 300):
//
//   #if COFLOW_VERSION >= 300
//
// For C++, coflow::version holds the three numbers (compared with <, ==, ...) and
// coflow::version_string spells them "0.3.0".
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <array>
#include <compare>
#include <cstddef>
#include <string_view>

#define COFLOW_VERSION_MAJOR 0
#define COFLOW_VERSION_MINOR 3
#define COFLOW_VERSION_PATCH 0

#define COFLOW_VERSION \
  (COFLOW_VERSION_MAJOR * 10000 + COFLOW_VERSION_MINOR * 100 + COFLOW_VERSION_PATCH)

namespace coflow {

/// version_info is a version as three numbers, ordered the way versions are.
struct version_info {
  int major;
  int minor;
  int patch;

  friend constexpr auto operator<=>(const version_info&, const version_info&) = default;
};

/// version is the version of the coflow headers being compiled.
inline constexpr version_info version{COFLOW_VERSION_MAJOR, COFLOW_VERSION_MINOR,
                                      COFLOW_VERSION_PATCH};

namespace detail {

// "MAJOR.MINOR.PATCH" spelled at compile time from the numbers, so that the string is not a
// second copy of the version. Room for three numbers of up to 10 digits and two dots.
struct version_chars {
  std::array<char, 3 * 10 + 2> chars{};
  std::size_t size = 0;

  constexpr void append(int n) {
    std::array<char, 10> digits{};
    std::size_t count = 0;
    do {
      digits[count++] = static_cast<char>('0' + n % 10);
      n /= 10;
    } while (n > 0);
    while (count > 0) chars[size++] = digits[--count];
  }
};

constexpr version_chars spell(version_info v) {
  version_chars s;
  s.append(v.major);
  s.chars[s.size++] = '.';
  s.append(v.minor);
  s.chars[s.size++] = '.';
  s.append(v.patch);
  return s;
}

inline constexpr version_chars version_spelled = spell(version);

}  // namespace detail

/// version_string is `version` as "MAJOR.MINOR.PATCH", e.g. "0.3.0".
inline constexpr std::string_view version_string{detail::version_spelled.chars.data(),
                                                 detail::version_spelled.size};

}  // namespace coflow
