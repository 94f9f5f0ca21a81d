// coflow/operators/kll_sketch.hpp
//
// kll_sketch<T>: approximate quantiles in bounded memory, the KLL sketch (Karnin, Lang and
// Liberty, "Optimal Quantile Approximation in Streams", FOCS 2016), with the lazy compaction
// schedule of Apache DataSketches' KLL. A mergeable, serializable aggregate
// (operators/aggregate.hpp); for exact answers, see exact_quantiles.
//
//   coflow::kll_sketch<double> sketch =
//       coflow::run(readings, coflow::sinks::aggregate(coflow::kll_sketch<double>{}));
//   std::optional<double> p99 = sketch.quantile(0.99);   // a value whose rank is 0.99 +- eps
//   double eps = sketch.normalized_rank_error();           // 0.013 for the default k = 200
//
// Accuracy: quantile(q) returns one of the values added, v, whose true normalized rank
//   interval [fraction of values < v, fraction <= v] is within eps of q; rank(x) is within eps
//   of the true fraction of values <= x. The bound, normalized_rank_error():
//     eps = 2.6 / k (0.013 for the default k = 200), with probability >= 99% for all the
//     queries of one sketch together;
//   measured, not proved. Over 2,700 sketches (k = 50 to 800; 10^6 and 10^7 values in random
//   order; single sketches and merges of 16 parts; each with its own seed), the 99th
//   percentile of the largest error among 198 queries per sketch (quantile and rank at
//   q = 0.01 ... 0.99) was 1.9 / k to 2.2 / k, and no sketch exceeded 2.6 / k; one query alone
//   is within 1.4 / k at 99%. Sorted input does better (about 1.1 / k). The test
//   KllSketch.DISABLED_MeasuresTheBound repeats the measurement; the other tests check the
//   bound on fixed seeds for five distributions and for merges. quantile(0) and quantile(1)
//   are exact (the minimum and the maximum are kept apart).
// Algorithm: level h holds sorted values of weight 2^h (level 0 unsorted, weight 1). When the
//   sketch holds as many values as its capacity, the lowest level at or over its own capacity
//   (k at the top level, k * (2/3)^depth below it, at least 8) is compacted: sorted, and every
//   other value, starting at a random offset of 0 or 1, moves up a level with twice the weight;
//   an odd value out stays. merge concatenates level by level and compacts the same way.
// Randomness: each compaction takes one bit of a splitmix64 generator seeded by the
//   constructor's seed (default_seed unless given); serialization keeps the seed and the
//   generator's state, so the same values added in the same order, or the same bytes, give the
//   same sketch and the same answers (on any platform, but for the order of values that
//   compare equal, such as -0.0 and 0.0, which the standard library's sort may choose).
// NaN: NaN values are not kept; they are counted (nan_count()) and excluded.
// Empty: the quantiles of no values are std::nullopt; rank is 0.
// Exceptions: quantile(q) throws std::invalid_argument naming q unless 0 <= q <= 1 (a NaN q
//   too); the constructor throws std::invalid_argument for k outside [8, 65535]; merge throws
//   std::invalid_argument for two non-empty sketches of different k; deserialize throws
//   coflow::format_error; std::bad_alloc.
// Memory: at most capacity() values, about 3k + 8 log2(n / k): 641 values (5 KiB of doubles)
//   for k = 200 and n = 10^7, plus vector slack and, after a query, a sorted copy with
//   weights. Fixed: it does not grow with n beyond the log term.
// Cost: add is amortized O(log k) comparisons, tens of nanoseconds; the first query after
//   adds sorts the kept values with their weights (O(k log k)), later queries are binary
//   searches. So ops::aggregate, which asks for the median after every value, pays that sort
//   per value; sinks::aggregate pays it once.
// Thread safety: the const queries fill a cache, so concurrent queries of one sketch need a
//   lock, unlike most const member functions.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "operators/detail/quantile_values.hpp"
#include "pipeline/bytes.hpp"

namespace coflow {

/// kll_sketch<T> answers quantiles of the values added within a stated rank error, in memory
/// that does not grow with their number (see above).
template <quantile_value T>
class kll_sketch {
 public:
  using value_type = T;

  static constexpr std::uint32_t default_k = 200;
  static constexpr std::uint32_t min_k = 8;
  static constexpr std::uint32_t max_k = 65535;
  static constexpr std::uint64_t default_seed = 0x636f666c6f77;  // "coflow"

  /// kll_sketch() is an empty sketch with k = 200 and the default seed.
  kll_sketch() : kll_sketch(default_k) {}

