// Fuzz target: the aggregates on arbitrary numbers, against long double references.
//
// Input: a mode byte (doubles, std::int64_t or std::uint64_t values), an ewma weight byte
// (alpha = (b + 1) / 256), then the values, eight bytes each (a double's bits: NaN, infinities,
// subnormals and the extremes all come up). Every running aggregate is run over the values and
// each output is checked against a reference computed here in long double:
// - count: 1, 2, 3, ...
// - minimize / maximize: the exact extreme (the earliest of equals, bit for bit); NaN from the
//   first NaN on.
// - sum: within the compensated bound 2 eps |S| + 4 k eps^2 sum|x| of the exact sum S; NaN /
//   inf by IEEE rules (a running sum that overflows stays infinite); integer sums exact, and
//   std::overflow_error exactly at the first prefix whose exact sum leaves the accumulator's range.
// - averager: within 2 ulp plus 4 k eps^2 mean|x - x0| of the exact mean; finite whenever the
//   values are.
// - variance / stddev: within a Welford error bound, on the distances from the first value, of
//   the two-pass variance (stddev also where the variance overflows or underflows); never negative;
//   NaN once a NaN or an infinity was seen; +inf only when the spread really overflows.
// - ewma: within k * eps * max|x| of the recursion done in long double; alpha = 1 outputs the
//   input itself.
// - merged states (counter, extrema, sum_state, moments): the values split into 1 to 8 parts
//   (the ewma byte picks how many), merged left to right and right to left, give the state of
//   the whole stream (counter and extrema exactly, the others within their error bounds);
//   every state round-trips through bytes bit for bit.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "operators/averager.hpp"
#include "operators/count.hpp"
#include "operators/counter.hpp"
#include "operators/ewma.hpp"
#include "operators/extrema.hpp"
#include "operators/maximize.hpp"
#include "operators/minimize.hpp"
#include "operators/moments.hpp"
#include "operators/stddev.hpp"
#include "operators/sum.hpp"
#include "operators/sum_state.hpp"
#include "operators/to_vector.hpp"
#include "operators/variance.hpp"
#include "pipeline/compose.hpp"
#include "pipeline/run.hpp"
#include "tests/fuzz/fuzz_input.hpp"

namespace {

namespace ops = coflow::ops;
namespace sinks = coflow::sinks;
using coflow::fuzz::fuzz_check;
using coflow::fuzz::fuzz_input;
using ld = long double;
// Wide enough for the exact sum of 64 values of 64 bits (a GCC and clang extension).
__extension__ typedef __int128 wide_int;

constexpr ld eps = std::numeric_limits<double>::epsilon();
constexpr ld ld_eps = std::numeric_limits<ld>::epsilon();  // the reference's rounding
constexpr ld dbl_max = std::numeric_limits<double>::max();
constexpr ld tiny = std::numeric_limits<double>::denorm_min();

template <class T, class Stage>
std::vector<double> outputs(const std::vector<T>& xs, Stage stage) {
  return coflow::run(xs, stage | sinks::to_vector());
}

// valgrind runs x87 long double arithmetic at double precision and range, which makes a long
// double reference no better than the code under test. Under it the accuracy checks stand
// down and the rules that need no reference (NaN and infinity classes, signs, exact results)
// are still checked.
bool long_double_is_wider() {
  volatile long double one = 1;
  volatile long double sum = one + 0x1p-60L;
  return sum != one;
}

const bool precise = long_double_is_wider();

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

std::string at(const char* op, std::size_t k, double got, ld want) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%s after %zu values: got %.17g, reference %.21Lg", op, k, got,
                want);
  return buf;
}

// Non-finite values seen so far in a prefix.
struct specials {
  bool nan = false;
  bool pos_inf = false;
  bool neg_inf = false;
  void see(double x) {
    nan = nan || std::isnan(x);
    pos_inf = pos_inf || x == std::numeric_limits<double>::infinity();
    neg_inf = neg_inf || x == -std::numeric_limits<double>::infinity();
  }
  [[nodiscard]] bool any() const { return nan || pos_inf || neg_inf; }
  // The IEEE value of a sum or mean over the prefix, when it holds a non-finite value.
  [[nodiscard]] double ieee() const {
    if (nan || (pos_inf && neg_inf)) return std::numeric_limits<double>::quiet_NaN();
    return pos_inf ? std::numeric_limits<double>::infinity()
                   : -std::numeric_limits<double>::infinity();
  }
};

bool matches_special(double got, double want) {
  return std::isnan(want) ? std::isnan(got) : got == want;
}

