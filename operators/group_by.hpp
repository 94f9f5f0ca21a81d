// coflow/operators/group_by.hpp
//
// sinks::group_by(key_fn, aggregate): a sink that runs a fresh copy of a sub-pipeline for each
// distinct key; the result is a std::map from each key to that copy's result, in key order.
//
//   struct reading { std::string sensor; double value; };
//   std::map<std::string, std::optional<double>> means = coflow::run(
//       readings, coflow::sinks::group_by(&reading::sensor,
//                                       coflow::ops::transform(&reading::value) |
//                                           coflow::ops::averager() | coflow::sinks::last()));
//
// Semantics: for each value v the key is std::invoke(key_fn, std::as_const(v)), decayed to a
//   value and made owning (Key; it must be std::totally_ordered): a std::basic_string_view
//   becomes a std::basic_string, also inside a std::pair or std::tuple, because the value it
//   views moves into its group. Keys that view or point into the value and cannot be copied
//   that way (std::span, a ranges::subrange, any borrowed view, a pointer to characters) are
//   rejected at compile time. The first value with a new key binds a new
//   copy of `aggregate` (a runnable description: a sink or a chain ending in a sink) for it;
//   v is then moved into its key's group. A group whose aggregate is done (a take(n) that is
//   full) gets no more values; its later values are dropped. group_by itself is never done,
//   since a new key may come. At end of stream every group is finished in key order and the
//   result is std::map<Key, R> with R the aggregate's result (std::monostate when it is void);
//   each group is destroyed as soon as its result is in the map, so that the groups and the
//   results are never all alive at once. An empty stream gives an empty map.
// Groups: in a std::unordered_map (sinks::group_key_hash, sinks::group_key_equal) when the key
//   is a number, an enum, a pointer or a std::basic_string, a std::pair, std::tuple or
//   std::array of such keys, or a container of them that holds no floating-point value; else
//   (your own types, std::optional, ...) in a std::map. Either way the result's order is the
//   key order, and keys are compared as below.
// NaN keys: a floating-point key (float, double, long double, also as an element of a
//   std::pair, std::tuple or std::array key) is ordered by sinks::group_key_less: every NaN,
//   whatever its sign or payload, falls in one group, ordered after every number (pandas'
//   dropna=False, SQL's GROUP BY); -0.0 and +0.0 are one group. The result map of such a key
//   is std::map<Key, R, sinks::group_key_less>, so result.find(NAN) finds the NaN group. Other
//   keys that hold floating-point values (std::optional<double>, std::vector<double>, your own
//   types) are compared with their own operator<, under which a NaN breaks the map's ordering:
//   map NaN to a value of its own in key_fn.
// Preconditions: `aggregate` is copy constructible (each group binds its own copy); a
//   coroutine object is move-only and runs once, so it cannot be an aggregate (a
//   compile-time error says so).
// Exceptions: what key_fn throws propagates and the value is lost (no group is made for it);
//   what binding or feeding a group throws propagates (the group made so far stays). If a
//   group throws while finishing, the exception propagates, the groups after it in key order
//   are not finished, and every group is destroyed with the pipeline.
// Lifetime: the sink owns key_fn and the aggregate description (lvalue arguments are copied,
//   rvalues moved); the map owns the bound groups.
// Cost: per value, one call of key_fn and one lookup: a hash and O(1) comparisons expected in
//   the hash map (O(log groups) comparisons in a std::map); a key that key_fn returns by
//   reference or as a std::string_view is looked up as it is and copied only for a new group.
//   Per new key, one node and the aggregate's own bind (coroutine frames, if it has coroutine
//   stages). At the end, sorting the groups (O(groups log groups)) and one result-map node per
//   group, each made as its group is freed.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <functional>
#include <limits>
#include <map>
#include <ranges>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "operators/detail/branch.hpp"
#include "pipeline/compose.hpp"
#include "pipeline/stage.hpp"

