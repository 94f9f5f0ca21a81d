// coflow/operators/detail/reserve_limit.hpp
//
// How much an operator that collects n values (batch(n), sliding(n)) reserves up front.
#pragma once

#include <algorithm>
#include <cstddef>

namespace coflow::detail {

/// reserve_limit is the most values an operator reserves room for before they arrive. A larger
/// n is not reserved up front, so that batch(huge) or sliding(huge) over a short stream does
/// not ask for memory it never uses; the vector grows geometrically from there.
inline constexpr std::size_t reserve_limit = 4096;

/// reserve_for(n) is what to reserve for n values.
constexpr std::size_t reserve_for(std::size_t n) { return std::min(n, reserve_limit); }

}  // namespace coflow::detail