// --- Doubles
// --------------------------------------------------------------------------------------

void check_count(const std::vector<double>& xs) {
  const auto out = coflow::run(xs, ops::count() | sinks::to_vector());
  fuzz_check(out.size() == xs.size(), "count: one output per value");
  for (std::size_t i = 0; i < out.size(); ++i) fuzz_check(out[i] == i + 1, "count: wrong count");
}

template <bool Min>
void check_extreme(const std::vector<double>& xs) {
  const auto out = Min ? outputs(xs, ops::minimize()) : outputs(xs, ops::maximize());
  const char* op = Min ? "minimize" : "maximize";
  fuzz_check(out.size() == xs.size(), std::string(op) + ": one output per value");
  std::optional<double> best;
  bool nan = false;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const double x = xs[i];
    if (std::isnan(x)) nan = true;
    if (!best || (Min ? x < *best : *best < x)) best = x;
    if (nan) {
      fuzz_check(std::isnan(out[i]), at(op, i + 1, out[i], NAN) + " (a NaN was seen)");
    } else {
      fuzz_check(same_bits(out[i], *best), at(op, i + 1, out[i], *best));
    }
  }
}

void check_sum(const std::vector<double>& xs) {
  const auto out = outputs(xs, ops::sum());
  fuzz_check(out.size() == xs.size(), "sum: one output per value");
  specials s;
  ld exact = 0;
  ld magnitude = 0;
  bool ambiguous = false;  // a partial sum came so close to the limit that either is right
  std::optional<bool> overflowed_up;  // a partial sum certainly overflowed (its sign)
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const double x = xs[i];
    const std::size_t k = i + 1;
    s.see(x);
    if (!precise) {
      if (s.nan) fuzz_check(std::isnan(out[i]), at("sum", k, out[i], NAN));
      continue;
    }
    if (std::isfinite(x)) {
      exact += x;
      magnitude += std::fabs(static_cast<ld>(x));
    }
    const ld bound = 2 * static_cast<ld>(k) * eps * magnitude + tiny;
    if (s.any() || overflowed_up) {
      // From a non-finite input or an overflow on, finite values no longer change the sum.
    } else if (std::fabs(exact) > dbl_max + bound) {
      overflowed_up = exact > 0;
    } else if (std::fabs(exact) > dbl_max - bound) {
      ambiguous = true;
    }
    if (ambiguous) continue;  // the double sum may or may not have overflowed here
    specials all = s;
    if (overflowed_up) (*overflowed_up ? all.pos_inf : all.neg_inf) = true;
    if (all.any()) {
      fuzz_check(matches_special(out[i], all.ieee()), at("sum", k, out[i], all.ieee()));
    } else {
      // Compensated: 2 ulp of the sum plus 4 k eps^2 sum|x|, and the reference's own error.
      const ld kk = static_cast<ld>(k);
      const ld compensated =
          2 * eps * std::fabs(exact) + (4 * kk * eps * eps + 2 * kk * ld_eps) * magnitude + tiny;
      fuzz_check(std::isfinite(out[i]) && std::fabs(out[i] - exact) <= compensated,
                 at("sum", k, out[i], exact));
    }
  }
}

void check_averager(const std::vector<double>& xs) {
  const auto out = outputs(xs, ops::averager());
  fuzz_check(out.size() == xs.size(), "averager: one output per value");
  specials s;
  ld exact = 0;
  ld largest = 0;
  ld magnitude = 0;
  ld distance = 0;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const double x = xs[i];
    const std::size_t k = i + 1;
    s.see(x);
    if (std::isfinite(x)) {
      exact += x;
      largest = std::max(largest, std::fabs(static_cast<ld>(x)));
      magnitude += std::fabs(static_cast<ld>(x));
      distance += std::fabs(static_cast<ld>(x) - xs[0]);
    }
    if (s.any()) {
      fuzz_check(matches_special(out[i], s.ieee()), at("averager", k, out[i], s.ieee()));
      continue;
    }
    const ld mean = exact / static_cast<ld>(k);
    // 2 ulp of the mean plus 4 k eps^2 of the mean distance from the first value, the
    // reference's own error, and the deviations' bits lost to underflow when they are scaled.
    const ld kk = static_cast<ld>(k);
    const ld bound = 4 * eps * std::fabs(mean) + 8 * kk * eps * eps * distance / kk +
                     2 * kk * ld_eps * magnitude / kk + 4 * kk * tiny + 0x1p-1000L * largest;
    fuzz_check(std::isfinite(out[i]), at("averager", k, out[i], mean) + " (finite values)");
    if (!precise) continue;
    fuzz_check(std::fabs(out[i] - mean) <= bound, at("averager", k, out[i], mean));
  }
}