namespace coflow {

namespace detail {

// Group keys. Everything group_by decides about a key lives here: the owning type a key is
// stored as, the keys rejected because they would dangle, and the order that gives NaN a
// group of its own (a hash map would need the matching hash and equality).

// owning_group_key<K>::type is K with every std::basic_string_view (also inside a std::pair or
// std::tuple) made a std::basic_string.
template <class K>
struct owning_group_key {
  using type = K;
};
template <class C, class Traits>
struct owning_group_key<std::basic_string_view<C, Traits>> {
  using type = std::basic_string<C, Traits>;
};
template <class A, class B>
struct owning_group_key<std::pair<A, B>> {
  using type = std::pair<typename owning_group_key<A>::type, typename owning_group_key<B>::type>;
};
template <class... Ts>
struct owning_group_key<std::tuple<Ts...>> {
  using type = std::tuple<typename owning_group_key<Ts>::type...>;
};

// group_key_parts<K>: K's std::pair, std::tuple or std::array structure, looked into by the
// two traits and the order below.
template <class K>
inline constexpr bool is_group_key_tuple_v = false;
template <class A, class B>
inline constexpr bool is_group_key_tuple_v<std::pair<A, B>> = true;
template <class... Ts>
inline constexpr bool is_group_key_tuple_v<std::tuple<Ts...>> = true;
template <class T, std::size_t N>
inline constexpr bool is_group_key_tuple_v<std::array<T, N>> = true;

template <class K, template <class> class Pred>
constexpr bool any_group_key_part() {
  if constexpr (is_group_key_tuple_v<K>) {
    return []<std::size_t... I>(std::index_sequence<I...>) {
      return (any_group_key_part<std::tuple_element_t<I, K>, Pred>() || ...);
    }
    (std::make_index_sequence<std::tuple_size_v<K>>());
  } else {
    return Pred<K>::value;
  }
}

template <class K>
struct is_dangling_group_key_part
    : std::bool_constant<(std::ranges::view<K> && std::ranges::borrowed_range<K>) ||
                         (std::is_pointer_v<K> &&
                          (std::is_same_v<std::remove_cv_t<std::remove_pointer_t<K>>, char> ||
                           std::is_same_v<std::remove_cv_t<std::remove_pointer_t<K>>, wchar_t> ||
                           std::is_same_v<std::remove_cv_t<std::remove_pointer_t<K>>, char8_t> ||
                           std::is_same_v<std::remove_cv_t<std::remove_pointer_t<K>>, char16_t> ||
                           std::is_same_v<std::remove_cv_t<std::remove_pointer_t<K>>, char32_t>))> {
};

// dangling_group_key_v<K>: K (an owning_group_key) still views or points into the value.
template <class K>
inline constexpr bool dangling_group_key_v = any_group_key_part<K, is_dangling_group_key_part>();

// nan_group_key_v<K>: K is or holds a floating-point value, so it needs group_key_less.
template <class K>
inline constexpr bool nan_group_key_v = any_group_key_part<K, std::is_floating_point>();

// group_key_less(a, b) is the strict weak order of group keys: NaN after every number and
// equivalent to every other NaN, tuples lexicographically by that order, the rest by
// std::less<> (so a std::string compares with a std::string_view without a copy).
template <class A, class B>
bool group_key_less(const A& a, const B& b);

template <std::size_t I, class A, class B>
bool group_key_tuple_less(const A& a, const B& b) {
  if constexpr (I == std::tuple_size_v<A>) {
    return false;
  } else {
    if (group_key_less(std::get<I>(a), std::get<I>(b))) return true;
    if (group_key_less(std::get<I>(b), std::get<I>(a))) return false;
    return group_key_tuple_less<I + 1>(a, b);
  }
}

template <class A, class B>
bool group_key_less(const A& a, const B& b) {
  if constexpr (std::is_floating_point_v<A> && std::is_floating_point_v<B>) {
    if (std::isnan(a)) return false;
    return std::isnan(b) || a < b;
  } else if constexpr (is_group_key_tuple_v<A> && is_group_key_tuple_v<B>) {
    return group_key_tuple_less<0>(a, b);
  } else {
    return std::less<>{}(a, b);
  }
}

// group_key_equal(a, b) is the equality that goes with group_key_less: every NaN equal to every
// other, -0.0 equal to +0.0, tuples and ranges element by element, the rest by operator==
// (a std::string equals a std::string_view without a copy).
template <class A, class B>
bool group_key_equal(const A& a, const B& b);

template <std::size_t I, class A, class B>
bool group_key_tuple_equal(const A& a, const B& b) {
  if constexpr (I == std::tuple_size_v<A>) {
    return true;
  } else {
    return group_key_equal(std::get<I>(a), std::get<I>(b)) && group_key_tuple_equal<I + 1>(a, b);
  }
}

// std_hashable<K>: std::hash<K> is enabled (a disabled one cannot be called).
template <class K>
concept std_hashable = requires(const K& k) {
  { std::hash<K>{}(k) } -> std::convertible_to<std::size_t>;
};

template <class A, class B>
bool group_key_equal(const A& a, const B& b) {
  if constexpr (std::is_floating_point_v<A> && std::is_floating_point_v<B>) {
    return a == b || (std::isnan(a) && std::isnan(b));
  } else if constexpr (is_group_key_tuple_v<A> && is_group_key_tuple_v<B>) {
    return group_key_tuple_equal<0>(a, b);
  } else if constexpr (!std_hashable<A> && std::ranges::sized_range<A> &&
                       std::ranges::sized_range<B>) {
    return std::ranges::equal(a, b,
                              [](const auto& x, const auto& y) { return group_key_equal(x, y); });
  } else {
    return std::equal_to<>{}(a, b);
  }
}

template <class K>
inline constexpr bool is_group_key_string_v = false;
template <class C, class Traits, class Alloc>
inline constexpr bool is_group_key_string_v<std::basic_string<C, Traits, Alloc>> = true;

// hashable_group_key<K>: group_by keeps groups of key K in a hash map: group_key_hash hashes
// it consistently with group_key_equal, and both agree with the order of the result.
template <class K>
constexpr bool hashable_group_key() {
  if constexpr (std::is_floating_point_v<K>) {
    return true;
  } else if constexpr (is_group_key_tuple_v<K>) {
    return []<std::size_t... I>(std::index_sequence<I...>) {
      return (hashable_group_key<std::remove_cv_t<std::tuple_element_t<I, K>>>() && ...);
    }
    (std::make_index_sequence<std::tuple_size_v<K>>());
  } else if constexpr (std::is_arithmetic_v<K> || std::is_enum_v<K> || std::is_pointer_v<K> ||
                       is_group_key_string_v<K>) {
    return std_hashable<K>;
  } else if constexpr (std::ranges::sized_range<K> && !std::ranges::view<K>) {
    // Not a container of floating-point values: the result map orders it with its operator<,
    // under which NaN breaks the order, so it stays in a std::map as before.
    using element = std::remove_cv_t<std::ranges::range_value_t<K>>;
    return !nan_group_key_v<element> && hashable_group_key<element>();
  } else {
    // Your own types, std::optional, ...: their operator== and std::hash (if any) need not
    // agree with the operator< that orders the result.
    return false;
  }
}

inline std::size_t combine_group_hashes(std::size_t seed, std::size_t hash) noexcept {
  // boost::hash_combine's mixing, on 64 bits.
  return seed ^ (hash + 0x9e3779b97f4a7c15ULL + (seed << 12) + (seed >> 4));
}

template <class K>
std::size_t group_key_hash(const K& k) {
  if constexpr (std::is_floating_point_v<K>) {
    // One hash for every NaN, one for -0.0 and +0.0 (x + 0.0 is +0.0 for both).
    if (std::isnan(k)) return std::hash<K>{}(std::numeric_limits<K>::quiet_NaN());
    return std::hash<K>{}(k + K(0));
  } else if constexpr (is_group_key_tuple_v<K>) {
    return []<std::size_t... I>(const K& key, std::index_sequence<I...>) {
      std::size_t seed = 0;
      ((seed = combine_group_hashes(seed, group_key_hash(std::get<I>(key)))), ...);
      return seed;
    }
    (k, std::make_index_sequence<std::tuple_size_v<K>>());
  } else if constexpr (std_hashable<K>) {
    // A std::string and a std::string_view of the same characters hash alike (the standard
    // says so), which is what looking up a string key by a view needs.
    return std::hash<K>{}(k);
  } else {
    std::size_t seed = std::ranges::size(k);
    for (const auto& part : k) seed = combine_group_hashes(seed, group_key_hash(part));
    return seed;
  }
}

template <class In, class KeyFn>
using group_key_t =
    typename owning_group_key<std::decay_t<std::invoke_result_t<KeyFn&, const In&>>>::type;

}  // namespace detail

namespace sinks {

/// group_key_less orders keys the way group_by groups them: NaN after every number, all NaNs
/// equivalent (one group); pairs, tuples and arrays element by element; other keys by their
/// operator<. It is transparent. It is the comparator of group_by's result for keys that hold
/// floating-point values.
struct group_key_less {
  using is_transparent = void;
  template <class A, class B>
  bool operator()(const A& a, const B& b) const {
    return detail::group_key_less(a, b);
  }
};

/// group_key_hash hashes keys the way group_by groups them: every NaN alike, -0.0 and +0.0
/// alike, pairs, tuples, arrays and containers from their elements, other keys by std::hash.
/// group_key_equal is the equality that goes with it. Both are transparent (a std::string_view
/// finds a std::string key).
struct group_key_hash {
  using is_transparent = void;
  template <class K>
  std::size_t operator()(const K& k) const {
    return detail::group_key_hash(k);
  }
};

struct group_key_equal {
  using is_transparent = void;
  template <class A, class B>
  bool operator()(const A& a, const B& b) const {
    return detail::group_key_equal(a, b);
  }
};

}  // namespace sinks

namespace detail {

/// group_result_t<Key, R> is group_by's result: std::map<Key, R>, ordered by group_key_less
/// when a NaN could make std::less wrong.
template <class Key, class R>
using group_result_t =
    std::map<Key, R,
             std::conditional_t<nan_group_key_v<Key>, sinks::group_key_less, std::less<Key>>>;

/// group_map_t<Key, Group> is where group_by keeps its groups while they run: a hash map when
/// the key can be hashed, else a std::map.
template <class Key, class Group>
using group_map_t = std::conditional_t<
    hashable_group_key<Key>(),
    std::unordered_map<Key, Group, sinks::group_key_hash, sinks::group_key_equal>,
    std::map<Key, Group, sinks::group_key_less>>;

template <class In, class KeyFn, class Aggregate>
class group_by_node {
  using key_type = group_key_t<In, KeyFn>;
  using node_type = branch_node_t<In, const Aggregate&>;
  using group_map = group_map_t<key_type, branch<In, node_type>>;
  static constexpr bool hashed = hashable_group_key<key_type>();

