// coflow/operators/top_k.hpp
//
// top_k<T>: the most frequent values of a stream (heavy hitters), with a bound on each count's
// error, in memory for `capacity` values whatever the stream's length. Space-saving (Metwally,
// Agrawal, El Abbadi 2005); a mergeable, serializable aggregate (operators/aggregate.hpp) by
// the merge of Agarwal, Cormode, Huang, Phillips, Wei, Yi ("Mergeable summaries", 2012).
//
//   coflow::top_k<std::string> words(100);              // 100 counters
//   for (const auto& w : text) words.add(w);
//   for (const auto& e : words.top(10))                 // sorted by count, then by value
//     std::cout << e.value << ' ' << e.count << " (at most " << e.error << " too many)\n";
//
//   auto sketch = coflow::run(ids, coflow::sinks::aggregate(coflow::top_k<long>(1000)));
//   sketch.merge(sketch_from_another_worker);           // same capacity
//
// Guarantees. Let n be the number of values added (total(), merged sketches' included) and m
// the capacity. After any sequence of adds and merges of sketches of capacity m:
//   - every value whose frequency exceeds bound() is reported, and bound() <= n / m; so every
//     value that is more than a 1/m share of the stream is reported;
//   - each reported entry's count overestimates: count - error <= frequency <= count, and
//     error <= bound() <= n / m (error 0: the count is exact);
//   - until more than m distinct values are seen, every count is exact.
// Merging is exactly the merge of Misra-Gries summaries under the isomorphism of Agarwal et
// al. (a space-saving count minus the sketch's bound is a Misra-Gries count): the counts of a
// value add up (a value one sketch does not hold counts as that sketch's bound), the m values
// with the largest counts are kept, and the bound becomes the sum of the two bounds plus the
// (m + 1)-th largest Misra-Gries count; Agarwal et al.'s argument shows it stays <= n / m. So
// a merged sketch keeps the guarantees above with n the sum of the sketches' totals, whatever
// the order and grouping of the merges (the counts themselves may differ with the order).
//
// Values: integers, float, double and std::string. Floating-point values are counted by their
// canonical form: +0.0 and -0.0 are one value, every NaN is one value (reported as a quiet
// NaN, after +infinity in the order of ties).
// Exceptions: the constructor throws std::invalid_argument for capacity 0, merge for sketches
// of different capacities; deserialize throws coflow::format_error. add may throw
// std::bad_alloc (or what copying a value throws), and then the sketch is as it was.
// Cost: add is a hash lookup and O(log m) heap steps (a min-heap of the counters; the
// frequent values, with the largest counts, sit at the bottom and rarely move), no allocation
// once the m counters exist; memory O(m) values and counters; result() and top() sort, O(m log
// m) (so prefer sinks::aggregate to ops::aggregate, which asks for result() after each value);
// merge is O(m log m).
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "operators/detail/sketch_hash.hpp"
#include "pipeline/bytes.hpp"

namespace coflow {

/// top_k_value<T>: the value types top_k counts and serializes.
template <class T>
concept top_k_value = std::integral<T> || std::same_as<T, float> || std::same_as<T, double> ||
    std::same_as<T, std::string>;

/// top_k_entry<T> is one reported value: `count` is an upper bound of its frequency and
/// `count - error` a lower bound.
template <class T>
struct top_k_entry {
  T value;
  std::uint64_t count = 0;
  std::uint64_t error = 0;

  friend bool operator==(const top_k_entry&, const top_k_entry&) = default;
};

/// top_k<T> finds the most frequent values of a stream by space-saving (see above).
template <top_k_value T>
class top_k {
 public:
  using value_type = T;
  using entry = top_k_entry<T>;

  static constexpr std::size_t default_capacity = 100;

  /// top_k() is the sketch of no values with 100 counters.
  top_k() : top_k(default_capacity) {}

  /// top_k(capacity) is the sketch of no values with `capacity` counters: every value more
  /// frequent than 1/capacity of the stream is reported. Throws std::invalid_argument for 0.
  explicit top_k(std::size_t capacity) : capacity_(capacity) {
    if (capacity == 0)
      throw std::invalid_argument("coflow::top_k: the capacity must be at least 1 counter");
  }

  /// add(value) counts one occurrence of value.
  void add(const T& value) {
    const T& v = canonical_ref(value);
    if (auto it = where_.find(v); it != where_.end()) {
      ++slots_[it->second].count;
      sift_down(slots_[it->second].position);
    } else if (slots_.size() < capacity_) {
      slots_.push_back({v, floor_ + 1, floor_, heap_.size()});
      try {
        heap_.push_back(slots_.size() - 1);
        where_.emplace(slots_.back().value, slots_.size() - 1);
      } catch (...) {
        heap_.resize(slots_.size() - 1);
        slots_.pop_back();
        throw;
      }
      sift_up(heap_.size() - 1);
    } else {  // replace the value with the smallest count
      T copy = v;
      const std::size_t s = heap_[0];
      where_.emplace(v, s);
      where_.erase(slots_[s].value);
      slot& c = slots_[s];
      c.value = std::move(copy);
      c.error = c.count;
      ++c.count;
      sift_down(0);
    }
    ++total_;
  }