void check_variance(const std::vector<double>& xs) {
  const auto var = outputs(xs, ops::variance());
  const auto sd = outputs(xs, ops::stddev());
  const std::size_t n = xs.size();
  fuzz_check(var.size() == (n > 0 ? n - 1 : 0), "variance: one output per value from the second");
  fuzz_check(sd.size() == var.size(), "stddev: as many outputs as variance");
  specials s;
  if (n > 0) s.see(xs[0]);
  for (std::size_t i = 1; i < n; ++i) {
    const std::size_t k = i + 1;
    s.see(xs[i]);
    const double v = var[i - 1];
    if (std::isnormal(v) || std::isnan(v)) {
      fuzz_check(
          same_bits(sd[i - 1], std::sqrt(v)) || (std::isnan(v) && std::isnan(sd[i - 1])),
          at("stddev", k, sd[i - 1], std::sqrt(static_cast<ld>(v))) + " is not sqrt(variance)");
    }
    if (s.any()) {
      fuzz_check(std::isnan(v), at("variance", k, v, NAN) + " (a NaN or infinity was seen)");
      continue;
    }
    fuzz_check(!std::isnan(v) && v >= 0 && !std::signbit(v),
               at("variance", k, v, 0) + ": must be a non-negative number");
    if (!precise) continue;
    // Two-pass reference on the distances from the first value (exact in long double for
    // values of one magnitude), and the scale of Welford's rounding on those distances, as
    // the library computes it: the mean's error (k eps spread) times the largest deviation,
    // summed over k steps, plus k eps of the result. A large common offset costs nothing.
    ld mean = 0;
    ld spread = 0;
    for (std::size_t j = 0; j < k; ++j) {
      const ld d = static_cast<ld>(xs[j]) - xs[0];
      mean += d;
      spread = std::max(spread, std::fabs(d));
    }
    mean /= static_cast<ld>(k);
    ld m2 = 0;
    ld deviation = 0;
    for (std::size_t j = 0; j < k; ++j) {
      const ld d = (static_cast<ld>(xs[j]) - xs[0]) - mean;
      m2 += d * d;
      deviation = std::max(deviation, std::fabs(d));
    }
    const ld reference = m2 / static_cast<ld>(k - 1);
    const ld kk = static_cast<ld>(k);
    const ld bound =
        (16 * kk * kk * eps * spread * deviation + 8 * kk * eps * m2) / static_cast<ld>(k - 1) +
        16 * kk * tiny;
    // The deviation is computed apart from the variance, so it is finite and accurate where
    // the variance overflows or underflows: (sd / reference sd)^2 - 1 within the variance's
    // relative bound.
    const double s_dev = sd[i - 1];
    if (reference > 0) {
      const ld ratio = static_cast<ld>(s_dev) / std::sqrt(reference);
      fuzz_check(std::fabs(ratio * ratio - 1) <= bound / reference + 8 * eps ||
                     (std::isinf(s_dev) && std::sqrt(reference) > dbl_max * (1 - 8 * eps)),
                 at("stddev", k, s_dev, std::sqrt(reference)));
    } else {
      fuzz_check(s_dev == 0, at("stddev", k, s_dev, 0) + " of equal values");
    }
    if (std::isinf(v)) {
      // Allowed only where the variance really leaves double's range.
      fuzz_check(reference + bound > dbl_max,
                 at("variance", k, v, reference) + " is infinite but the variance fits");
      continue;
    }
    fuzz_check(std::fabs(v - reference) <= bound, at("variance", k, v, reference));
  }
}