  /// kll_sketch(k, seed) is an empty sketch of parameter k (memory about 3k values, rank error
  /// 2.6 / k) whose compactions draw their coin flips from `seed`.
  explicit kll_sketch(std::uint32_t k, std::uint64_t seed = default_seed)
      : k_(k), seed_(seed), rng_(seed), levels_(1) {
    if (k < min_k || k > max_k)
      throw std::invalid_argument("coflow::kll_sketch: k = " + std::to_string(k) +
                                  " is not in [8, 65535]");
    capacity_ = total_capacity(k_, levels_.size());
  }

  /// normalized_rank_error(k) is the rank error bound stated above for parameter k: 2.6 / k.
  [[nodiscard]] static constexpr double normalized_rank_error(std::uint32_t k) noexcept {
    return 2.6 / static_cast<double>(k);
  }
  [[nodiscard]] double normalized_rank_error() const noexcept { return normalized_rank_error(k_); }

  /// error_statement is the bound as a sentence for a report, e.g. "approximate quantiles (KLL
  /// sketch, k = 200): rank error <= 0.013 with probability >= 99%, measured".
  [[nodiscard]] std::string error_statement() const {
    char eps[32];
    std::snprintf(eps, sizeof eps, "%.3g", normalized_rank_error());
    return "approximate quantiles (KLL sketch, k = " + std::to_string(k_) +
           "): rank error <= " + eps + " with probability >= 99%, measured";
  }

  /// add folds `value` in, or counts it if it is a NaN.
  void add(const T& value) {
    if (detail::is_nan(value)) {
      ++nan_count_;
      return;
    }
    if (n_ == 0) {
      min_ = value;
      max_ = value;
    } else {
      min_ = value < min_ ? value : min_;
      max_ = max_ < value ? value : max_;
    }
    if (retained_ >= capacity_) compress();
    levels_[0].push_back(value);
    ++retained_;
    ++n_;
    sorted_valid_ = false;
  }

  /// merge folds in the values `other` summarized, as if this sketch had seen them (the
  /// bound holds for the result). An empty sketch merges with any, taking its k and keeping
  /// its own seed; two non-empty sketches must have the same k (else std::invalid_argument).
  void merge(const kll_sketch& other) {
    if (&other == this) {
      const kll_sketch copy = other;
      merge(copy);
      return;
    }
    nan_count_ += other.nan_count_;
    if (other.n_ == 0) return;
    if (n_ == 0) {
      k_ = other.k_;
      min_ = other.min_;
      max_ = other.max_;
    } else if (k_ != other.k_) {
      throw std::invalid_argument("coflow::kll_sketch::merge: k = " + std::to_string(k_) +
                                  " and k = " + std::to_string(other.k_) + " differ");
    }
    min_ = other.min_ < min_ ? other.min_ : min_;
    max_ = max_ < other.max_ ? other.max_ : max_;
    if (levels_.size() < other.levels_.size()) levels_.resize(other.levels_.size());
    levels_[0].insert(levels_[0].end(), other.levels_[0].begin(), other.levels_[0].end());
    for (std::size_t h = 1; h < other.levels_.size(); ++h) {
      const auto& theirs = other.levels_[h];
      auto& ours = levels_[h];
      const std::size_t old_size = ours.size();
      ours.insert(ours.end(), theirs.begin(), theirs.end());
      std::inplace_merge(ours.begin(), ours.begin() + static_cast<std::ptrdiff_t>(old_size),
                         ours.end());
    }
    n_ += other.n_;
    retained_ += other.retained_;
    capacity_ = total_capacity(k_, levels_.size());
    while (retained_ > capacity_) compress();
    sorted_valid_ = false;
  }

  /// size is the number of values added, NaNs not counted.
  [[nodiscard]] std::uint64_t size() const noexcept { return n_; }
  [[nodiscard]] bool empty() const noexcept { return n_ == 0; }
  /// nan_count is the number of NaN values added (and not kept).
  [[nodiscard]] std::uint64_t nan_count() const noexcept { return nan_count_; }
  /// retained is the number of values the sketch holds now; never more than capacity().
  [[nodiscard]] std::size_t retained() const noexcept { return retained_; }
  /// capacity is the most values the sketch holds at its current number of levels.
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  [[nodiscard]] std::uint32_t k() const noexcept { return k_; }
  [[nodiscard]] std::uint64_t seed() const noexcept { return seed_; }

  /// min and max are the exact extremes, std::nullopt if empty.
  [[nodiscard]] std::optional<T> min() const {
    return n_ == 0 ? std::nullopt : std::optional<T>(min_);
  }
  [[nodiscard]] std::optional<T> max() const {
    return n_ == 0 ? std::nullopt : std::optional<T>(max_);
  }

