// Property test: random compositions of the operators give what a plain loop gives.
//
// Each case draws a seeded random pipeline of `depth` stages, each one of filter, transform,
// take, drop, take_while, a coroutine stage (a running sum) or an ops::sequence of coroutine
// stages, with random parameters, ends it with a random tail (a sink, or an aggregate and a
// sink), runs it over a random vector, and compares the result, and how many elements run()
// read from the source, with a reference written as a plain loop over the input.
//
// The composition is chosen at run time: one_of_stage below is a test-only stage description
// whose bind() binds the chosen real operator (its own bind, or the coroutine binding that `|`
// uses) in front of the real downstream node, so every case runs the library's own nodes.
#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <random>
#include <range/v3/view/transform.hpp>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "operators/averager.hpp"
#include "operators/batch.hpp"
#include "operators/count.hpp"
#include "operators/drop.hpp"
#include "operators/filter.hpp"
#include "operators/for_each.hpp"
#include "operators/last.hpp"
#include "operators/maximize.hpp"
#include "operators/minimize.hpp"
#include "operators/sequence.hpp"
#include "operators/sum.hpp"
#include "operators/take.hpp"
#include "operators/take_while.hpp"
#include "operators/to_vector.hpp"
#include "operators/transform.hpp"
#include "pipeline/compose.hpp"
#include "pipeline/coroutine.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/run.hpp"

namespace {

namespace ops = coflow::ops;
namespace sinks = coflow::sinks;
using value = std::int64_t;

constexpr int depth = 5;        // random stages before a sink
constexpr int short_depth = 2;  // random stages before an aggregate and its sink
constexpr int cases = 400;

// ---------------------------------------------------------------------------------------------
// The parts the random pipelines are made of.

struct residue_is {  // x mod m == r
  value m, r;
  bool operator()(const value& x) const { return ((x % m) + m) % m == r; }
};

struct affine {  // (a x + b) mod 1000, to keep values bounded
  value a, b;
  value operator()(value x) const { return (a * x + b) % 1000; }
};

struct below {
  value limit;
  bool operator()(const value& x) const { return x < limit; }
};

coflow::coroutine<value, value> running_sum() {
  value total = 0;
  std::optional<value> reply;
  while (auto v = co_yield reply) reply = total += *v;
}

coflow::coroutine<value, value> add(value k) {
  while (auto v = co_yield coflow::receive) co_yield coflow::emit(*v + k);
}

enum class kind { filter, transform, take, drop, take_while, coroutine, sequence };

struct op_spec {
  explicit op_spec(kind which, value first = 0, value second = 0, std::vector<value> steps = {})
      : k(which), a(first), b(second), adds(std::move(steps)) {}

  kind k;
  value a;
  value b;
  std::vector<value> adds;  // sequence: one add(k) stage each

  std::string describe() const {
    std::ostringstream os;
    switch (k) {
      case kind::filter:
        os << "filter(x mod " << a << " == " << b << ")";
        break;
      case kind::transform:
        os << "transform(" << a << "x + " << b << " mod 1000)";
        break;
      case kind::take:
        os << "take(" << a << ")";
        break;
      case kind::drop:
        os << "drop(" << a << ")";
        break;
      case kind::take_while:
        os << "take_while(x < " << a << ")";
        break;
      case kind::coroutine:
        os << "running_sum()";
        break;
      case kind::sequence:
        os << "sequence(" << adds.size() << " adds)";
        break;
    }
    return os.str();
  }
};

// Stands in for a MakeDown in decltype only: the node types of the alternatives depend on the
// downstream node's type alone. Never called; defined because deducing the return type of
// bind_stage instantiates a body that names it.
template <class Down>
struct make_down_as {
  template <class Out>
  [[noreturn]] Down operator()(std::type_identity<Out>) const {
    std::abort();
  }
};

// The node of a one_of_stage: one of the real operator nodes, each in front of Down. Its type
// names Down once (not each alternative), so that the type names of a deep chain grow with its
// depth, not exponentially; its members are not inlined, so that neither does the code.
template <class In, class Down>
struct one_of_node {
  using variant =
      std::variant<decltype(ops::filter(residue_is{}).template bind<In>(make_down_as<Down>{})),
                   decltype(ops::transform(affine{}).template bind<In>(make_down_as<Down>{})),
                   decltype(ops::take(0).template bind<In>(make_down_as<Down>{})),
                   decltype(ops::drop(0).template bind<In>(make_down_as<Down>{})),
                   decltype(ops::take_while(below{}).template bind<In>(make_down_as<Down>{})),
                   decltype(coflow::detail::bind_stage<In>(running_sum(), make_down_as<Down>{})),
                   decltype(ops::sequence<value>({}).template bind<In>(make_down_as<Down>{}))>;