void check_ewma(const std::vector<double>& xs, double alpha) {
  const auto out = outputs(xs, ops::ewma(alpha));
  fuzz_check(out.size() == xs.size(), "ewma: one output per value");
  if (alpha == 1) {
    for (std::size_t i = 0; i < xs.size(); ++i) {
      fuzz_check(same_bits(out[i], xs[i]), at("ewma(1)", i + 1, out[i], xs[i]) + " is not x");
    }
    return;
  }
  const ld a = alpha;
  const ld keep = 1 - static_cast<ld>(alpha);
  // Non-finite inputs, and the infinities the double recursion reached by overflow: from
  // either on, the output follows IEEE rules (inf stays inf, opposite infinities make NaN).
  specials s;
  ld exact = 0;
  ld largest = 0;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const double x = xs[i];
    const std::size_t k = i + 1;
    s.see(x);
    if (std::isfinite(x)) largest = std::max(largest, std::fabs(static_cast<ld>(x)));
    exact = i == 0 ? static_cast<ld>(x) : a * x + keep * exact;
    if (!precise) {
      if (s.nan) fuzz_check(std::isnan(out[i]), at("ewma", k, out[i], NAN));
      continue;
    }
    if (s.any()) {
      fuzz_check(matches_special(out[i], s.ieee()), at("ewma", k, out[i], s.ieee()));
      continue;
    }
    const ld bound = 4 * static_cast<ld>(k) * eps * largest + 4 * static_cast<ld>(k) * tiny;
    if (std::isinf(out[i]) && std::fabs(exact) > dbl_max - bound && (out[i] > 0) == (exact > 0)) {
      // alpha * x + (1 - alpha) * s rounded past the largest double: allowed at the limit.
      (out[i] > 0 ? s.pos_inf : s.neg_inf) = true;
      continue;
    }
    fuzz_check(std::isfinite(out[i]) && std::fabs(out[i] - exact) <= bound,
               at("ewma", k, out[i], exact));
  }
}

// --- Merged states
// --------------------------------------------------------------------------------

// Splits xs into `parts` consecutive pieces (some possibly empty), folds each into a state,
// merges them in order (left to right, or as (p0 + (p1 + ...)) when `right` is set) and checks
// that the result matches the state of the whole stream, and that every state round-trips
// through bytes bit for bit.
template <class State, class T, class Same>
void check_merge(const std::vector<T>& xs, std::size_t parts, bool right, const char* what,
                 Same same) {
  State whole;
  for (const T& x : xs) whole.add(x);
  std::vector<State> pieces(parts);
  for (std::size_t i = 0; i < xs.size(); ++i) pieces[i * parts / (xs.size() + 1)].add(xs[i]);
  State merged;
  if (right) {
    for (std::size_t p = parts; p-- > 0;) {
      pieces[p].merge(merged);
      merged = pieces[p];
    }
  } else {
    for (const State& piece : pieces) merged.merge(piece);
  }
  fuzz_check(same(merged, whole), std::string(what) + ": merged parts differ from the whole");
  for (const State* st : {&whole, &merged}) {
    std::vector<std::byte> bytes;
    st->serialize(bytes);
    std::vector<std::byte> again;
    State::deserialize(bytes).serialize(again);
    fuzz_check(bytes == again, std::string(what) + ": serialize / deserialize is not exact");
  }
}

bool same_or_both_nan(double a, double b, ld tolerance) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  if (std::isinf(a) || std::isinf(b)) return a == b;
  return std::fabs(static_cast<ld>(a) - b) <= tolerance;
}

void check_merges(const std::vector<double>& xs, std::size_t parts) {
  ld magnitude = 0;
  ld distance = 0;  // sum |x - the first finite x|
  ld largest = 0;
  std::optional<double> first;
  for (double x : xs) {
    if (!std::isfinite(x)) continue;
    if (!first) first = x;
    magnitude += std::fabs(static_cast<ld>(x));
    distance += std::fabs(static_cast<ld>(x) - *first);
    largest = std::max(largest, std::fabs(static_cast<ld>(x)));
  }
  const ld n = static_cast<ld>(xs.size());
  for (bool right : {false, true}) {
    check_merge<coflow::counter>(xs, parts, right, "counter", [](const auto& a, const auto& b) {
      return a.result() == b.result();
    });
    check_merge<coflow::extrema<double>>(
        xs, parts, right, "extrema", [](const auto& a, const auto& b) {
          const auto same = [](std::optional<double> x, std::optional<double> y) {
            if (!x || !y) return !x && !y;
            return same_bits(*x, *y) || (std::isnan(*x) && std::isnan(*y));
          };
          return same(a.min(), b.min()) && same(a.max(), b.max());
        });
    if (!precise) continue;
    check_merge<coflow::sum_state<double>>(
        xs, parts, right, "sum_state", [&](const auto& a, const auto& b) {
          // Both within the compensated bound of the exact sum.
          const ld bound = 4 * eps * std::fabs(static_cast<ld>(b.result())) +
                           8 * n * eps * eps * magnitude + tiny;
          // A part's own sum can overflow where the whole stream's does not (and the other
          // way round): near the limit, order and grouping decide (see sum_state.hpp). No
          // partial sum can overflow while sum|x| stays below the largest double.
          const bool overflow = magnitude > dbl_max * (1 - 8 * eps) &&
                                (!std::isfinite(a.result()) || !std::isfinite(b.result()));
          return same_or_both_nan(a.result(), b.result(), bound) || overflow;
        });
    check_merge<coflow::moments>(xs, parts, right, "moments", [&](const auto& a, const auto& b) {
      if (a.count() != b.count()) return false;
      const double ma = a.mean();
      const double mb = b.mean();
      const bool mean_ok =
          same_or_both_nan(ma, mb,
                           8 * eps * std::fabs(static_cast<ld>(mb)) + 16 * eps * eps * distance +
                               4 * n * tiny + 0x1p-1000L * largest);
      const double va = a.variance();
      const double vb = b.variance();
      const bool variance_ok =
          same_or_both_nan(va, vb, 64 * n * eps * std::fabs(static_cast<ld>(vb)) + 16 * n * tiny) ||
          (std::isinf(va) != std::isinf(vb));  // at the limit of double's range either is right
      const double sa = a.stddev();
      const double sb = b.stddev();
      const bool stddev_ok =
          same_or_both_nan(sa, sb, 64 * n * eps * std::fabs(static_cast<ld>(sb)) + 16 * n * tiny);
      return mean_ok && variance_ok && stddev_ok;
    });
  }
}