 public:
  using result_type = group_result_t<key_type, branch_result_t<node_type>>;

  group_by_node(KeyFn key_fn, Aggregate aggregate)
      : key_fn_(std::move(key_fn)), aggregate_(std::move(aggregate)) {}

  bool push(In&& value) {
    // Looked up as key_fn returns it (both maps are transparent), so that a key returned by
    // reference or as a std::string_view is copied only when it starts a new group.
    decltype(auto) key = std::invoke(key_fn_, std::as_const(value));
    auto it = groups_.find(key);
    if (it == groups_.end()) {
      it = groups_
               .emplace(std::piecewise_construct,
                        std::forward_as_tuple(std::forward<decltype(key)>(key)),
                        std::forward_as_tuple(coflow::bind_chain<In>(aggregate_)))
               .first;
    }
    if (it->second.accepting()) it->second.push(std::move(value));
    return true;
  }

  [[nodiscard]] bool done() const { return false; }

  result_type finish() {
    std::vector<typename group_map::iterator> in_order;
    in_order.reserve(groups_.size());
    for (auto it = groups_.begin(); it != groups_.end(); ++it) in_order.push_back(it);
    if constexpr (hashed) {
      std::sort(in_order.begin(), in_order.end(),
                [](const auto& a, const auto& b) { return group_key_less(a->first, b->first); });
    }
    result_type results;
    for (const auto& it : in_order) {
      // Taken out of the map, the group is destroyed once its result is in: one of the two is
      // alive for each key, never both for every key. (Extracting one element keeps every other
      // iterator valid.)
      auto group = groups_.extract(it);
      auto result = group.mapped().finish();
      results.emplace_hint(results.end(), std::move(group.key()), std::move(result));
    }
    return results;
  }