  variant node;

  [[gnu::noinline]] bool push(value&& v) {
    return std::visit([&](auto& n) { return n.push(std::move(v)); }, node);
  }
  [[nodiscard, gnu::noinline]] bool done() const {
    return std::visit([](const auto& n) { return n.done(); }, node);
  }
  [[gnu::noinline]] decltype(auto) finish() {
    return std::visit([](auto& n) -> decltype(auto) { return n.finish(); }, node);
  }
};

// A stage that is, at run time, one of the operators above.
struct one_of_stage : coflow::stage_interface {
  op_spec spec;

  template <class In>
  using output = value;

  template <class In, class MakeDown>
  auto bind(MakeDown make_down) const {
    static_assert(std::is_same_v<In, value>);
    using node = one_of_node<In, decltype(make_down(std::type_identity<value>{}))>;
    using variant = typename node::variant;
    const auto n = static_cast<std::size_t>(spec.a);
    switch (spec.k) {
      case kind::filter:
        return node{variant(std::in_place_index<0>,
                            ops::filter(residue_is{spec.a, spec.b}).template bind<In>(make_down))};
      case kind::transform:
        return node{variant(std::in_place_index<1>,
                            ops::transform(affine{spec.a, spec.b}).template bind<In>(make_down))};
      case kind::take:
        return node{variant(std::in_place_index<2>, ops::take(n).template bind<In>(make_down))};
      case kind::drop:
        return node{variant(std::in_place_index<3>, ops::drop(n).template bind<In>(make_down))};
      case kind::take_while:
        return node{variant(std::in_place_index<4>,
                            ops::take_while(below{spec.a}).template bind<In>(make_down))};
      case kind::coroutine:
        return node{variant(std::in_place_index<5>,
                            coflow::detail::bind_stage<In>(running_sum(), make_down))};
      case kind::sequence:
        break;
    }
    std::vector<coflow::coroutine<value, value>> stages;
    for (value k : spec.adds) stages.push_back(add(k));
    return node{variant(std::in_place_index<6>,
                        ops::sequence(std::move(stages)).template bind<In>(make_down))};
  }
};

// ---------------------------------------------------------------------------------------------
// The reference: a plain loop, one input element at a time through every stage's state.

struct reference_result {
  std::vector<value> out;
  int pulled = 0;
};

reference_result reference(const std::vector<op_spec>& specs, const std::vector<value>& input) {
  struct state {
    value count = 0;  // take: taken; drop: dropped
    value total = 0;  // running sum
    bool done = false;
  };
  std::vector<state> states(specs.size());
  reference_result r;
  auto any_done = [&] {
    for (const state& s : states)
      if (s.done) return true;
    return false;
  };
  for (std::size_t i = 0; i < specs.size(); ++i)
    if (specs[i].k == kind::take && specs[i].a == 0) states[i].done = true;
  for (value x : input) {
    if (any_done()) break;
    ++r.pulled;
    bool alive = true;
    for (std::size_t i = 0; i < specs.size() && alive; ++i) {
      const op_spec& s = specs[i];
      state& st = states[i];
      switch (s.k) {
        case kind::filter:
          alive = ((x % s.a) + s.a) % s.a == s.b;
          break;
        case kind::transform:
          x = (s.a * x + s.b) % 1000;
          break;
        case kind::take:
          if (++st.count == s.a) st.done = true;
          break;
        case kind::drop:
          if (st.count < s.a) {
            ++st.count;
            alive = false;
          }
          break;
        case kind::take_while:
          if (!(x < s.a)) {
            st.done = true;
            alive = false;
          }
          break;
        case kind::coroutine:
          st.total += x;
          x = st.total;
          break;
        case kind::sequence:
          for (value k : s.adds) x += k;
          break;
      }
    }
    if (alive) r.out.push_back(x);
  }
  return r;
}

// ---------------------------------------------------------------------------------------------
// Random cases.

op_spec random_spec(std::mt19937& rng) {
  auto uniform = [&](value lo, value hi) {
    return std::uniform_int_distribution<value>(lo, hi)(rng);
  };
  op_spec s(static_cast<kind>(uniform(0, 6)));
  switch (s.k) {
    case kind::filter:
      s.a = uniform(1, 4);
      s.b = uniform(0, s.a - 1);
      break;
    case kind::transform:
      s.a = uniform(-3, 3);
      s.b = uniform(-10, 10);
      break;
    case kind::take:
      s.a = uniform(0, 40);
      break;
    case kind::drop:
      s.a = uniform(0, 10);
      break;
    case kind::take_while:
      s.a = uniform(-20, 200);
      break;
    case kind::coroutine:
      break;
    case kind::sequence:
      for (value i = uniform(0, 3); i > 0; --i) s.adds.push_back(uniform(-5, 5));
      break;
  }
  return s;
}

std::vector<value> random_input(std::mt19937& rng) {
  std::vector<value> xs(std::uniform_int_distribution<std::size_t>(0, 60)(rng));
  for (value& x : xs) x = std::uniform_int_distribution<value>(-50, 50)(rng);
  return xs;
}

std::string describe(const std::vector<op_spec>& specs, const std::vector<value>& input) {
  std::ostringstream os;
  for (const op_spec& s : specs) os << s.describe() << " | ";
  os << "tail over {";
  for (value x : input) os << x << ",";
  os << "}";
  return os.str();
}

// The random stages, composed with `|`. A sink ends the deep chain; an aggregate and its sink
// end the short one (fewer instantiations, so that the test compiles in reasonable time and
// memory with sanitizers).
auto stages_of(const std::vector<op_spec>& s) {
  static_assert(depth == 5);
  return one_of_stage{{}, s.at(0)} | one_of_stage{{}, s.at(1)} | one_of_stage{{}, s.at(2)} |
         one_of_stage{{}, s.at(3)} | one_of_stage{{}, s.at(4)};
}

auto short_stages_of(const std::vector<op_spec>& s) {
  static_assert(short_depth == 2);
  return one_of_stage{{}, s.at(0)} | one_of_stage{{}, s.at(1)};
}

enum class tail {
  // after the deep chain
  to_vector,
  opened_to_vector,
  last,
  for_each,
  // after the short chain
  sum_sink,
  count_sink,
  averager,
  minimize,
  maximize,
  batch,
  sum_op,
  count_op,
  count
};

struct case_data {
  std::vector<op_spec> specs;
  std::vector<value> input;
  reference_result expected;
};

// Runs one case with the given tail and checks it against the reference.
void check_case(const case_data& c, tail t, std::mt19937& rng) {
  const std::vector<value>& want = c.expected.out;
  int pulled = 0;
  auto source = c.input | ranges::views::transform([&pulled](value x) {
                  ++pulled;
                  return x;
                });
  switch (t) {
    case tail::to_vector:
      EXPECT_EQ(coflow::run(source, stages_of(c.specs) | sinks::to_vector()), want);
      break;
    case tail::opened_to_vector: {
      auto opened = coflow::open<value>(stages_of(c.specs) | sinks::to_vector());
      for (auto it = source.begin(); it != source.end() && !opened.done(); ++it) opened.send(*it);
      EXPECT_EQ(opened.close(), want);
      break;
    }
    case tail::last: {
      std::optional<value> last;
      if (!want.empty()) last = want.back();
      EXPECT_EQ(coflow::run(source, stages_of(c.specs) | sinks::last()), last);
      break;
    }
    case tail::sum_sink: {
      value total = 0;
      for (value x : want) total += x;
      EXPECT_EQ(coflow::run(source, short_stages_of(c.specs) | sinks::sum()), total);
      break;
    }
    case tail::count_sink:
      EXPECT_EQ(coflow::run(source, short_stages_of(c.specs) | sinks::count()), want.size());
      break;
    case tail::for_each: {
      std::vector<value> seen;
      coflow::run(source,
                  stages_of(c.specs) | sinks::for_each([&](value x) { seen.push_back(x); }));
      EXPECT_EQ(seen, want);
      break;
    }
    case tail::averager: {
      const auto means =
          coflow::run(source, short_stages_of(c.specs) | ops::averager() | sinks::to_vector());
      ASSERT_EQ(means.size(), want.size());
      long double total = 0;
      for (std::size_t i = 0; i < want.size(); ++i) {
        total += static_cast<long double>(want[i]);
        const double mean = static_cast<double>(total / static_cast<long double>(i + 1));
        EXPECT_NEAR(means[i], mean, 1e-9 * std::max(1.0, std::abs(mean))) << "at " << i;
      }
      break;
    }
    case tail::minimize:
    case tail::maximize: {
      std::vector<value> running;
      for (value x : want) {
        const bool better =
            running.empty() || (t == tail::minimize ? x < running.back() : x > running.back());
        running.push_back(better ? x : running.back());
      }
      if (t == tail::minimize) {
        EXPECT_EQ(
            coflow::run(source, short_stages_of(c.specs) | ops::minimize() | sinks::to_vector()),
            running);
      } else {
        EXPECT_EQ(
            coflow::run(source, short_stages_of(c.specs) | ops::maximize() | sinks::to_vector()),
            running);
      }
      break;
    }
    case tail::batch: {
      const auto n = std::uniform_int_distribution<std::size_t>(1, 7)(rng);
      std::vector<std::vector<value>> batches;
      for (std::size_t i = 0; i < want.size(); ++i) {
        if (i % n == 0) batches.emplace_back();
        batches.back().push_back(want[i]);
      }
      EXPECT_EQ(coflow::run(source, short_stages_of(c.specs) | ops::batch(n) | sinks::to_vector()),
                batches)
          << "batch(" << n << ")";
      break;
    }
    case tail::sum_op: {
      std::vector<std::int64_t> sums;
      std::int64_t total = 0;
      for (value x : want) sums.push_back(total += x);
      EXPECT_EQ(coflow::run(source, short_stages_of(c.specs) | ops::sum() | sinks::to_vector()),
                sums);
      break;
    }
    case tail::count_op: {
      std::optional<std::uint64_t> n;
      if (!want.empty()) n = want.size();
      EXPECT_EQ(coflow::run(source, short_stages_of(c.specs) | ops::count() | sinks::last()), n);
      break;
    }
    case tail::count:
      break;
  }
  EXPECT_EQ(pulled, c.expected.pulled) << "elements read from the source";
}

class Property : public ::testing::TestWithParam<unsigned> {};

TEST_P(Property, RandomCompositionsMatchAPlainLoop) {
  std::mt19937 rng(GetParam());
  for (int i = 0; i < cases; ++i) {
    const auto t = static_cast<tail>(
        std::uniform_int_distribution<int>(0, static_cast<int>(tail::count) - 1)(rng));
    case_data c;
    const int stages = t < tail::sum_sink ? depth : short_depth;
    for (int s = 0; s < stages; ++s) c.specs.push_back(random_spec(rng));
    c.input = random_input(rng);
    c.expected = reference(c.specs, c.input);
    SCOPED_TRACE("case " + std::to_string(i) + ", tail " + std::to_string(static_cast<int>(t)) +
                 ": " + describe(c.specs, c.input));
    check_case(c, t, rng);
    if (::testing::Test::HasFailure()) return;  // one readable failure, not hundreds
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, Property, ::testing::Values(1u, 2u, 3u));

// The reference itself can fail: a hand-worked case.
TEST(PropertyReference, MatchesAHandWorkedCase) {
  const std::vector<op_spec> specs{op_spec(kind::filter, 2, 1),            // odd values
                                   op_spec(kind::coroutine),               // running sum
                                   op_spec(kind::take, 3),                 // three of them
                                   op_spec(kind::sequence, 0, 0, {1, 2}),  // + 3
                                   op_spec(kind::drop, 1)};
  const auto r = reference(specs, {1, 2, 3, 4, 5, 6, 7, 8});
  EXPECT_EQ(r.out, (std::vector<value>{7, 12}));  // sums 1, 4, 9 -> 4, 7, 12 -> drop 4
  EXPECT_EQ(r.pulled, 5);                         // take is full at the value 5
  std::vector<value> input{1, 2, 3, 4, 5, 6, 7, 8};
  EXPECT_EQ(coflow::run(input, stages_of(specs) | sinks::to_vector()), r.out);
}

}  // namespace