// --- Integers
// -------------------------------------------------------------------------------------

template <class Int>
void check_integer_sum(const std::vector<Int>& xs) {
  using acc = coflow::ops::sum_accumulator_t<Int>;
  // The first prefix whose exact sum leaves acc's range, if any.
  std::optional<std::size_t> overflow_at;
  wide_int exact = 0;
  std::vector<acc> expected;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    exact += xs[i];
    if (exact > static_cast<wide_int>(std::numeric_limits<acc>::max()) ||
        exact < static_cast<wide_int>(std::numeric_limits<acc>::min())) {
      overflow_at = i;
      break;
    }
    expected.push_back(static_cast<acc>(exact));
  }
  std::vector<acc> seen;
  bool threw = false;
  try {
    const acc total = coflow::run(xs, sinks::sum());
    fuzz_check(!overflow_at, "sinks::sum: no overflow_error where the exact sum overflows");
    fuzz_check(total == (expected.empty() ? acc{0} : expected.back()), "sinks::sum: wrong total");
  } catch (const std::overflow_error&) {
    threw = true;
  }
  fuzz_check(threw == overflow_at.has_value(), "sinks::sum: overflow_error without an overflow");
  try {
    seen = coflow::run(xs, ops::sum() | sinks::to_vector());
    fuzz_check(seen == expected && !overflow_at, "ops::sum: wrong running sums");
  } catch (const std::overflow_error&) {
    fuzz_check(overflow_at.has_value(), "ops::sum: overflow_error without an overflow");
  }
}

template <class Int>
void check_integer_mean(const std::vector<Int>& xs) {
  const auto out = outputs(xs, ops::averager());
  ld exact = 0;
  ld largest = 0;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const double x = static_cast<double>(xs[i]);  // documented: each value becomes a double
    exact += x;
    largest = std::max(largest, std::fabs(static_cast<ld>(x)));
    const std::size_t k = i + 1;
    const ld mean = exact / static_cast<ld>(k);
    fuzz_check(std::isfinite(out[i]), at("averager (integers)", k, out[i], mean));
    if (!precise) continue;
    fuzz_check(std::fabs(out[i] - mean) <= 4 * static_cast<ld>(k) * eps * largest,
               at("averager (integers)", k, out[i], mean));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz_input in(data, size);
  const std::size_t mode = in.pick(3);
  const double alpha = (in.byte() + 1) / 256.0;
  std::vector<std::uint64_t> words;
  while (!in.empty() && words.size() < 64) words.push_back(in.u64());
  if (mode == 0) {
    std::vector<double> xs;
    for (std::uint64_t w : words) {
      double d;
      std::memcpy(&d, &w, sizeof d);
      xs.push_back(d);
    }
    check_count(xs);
    check_extreme<true>(xs);
    check_extreme<false>(xs);
    check_sum(xs);
    check_averager(xs);
    check_variance(xs);
    check_ewma(xs, alpha);
    check_merges(xs, static_cast<std::size_t>(alpha * 256) % 8 + 1);
  } else if (mode == 1) {
    std::vector<std::int64_t> xs(words.begin(), words.end());
    check_integer_sum(xs);
    check_integer_mean(xs);
  } else {
    check_integer_sum(words);
    check_integer_mean(words);
  }
  return 0;
}