  /// quantile(q) is a value added whose rank is within normalized_rank_error() of q (see
  /// above): the smallest kept value whose cumulative weight reaches q * size() (a q * size()
  /// within a few ulps of an integer counts as that integer). quantile(0)
  /// is the minimum, quantile(1) the maximum; std::nullopt if empty. Throws
  /// std::invalid_argument unless 0 <= q <= 1.
  [[nodiscard]] std::optional<T> quantile(double q) const {
    detail::check_quantile(q, "coflow::kll_sketch::quantile");
    if (n_ == 0) return std::nullopt;
    if (q == 0.0) return min_;
    if (q == 1.0) return max_;
    const auto& view = sorted_view();
    // q * n to within a few ulps is taken as the integer, so that q = i / n finds the i-th.
    double target = q * static_cast<double>(n_);
    const double nearest = std::round(target);
    if (std::abs(target - nearest) <= 8 * std::numeric_limits<double>::epsilon() * target)
      target = nearest;
    const auto at = std::lower_bound(
        view.begin(), view.end(), target,
        [](const weighted& w, double t) { return static_cast<double>(w.cumulative) < t; });
    return at == view.end() ? max_ : at->value;
  }

  /// median is quantile(0.5).
  [[nodiscard]] std::optional<T> median() const { return quantile(0.5); }

  /// result is the median, so that ops::aggregate passes on the running median.
  [[nodiscard]] std::optional<T> result() const { return median(); }

  /// rank(x) estimates the fraction of the values added that are <= x, within
  /// normalized_rank_error() (exact below the minimum and from the maximum on). 0 if empty or
  /// for a NaN x.
  [[nodiscard]] double rank(T x) const {
    if (n_ == 0 || detail::is_nan(x) || x < min_) return 0.0;
    if (!(x < max_)) return 1.0;
    const auto& view = sorted_view();
    const auto at = std::upper_bound(view.begin(), view.end(), x,
                                     [](T v, const weighted& w) { return v < w.value; });
    if (at == view.begin()) return 0.0;
    return static_cast<double>((at - 1)->cumulative) / static_cast<double>(n_);
  }

  /// serialize appends k, the seed, the generator's state, the counts, the extremes and the
  /// kept values level by level (8 bytes each) to `out`.
  void serialize(std::vector<std::byte>& out) const {
    byte_writer w(out);
    w.header(tag(), 1);
    w.u32(k_);
    w.u64(seed_);
    w.u64(rng_);
    w.u64(n_);
    w.u64(nan_count_);
    if (n_ > 0) {
      detail::write_value(w, min_);
      detail::write_value(w, max_);
    }
    w.u32(static_cast<std::uint32_t>(levels_.size()));
    for (const auto& level : levels_) {
      w.u64(level.size());
      for (const T& v : level) detail::write_value(w, v);
    }
  }

  /// deserialize reads what serialize wrote. Throws coflow::format_error for bytes of another
  /// kind or value type, truncated or left-over bytes, and any inconsistency: k out of range,
  /// weights that do not add up to the count, more values than the capacity, unsorted levels,
  /// NaNs or values outside [min, max].
  static kll_sketch deserialize(std::span<const std::byte> bytes) {
    byte_reader r(bytes);
    r.header(tag(), 1);
    const std::uint32_t k = r.u32();
    if (k < min_k || k > max_k)
      throw format_error("coflow: kll_sketch bytes with k = " + std::to_string(k));
    kll_sketch s(k, r.u64());
    s.rng_ = r.u64();
    s.n_ = r.u64();
    s.nan_count_ = r.u64();
    if (s.n_ > 0) {
      s.min_ = detail::read_value<T>(r);
      s.max_ = detail::read_value<T>(r);
      if (s.max_ < s.min_) throw format_error("coflow: kll_sketch bytes with min > max");
    }
    const std::uint32_t levels = r.u32();
    if (levels == 0 || levels > max_levels)
      throw format_error("coflow: kll_sketch bytes with " + std::to_string(levels) + " levels");
    s.levels_.assign(levels, {});
    s.capacity_ = total_capacity(k, levels);
    std::uint64_t weight = 0;
    for (std::size_t h = 0; h < levels; ++h) {
      const std::size_t size = r.count(8);
      if (size > s.capacity_ - s.retained_)
        throw format_error("coflow: kll_sketch bytes with more values than its capacity");
      s.retained_ += size;
      auto& level = s.levels_[h];
      level.reserve(size);
      for (std::size_t i = 0; i < size; ++i) {
        const T v = detail::read_value<T>(r);
        if (v < s.min_ || s.max_ < v)
          throw format_error("coflow: kll_sketch bytes with a value outside [min, max]");
        if (h > 0 && !level.empty() && v < level.back())
          throw format_error("coflow: kll_sketch bytes with an unsorted level");
        level.push_back(v);
      }
      const std::uint64_t level_weight = static_cast<std::uint64_t>(size) << h;
      if ((level_weight >> h) != size || weight + level_weight < weight)
        throw format_error("coflow: kll_sketch bytes whose weights overflow");
      weight += level_weight;
    }
    if (weight != s.n_)
      throw format_error("coflow: kll_sketch bytes whose weights add up to " +
                         std::to_string(weight) + ", not the count " + std::to_string(s.n_));
    r.finish();
    return s;
  }

