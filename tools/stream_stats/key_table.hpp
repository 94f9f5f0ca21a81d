// tools/stream_stats/key_table.hpp
//
// key_table: the --by keys' states of stream_stats' batched path, a flat hash table looked up by
// a view of the key's bytes.
//
//   stream_stats::key_table<int> counts;
//   for (std::string_view key : {"north", "south", "north"}) ++counts.find_or_add(key, 0);
//   counts.size();              // 2
//   counts.entries()[0].key;    // "north": entries in the order their keys first came
//
// Semantics: find_or_add returns the value kept for `key`, a copy of `fresh` when the key is
//   new. Keys are byte strings compared byte for byte. Entries stay in first-seen order; a
//   reference to a value holds until the next find_or_add of a new key.
// Cost: per lookup a hash of the key's 8-byte words (two overlapping loads for a key of 4 to 16
//   bytes, no call), one probe of a slot array at most half full (a 32-bit tag and an index per
//   slot, 8 bytes) and a comparison of the key (fixed-size loads up to 16 bytes, memcmp beyond);
//   a string is made only for a new key. Memory: an entry per key (its key string and value) and 16 to 32 bytes
//   of slots. In stream_stats by 1000 keys, std::unordered_map (a node per key, std::hash's
//   out-of-line Murmur over the bytes, memcmp) cost about 200 instructions a row; this table,
//   with the batch loop around it, about 110 (callgrind).
// Exceptions: what allocation throws; std::length_error beyond 2^32 - 1 keys.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace stream_stats {

namespace detail {

inline std::uint64_t load_word(const char* p) noexcept {
  std::uint64_t word;
  std::memcpy(&word, p, sizeof word);
  return word;
}

inline std::uint32_t load_half_word(const char* p) noexcept {
  std::uint32_t word;
  std::memcpy(&word, p, sizeof word);
  return word;
}

// MurmurHash3's finalizer: every input bit reaches every output bit.
inline std::uint64_t mix_bits(std::uint64_t h) noexcept {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

inline std::uint64_t mix_word(std::uint64_t h, std::uint64_t word) noexcept {
  h = (h ^ word) * 0x9e3779b97f4a7c15ULL;
  return h ^ (h >> 29);
}

}  // namespace detail

/// hash_key hashes a key's bytes with fixed-size loads only: a key of 8 bytes or more as its
/// 8-byte words, the last one overlapping the one before; a shorter key (a --by field such as
/// "k17") as two overlapping 4-byte words, or its bytes.
inline std::uint64_t hash_key(std::string_view key) noexcept {
  const char* p = key.data();
  std::size_t n = key.size();
  std::uint64_t h = n;
  if (n >= 8) {
    while (n > 8) {
      h = detail::mix_word(h, detail::load_word(p));
      p += 8;
      n -= 8;
    }
    h = detail::mix_word(h, detail::load_word(p + n - 8));
  } else if (n >= 4) {
    const std::uint64_t first = detail::load_half_word(p);
    const std::uint64_t last = detail::load_half_word(p + n - 4);
    h = detail::mix_word(h, (first << 32) | last);
  } else if (n > 0) {
    const auto byte = [p](std::size_t i) {
      return std::uint64_t{static_cast<unsigned char>(p[i])};
    };
    h = detail::mix_word(h, byte(0) << 16 | byte(n / 2) << 8 | byte(n - 1));
  }
  return detail::mix_bits(h);
}

/// same_key compares two keys' bytes with fixed-size loads up to 16 bytes (two overlapping
/// words of 8 or 4 bytes, or the bytes of a key of 1 to 3), memcmp beyond.
inline bool same_key(std::string_view a, std::string_view b) noexcept {
  const std::size_t n = a.size();
  if (n != b.size()) return false;
  const char* const x = a.data();
  const char* const y = b.data();
  if (n >= 8) {
    if (n > 16) return std::memcmp(x, y, n) == 0;
    return detail::load_word(x) == detail::load_word(y) &&
           detail::load_word(x + n - 8) == detail::load_word(y + n - 8);
  }
  if (n >= 4) {
    return detail::load_half_word(x) == detail::load_half_word(y) &&
           detail::load_half_word(x + n - 4) == detail::load_half_word(y + n - 4);
  }
  // 1 to 3 bytes: the first, the middle and the last are all of them.
  return n == 0 || (x[0] == y[0] && x[n / 2] == y[n / 2] && x[n - 1] == y[n - 1]);
}

/// key_table maps byte-string keys to values (see above).
template <class Value>
class key_table {
 public:
  /// entry is a key and its value.
  struct entry {
    std::string key;
    Value value;
  };

  /// find_or_add returns the value of `key`, made as a copy of `fresh` when the key is new.
  Value& find_or_add(std::string_view key, const Value& fresh) {
    const std::uint64_t h = hash_key(key);
    const auto tag = static_cast<std::uint32_t>(h >> 32);
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      const slot s = slots_[i];
      if (s.index == 0) break;
      entry& e = entries_[s.index - 1];
      if (s.tag == tag && same_key(e.key, key)) return e.value;
    }
    return add(key, fresh, h);
  }

  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }
  [[nodiscard]] bool empty() const noexcept { return entries_.empty(); }

  /// entries are the keys and values in the order the keys first came. A caller may move
  /// values out (and then clear the table), not change keys.
  [[nodiscard]] std::vector<entry>& entries() noexcept { return entries_; }

  /// clear forgets every key and frees the table's memory.
  void clear() {
    std::vector<entry>().swap(entries_);
    slots_.assign(empty_slots, slot{});
    mask_ = empty_slots - 1;
  }

 private:
  // A slot holds an entry's index + 1 (0: free) and the high half of its key's hash, so that
  // most slots of other keys are passed without reading their entries.
  struct slot {
    std::uint32_t tag = 0;
    std::uint32_t index = 0;
  };

  static constexpr std::size_t empty_slots = 16;
  static constexpr std::size_t max_entries = 0xffffffffu;

  // A new key, out of line: the lookup stays a small function that its caller inlines.
  [[gnu::noinline]] Value& add(std::string_view key, const Value& fresh, std::uint64_t h) {
    if (entries_.size() == max_entries) throw std::length_error("stream_stats: too many keys");
    // At most half full: a new key's probe ends within a few slots.
    if (2 * (entries_.size() + 1) > slots_.size()) grow();
    entries_.push_back(entry{std::string(key), fresh});
    place(h, static_cast<std::uint32_t>(entries_.size()));
    return entries_.back().value;
  }

  void place(std::uint64_t h, std::uint32_t index) noexcept {
    std::size_t i = h & mask_;
    while (slots_[i].index != 0) i = (i + 1) & mask_;
    slots_[i] = slot{static_cast<std::uint32_t>(h >> 32), index};
  }

  void grow() {
    slots_.assign(slots_.size() * 2, slot{});
    mask_ = slots_.size() - 1;
    for (std::size_t e = 0; e < entries_.size(); ++e) {
      place(hash_key(entries_[e].key), static_cast<std::uint32_t>(e + 1));
    }
  }

  std::vector<entry> entries_;
  std::vector<slot> slots_ = std::vector<slot>(empty_slots);
  std::size_t mask_ = empty_slots - 1;
};

}  // namespace stream_stats