  /// merge(other) makes this a sketch of the values added to either (see the guarantees
  /// above). Throws std::invalid_argument if the capacities differ.
  void merge(const top_k& other) {
    if (other.capacity_ != capacity_)
      throw std::invalid_argument(
          "coflow::top_k::merge: the sketches' capacities differ (" + std::to_string(capacity_) +
          " and " + std::to_string(other.capacity_) + "); only sketches of one capacity merge");
    if (&other == this) {
      const top_k copy = other;
      merge(copy);
      return;
    }
    struct combined {
      T value;
      std::uint64_t mg;     // the Misra-Gries count: the count minus the sketch's bound, summed
      std::uint64_t lower;  // the lower bounds, summed
    };
    const std::uint64_t b1 = bound();
    const std::uint64_t b2 = other.bound();
    std::vector<combined> all;
    all.reserve(slots_.size() + other.slots_.size());
    for (const slot& s : slots_) all.push_back({s.value, s.count - b1, s.count - s.error});
    for (const slot& s : other.slots_) {
      if (auto it = where_.find(s.value); it != where_.end()) {
        all[it->second].mg += s.count - b2;
        all[it->second].lower += s.count - s.error;
      } else {
        all.push_back({s.value, s.count - b2, s.count - s.error});
      }
    }
    std::sort(all.begin(), all.end(), [](const combined& a, const combined& b) {
      return a.mg != b.mg ? a.mg > b.mg : detail::sketch_less(a.value, b.value);
    });
    const std::uint64_t cut = all.size() > capacity_ ? all[capacity_].mg : 0;
    top_k merged(capacity_);
    merged.total_ = total_ + other.total_;
    merged.floor_ = b1 + b2 + cut;
    for (combined& c : all) {
      if (c.mg <= cut) break;
      const std::uint64_t count = c.mg + b1 + b2;
      merged.push_unsorted({std::move(c.value), count, count - c.lower, 0});
    }
    merged.make_heap();
    *this = std::move(merged);
  }

  /// result() is every value the sketch holds (at most capacity()), by count descending, ties
  /// by value ascending.
  [[nodiscard]] std::vector<entry> result() const { return top(slots_.size()); }

  /// top(k) is the first k entries of result().
  [[nodiscard]] std::vector<entry> top(std::size_t k) const {
    std::vector<entry> out;
    out.reserve(slots_.size());
    for (const slot& s : slots_) out.push_back({s.value, s.count, s.error});
    std::sort(out.begin(), out.end(), [](const entry& a, const entry& b) {
      return a.count != b.count ? a.count > b.count : detail::sketch_less(a.value, b.value);
    });
    if (out.size() > k) out.erase(out.begin() + static_cast<std::ptrdiff_t>(k), out.end());
    return out;
  }

  /// bound() is the largest frequency a value the sketch does not report can have, and the
  /// largest error of a reported count; at most total() / capacity().
  [[nodiscard]] std::uint64_t bound() const noexcept {
    return slots_.size() == capacity_ ? slots_[heap_[0]].count : floor_;
  }

  /// capacity() is m, the number of counters.
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }

  /// total() is n, the number of values added, merged sketches' included.
  [[nodiscard]] std::uint64_t total() const noexcept { return total_; }

  /// size() is the number of values held, at most capacity().
  [[nodiscard]] std::size_t size() const noexcept { return slots_.size(); }

  /// serialize(out) appends the sketch: capacity, total, bound and the counters.
  void serialize(std::vector<std::byte>& out) const {
    byte_writer w(out);
    w.header(tag, version);
    w.u64(capacity_);
    w.u64(total_);
    w.u64(floor_);
    w.u64(slots_.size());
    for (std::size_t i : heap_) {  // in heap order: a restored sketch evicts as this one would
      write_value(w, slots_[i].value);
      w.u64(slots_[i].count);
      w.u64(slots_[i].error);
    }
  }