 private:
  [[no_unique_address]] KeyFn key_fn_;
  Aggregate aggregate_;
  group_map groups_;
};

}  // namespace detail

namespace sinks {

/// group_by_sink<KeyFn, Aggregate> is the description made by group_by(key_fn, aggregate).
template <class KeyFn, class Aggregate>
struct group_by_sink : sink_interface {
  KeyFn key_fn;
  Aggregate aggregate;

  template <class In>
  auto open() const& {
    check_input<In>();
    return detail::group_by_node<In, KeyFn, Aggregate>(key_fn, aggregate);
  }
  template <class In>
  auto open() && {
    check_input<In>();
    return detail::group_by_node<In, KeyFn, Aggregate>(std::move(key_fn), std::move(aggregate));
  }

 private:
  template <class In>
  static constexpr void check_input() {
    static_assert(std::invocable<KeyFn&, const In&>,
                  "coflow::sinks::group_by(key_fn, aggregate): key_fn must be callable with a "
                  "const In& (a function, a lambda, or a pointer to a data member)");
    static_assert(!detail::dangling_group_key_v<detail::group_key_t<In, KeyFn>>,
                  "coflow::sinks::group_by(key_fn, aggregate): key_fn returns a view or a "
                  "pointer into the value (std::span, a subrange, const char*...), which would "
                  "dangle once the value moves into its group: return an owning key instead "
                  "(std::string, std::vector; a std::string_view key is copied into a "
                  "std::string)");
    static_assert(std::totally_ordered<detail::group_key_t<In, KeyFn>>,
                  "coflow::sinks::group_by(key_fn, aggregate): the key that key_fn returns must "
                  "be totally ordered (it is a std::map key): give it operator<=> or "
                  "transform it to one that is");
  }
};

/// group_by(key_fn, aggregate) runs a fresh copy of aggregate for each key; the result maps
/// each key to its copy's result.
template <class KeyFn, class Aggregate>
  requires std::move_constructible<std::decay_t<KeyFn>> && runnable<Aggregate>
[[nodiscard]] group_by_sink<std::decay_t<KeyFn>, std::decay_t<Aggregate>> group_by(
    KeyFn&& key_fn, Aggregate&& aggregate) {
  static_assert(std::copy_constructible<std::decay_t<Aggregate>>,
                "coflow::sinks::group_by(key_fn, aggregate): each key binds its own copy of the "
                "aggregate, so it must be copyable: a chain of operators ending in a sink (a "
                "coroutine object is move-only and runs once)");
  return {{}, std::forward<KeyFn>(key_fn), std::forward<Aggregate>(aggregate)};
}

}  // namespace sinks

}  // namespace coflow