 private:
  struct weighted {
    T value;
    std::uint64_t cumulative;  // the weights of this value and every one before it
  };

  static constexpr std::size_t min_level_capacity = 8;
  static constexpr std::size_t max_levels = 61;

  static std::string tag() { return "coflow::kll_sketch<" + detail::value_tag<T>() + ">"; }

  // level_capacity is k * (2/3)^depth rounded, at least 8, for the level `depth` below the top;
  // in integers, so that every platform compacts at the same points.
  static std::size_t level_capacity(std::uint32_t k, std::size_t depth) noexcept {
    if (depth > 30) return min_level_capacity;
    std::uint64_t power_of_3 = 1;
    for (std::size_t i = 0; i < depth; ++i) power_of_3 *= 3;
    const std::uint64_t rounded = ((std::uint64_t{k} << (depth + 1)) / power_of_3 + 1) / 2;
    return std::max<std::size_t>(min_level_capacity, static_cast<std::size_t>(rounded));
  }

  static std::size_t total_capacity(std::uint32_t k, std::size_t levels) noexcept {
    std::size_t total = 0;
    for (std::size_t depth = 0; depth < levels; ++depth) total += level_capacity(k, depth);
    return total;
  }

  // coin is one bit of splitmix64.
  bool coin() noexcept {
    std::uint64_t z = (rng_ += 0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
    z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
    return ((z ^ (z >> 31)) & 1) != 0;
  }

  // compress compacts the lowest level at or over its capacity (one exists while retained_ is
  // at least capacity_), adding a level on top first if that level is the top one.
  void compress() {
    std::size_t h = 0;
    const std::size_t top = levels_.size() - 1;
    while (h < top && levels_[h].size() < level_capacity(k_, top - h)) ++h;
    if (h + 1 == levels_.size()) {
      levels_.emplace_back();
      capacity_ = total_capacity(k_, levels_.size());
    }
    compact(h);
  }

  // compact moves every other value of level h, from a random offset, up to level h + 1 (kept
  // sorted); with an odd count the smallest value stays.
  void compact(std::size_t h) {
    auto& level = levels_[h];
    auto& up = levels_[h + 1];
    if (h == 0) std::sort(level.begin(), level.end());
    const std::size_t stay = level.size() % 2;
    const std::size_t promoted = (level.size() - stay) / 2;
    const std::size_t offset = stay + (coin() ? 1 : 0);
    for (std::size_t i = 0; i < promoted; ++i) level[stay + i] = level[offset + 2 * i];
    // Merge level[stay, stay + promoted) into `up` from the back.
    std::size_t from_up = up.size();
    std::size_t from_level = promoted;
    up.resize(up.size() + promoted);
    std::size_t out = up.size();
    while (from_level > 0) {
      if (from_up > 0 && level[stay + from_level - 1] < up[from_up - 1])
        up[--out] = up[--from_up];
      else
        up[--out] = level[stay + --from_level];
    }
    level.resize(stay);
    retained_ -= promoted;
  }

  const std::vector<weighted>& sorted_view() const {
    if (sorted_valid_) return sorted_;
    sorted_.clear();
    sorted_.reserve(retained_);
    for (std::size_t h = 0; h < levels_.size(); ++h)
      for (const T& v : levels_[h]) sorted_.push_back({v, std::uint64_t{1} << h});
    std::sort(sorted_.begin(), sorted_.end(),
              [](const weighted& a, const weighted& b) { return a.value < b.value; });
    std::uint64_t total = 0;
    for (auto& w : sorted_) w.cumulative = total += w.cumulative;
    sorted_valid_ = true;
    return sorted_;
  }

  std::uint32_t k_;
  std::uint64_t seed_;
  std::uint64_t rng_;
  std::uint64_t n_ = 0;
  std::uint64_t nan_count_ = 0;
  T min_{};
  T max_{};
  std::size_t retained_ = 0;
  std::size_t capacity_ = 0;
  std::vector<std::vector<T>> levels_;  // levels_[h]: values of weight 2^h
  mutable std::vector<weighted> sorted_;
  mutable bool sorted_valid_ = false;
};

}  // namespace coflow