  /// deserialize(bytes) is the sketch serialize wrote, down to the order of its heap, so that
  /// it goes on exactly as the original would have. Throws coflow::format_error for bytes
  /// that are not a whole top_k<T> whose counts satisfy space-saving's invariants.
  static top_k deserialize(std::span<const std::byte> bytes) {
    byte_reader r(bytes);
    r.header(tag, version);
    const std::uint64_t capacity = r.u64();
    if (capacity == 0) throw format_error("coflow: top_k bytes with capacity 0");
    top_k t(static_cast<std::size_t>(capacity));
    t.total_ = r.u64();
    t.floor_ = r.u64();
    const std::size_t held = r.count(17);  // a value takes at least 1 byte, the counts 16
    if (held > capacity) throw format_error("coflow: top_k bytes with more values than counters");
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < held; ++i) {
      T value = read_value(r);
      const std::uint64_t count = r.u64();
      const std::uint64_t error = r.u64();
      if (count <= t.floor_ || error >= count || count > t.total_ - sum)
        throw format_error("coflow: top_k bytes with an impossible count");
      sum += count;
      if (t.where_.contains(value))
        throw format_error("coflow: top_k bytes that hold a value twice");
      t.push_unsorted({std::move(value), count, error, 0});
    }
    const std::uint64_t empty = capacity - held;
    if (t.floor_ != 0 && empty > (t.total_ - sum) / t.floor_)
      throw format_error("coflow: top_k bytes whose counts exceed the total");
    t.make_heap();
    for (const slot& s : t.slots_)
      if (s.error > t.bound()) throw format_error("coflow: top_k bytes with an impossible error");
    r.finish();
    return t;
  }

  /// Two sketches are equal if they have the same capacity, total and bound and hold the same
  /// values with the same counts and errors.
  friend bool operator==(const top_k& a, const top_k& b) {
    return a.capacity_ == b.capacity_ && a.total_ == b.total_ && a.floor_ == b.floor_ &&
           a.result() == b.result();
  }

 private:
  static constexpr const char* tag = "top_k";
  static constexpr std::uint32_t version = 1;

  struct slot {
    T value;
    std::uint64_t count;
    std::uint64_t error;
    std::size_t position;  // in heap_
  };

  static const T& canonical_ref(const T& value) {
    if constexpr (std::is_floating_point_v<T>) {
      static constexpr T nan = std::numeric_limits<T>::quiet_NaN();
      static constexpr T zero = 0;
      return value != value ? nan : value == 0 ? zero : value;
    } else {
      return value;
    }
  }

  static void write_value(byte_writer& w, const T& v) {
    if constexpr (std::same_as<T, std::string>)
      w.str(v);
    else if constexpr (std::floating_point<T>)
      w.f64(static_cast<double>(v));
    else if constexpr (std::is_signed_v<T>)
      w.i64(static_cast<std::int64_t>(v));
    else
      w.u64(static_cast<std::uint64_t>(v));
  }

  static T read_value(byte_reader& r) {
    if constexpr (std::same_as<T, std::string>) {
      return r.str();
    } else if constexpr (std::floating_point<T>) {
      const double d = r.f64();
      const T v = canonical_ref(static_cast<T>(d));
      if (static_cast<double>(v) != d && d == d)
        throw format_error("coflow: top_k bytes with a value out of the value type's range");
      return v;
    } else {
      const auto x = std::is_signed_v<T> ? static_cast<std::uint64_t>(r.i64()) : r.u64();
      const T v = static_cast<T>(x);
      const auto back = std::is_signed_v<T>
                            ? static_cast<std::uint64_t>(static_cast<std::int64_t>(v))
                            : static_cast<std::uint64_t>(v);
      if (back != x)
        throw format_error("coflow: top_k bytes with a value out of the value type's range");
      return v;
    }
  }

  // Adds a counter without ordering the heap; make_heap orders it.
  void push_unsorted(slot s) {
    s.position = slots_.size();
    slots_.push_back(std::move(s));
    heap_.push_back(slots_.size() - 1);
    where_.emplace(slots_.back().value, slots_.size() - 1);
  }

  void make_heap() {
    for (std::size_t i = heap_.size() / 2; i-- > 0;) sift_down(i);
  }

  [[nodiscard]] std::uint64_t count_at(std::size_t position) const {
    return slots_[heap_[position]].count;
  }

  void swap_positions(std::size_t a, std::size_t b) noexcept {
    std::swap(heap_[a], heap_[b]);
    slots_[heap_[a]].position = a;
    slots_[heap_[b]].position = b;
  }

  void sift_up(std::size_t i) noexcept {
    while (i > 0 && count_at((i - 1) / 2) > count_at(i)) {
      swap_positions(i, (i - 1) / 2);
      i = (i - 1) / 2;
    }
  }

  void sift_down(std::size_t i) noexcept {
    for (;;) {
      std::size_t smallest = i;
      const std::size_t left = 2 * i + 1;
      if (left < heap_.size() && count_at(left) < count_at(smallest)) smallest = left;
      if (left + 1 < heap_.size() && count_at(left + 1) < count_at(smallest)) smallest = left + 1;
      if (smallest == i) return;
      swap_positions(i, smallest);
      i = smallest;
    }
  }

  std::size_t capacity_;
  std::uint64_t total_ = 0;
  std::uint64_t floor_ = 0;        // the bound while fewer than capacity_ values are held
  std::vector<slot> slots_;        // the counters, in the order they were made
  std::vector<std::size_t> heap_;  // indices into slots_, a min-heap by count
  std::unordered_map<T, std::size_t, detail::sketch_hasher, detail::sketch_key_equal> where_;
};

}  // namespace coflow
