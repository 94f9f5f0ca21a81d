// coflow/pipeline/profile/instrumented.hpp
//
// instrumented(p): a pipeline that counts the values into and out of each of its stages and
// estimates the time spent in each, cheaply enough to leave on in production.
//
//   auto probe = coflow::instrumented(coflow::ops::filter(is_valid) | coflow::ops::averager()
//                                     | coflow::sinks::last());
//   std::optional<double> mean = coflow::run(readings, probe);   // same result as without
//   for (const coflow::stage_profile& s : probe.profile().stages())
//     std::cout << s.name << ' ' << s.values_in << ' ' << s.values_out << ' '
//               << s.time.count() << " ns\n";   // "filter", "averager", "last"
//
// Semantics: `p` is any runnable description (a chain ending in a sink, a sink, a consumer
//   coroutine); instrumented(p) is a sink description that binds exactly as `p` does, with a
//   probe node in front of each top-level stage of the chain (sub-pipelines inside a tee or a
//   group_by are one stage; instrument them separately to see inside). The result, the values
//   and done() are those of `p`.
// Counts are exact: values_in of a stage is the number of values pushed into it (by push, or
//   in spans by push_batch), values_out the number it pushed on, including what it emitted at
//   start or flushed at end of stream. A sink's values_out is 0.
// Time is an estimate, made by sampling. Reading std::chrono::steady_clock costs more than
//   several fused stages (about 27 ns on a virtual machine's kvm-clock), so the head probe
//   times one input value in every `sample_every` (a power of two, default 256; 1 times every
//   value), the 1st, the 257th, the 513th, ... The default is measured (benchmarks/RESULTS.md):
//   at 256 sampling adds about 0.5 ns per value to a three-stage pipeline, less than the
//   counting itself, where timing every value adds about 120 ns. While a timed value is
//   in flight, every probe times the push into its stage, so that all stages are timed on the
//   same values: the inclusive time of stage i covers stage i and everything downstream of
//   it, and stage i's own time is inclusive(i) - inclusive(i + 1). The sum over the timed
//   values is scaled by (values into the pipeline) / (values timed) to estimate all of them.
//   End of stream (finish(), where a stage may flush) is always timed and added unscaled.
//   Each stage's time includes about one clock read per timed value (the next probe's), and
//   a stream shorter than the period is estimated from its first value alone. A batch given to
//   push_batch is timed whole when it holds a sampled position.
// Profile: copies of an instrumented description share one profile, so it accumulates over
//   every binding (several runs, or the per-key sub-pipelines of a group_by); reset() clears
//   the counts and times. It may be read at any time on the pipeline's thread, from a stage
//   too; while a value is in flight, the time of that value is not yet in it. A profile is not
//   synchronised: do not run copies on several threads at once.
// Names: named(name, stage) (pipeline/named.hpp) names a stage; otherwise the name comes from
//   the description's type, without namespaces, template arguments and a _stage or _sink
//   suffix ("coflow::ops::filter_stage<lambda>" is "filter"); a coroutine is "coroutine".
//   The type is demangled with the C++ ABI's abi::__cxa_demangle, which g++ and clang
//   provide, rather than Boost's demangle, which is that same call: the core stays free of
//   Boost. Without RTTI every unnamed stage is "stage".
// Exceptions: what a stage throws propagates unchanged; the counts then include the value that
//   was pushed, and the time spent until the throw is added. instrumented() throws
//   std::invalid_argument for a sample_every that is not a power of two.
// Lifetime: the profile is shared by the description, its copies, every node bound from them,
//   and every pipeline_profile handle; it lives as long as the last of them.
// Cost: per value and stage, one counter increment and a test of the timing flag; per sampled
//   value, two clock reads per stage. One allocation when instrumented() is called (the
//   profile and the stage names); none per value and none per binding.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>
#if defined(__GXX_RTTI) || defined(__cpp_rtti)
#include <cxxabi.h>

#include <typeinfo>
#endif

#include "pipeline/compose.hpp"
#include "pipeline/profile/named.hpp"
#include "pipeline/profile/pipeline_profile.hpp"
#include "pipeline/stage.hpp"

namespace coflow {

namespace detail {

// Adds the time from construction to destruction to `total`, on every path out.
class scoped_timer {
 public:
  explicit scoped_timer(profile_clock::duration& total) noexcept
      : total_(total), start_(profile_clock::now()) {}
  scoped_timer(const scoped_timer&) = delete;
  scoped_timer& operator=(const scoped_timer&) = delete;
  ~scoped_timer() { total_ += profile_clock::now() - start_; }

 private:
  profile_clock::duration& total_;
  profile_clock::time_point start_;
};

// Sets the timing flag for the lifetime of a sampled push at the head, and restores it.
class sampling_scope {
 public:
  explicit sampling_scope(bool& timing) noexcept : timing_(timing), outer_(timing) {
    timing_ = true;
  }
  sampling_scope(const sampling_scope&) = delete;
  sampling_scope& operator=(const sampling_scope&) = delete;
  ~sampling_scope() { timing_ = outer_; }

 private:
  bool& timing_;
  bool outer_;
};

// The probe in front of stage `index`: counts what goes into the stage and, while a sampled
// value is in flight (or, at the head, for a sampled value), times the push. Head is the probe
// of the first stage, which decides which values are sampled.
// The head owns a share of the profile, so that the nodes outlive the description they were
// bound from; the probes behind it live inside it.
struct no_owner {
  explicit no_owner(const std::shared_ptr<profile_state>&) noexcept {}
};

template <class In, class Down, bool Head>
class probe_node {
  using owner_type = std::conditional_t<Head, std::shared_ptr<profile_state>, no_owner>;

 public:
  template <class MakeNode>
  probe_node(const std::shared_ptr<profile_state>& state, std::size_t index, MakeNode make_node)
      : owner_(state),
        state_(state.get()),
        counters_(&state->counters[index]),
        down_(make_node()) {}

  bool push(In&& value) {
    if (!sampled(1)) return down_.push(std::move(value));
    [[maybe_unused]] auto timing = enter(1);
    scoped_timer timer(counters_->timed);
    return down_.push(std::move(value));
  }

  bool push_batch(std::span<const In> values) requires batch_node_for<Down, In> {
    if (!sampled(values.size())) return down_.push_batch(values);
    [[maybe_unused]] auto timing = enter(values.size());
    scoped_timer timer(counters_->timed);
    return down_.push_batch(values);
  }

  [[nodiscard]] bool done() const { return down_.done(); }

  decltype(auto) finish() {
    scoped_timer timer(counters_->finish);
    return down_.finish();
  }

 private:
  // Counts n values in; true when they are to be timed.
  bool sampled(std::uint64_t n) noexcept {
    const std::uint64_t first = counters_->values_in;
    counters_->values_in = first + n;
    if constexpr (Head) {
      // Timed when [first, first + n) holds a multiple of sample_every.
      const std::uint64_t mask = state_->mask;
      if (n == 1) return (first & mask) == 0;
      return n != 0 && ((first + mask) & ~mask) - first < n;
    } else {
      return state_->timing;
    }
  }

  auto enter(std::uint64_t n) noexcept {
    counters_->timed_in += n;
    if constexpr (Head) {
      return sampling_scope(state_->timing);
    } else {
      return 0;
    }
  }

  [[no_unique_address]] owner_type owner_;  // declared first: destroyed after down_
  profile_state* state_;
  stage_counters* counters_;
  Down down_;
};

template <class In, std::size_t I, class Tuple>
auto bind_probed(Tuple&& parts, const std::shared_ptr<profile_state>& state) {
  constexpr std::size_t size = std::tuple_size_v<std::remove_cvref_t<Tuple>>;
  auto make_node = [&] {
    if constexpr (I + 1 == size) {
      return open_sink<In>(std::get<I>(std::forward<Tuple>(parts)));
    } else {
      auto make_down = [&parts, &state]<class Out>(std::type_identity<Out>) {
        return bind_probed<Out, I + 1>(std::forward<Tuple>(parts), state);
      };
      return bind_stage<In>(std::get<I>(std::forward<Tuple>(parts)), make_down);
    }
  };
  return probe_node<In, decltype(make_node()), I == 0>(state, I, make_node);
}

// "ns::outer<A>::filter_stage<B>" -> "filter".
inline std::string readable_type_name(std::string_view full) {
  std::string plain;  // without template argument lists
  int depth = 0;
  for (char c : full) {
    if (c == '<') {
      ++depth;
    } else if (c == '>') {
      depth = std::max(0, depth - 1);
    } else if (depth == 0) {
      plain += c;
    }
  }
  if (const std::size_t colon = plain.rfind("::"); colon != std::string::npos) {
    plain.erase(0, colon + 2);
  }
  for (std::string_view suffix : {std::string_view("_stage"), std::string_view("_sink")}) {
    if (plain.size() > suffix.size() && plain.ends_with(suffix)) {
      plain.erase(plain.size() - suffix.size());
      break;
    }
  }
  return plain.empty() ? std::string("stage") : plain;
}

template <class P>
struct is_named_part : std::false_type {};
template <class P>
struct is_named_part<named_part<P>> : std::true_type {};

template <class P>
std::string stage_name(const P& part) {
  if constexpr (is_named_part<P>::value) {
    return part.name();
  } else if constexpr (coroutine_part<P>) {
    return "coroutine";
  } else {
#if defined(__GXX_RTTI) || defined(__cpp_rtti)
    const char* mangled = typeid(P).name();
    int status = 0;
    std::unique_ptr<char, decltype(&std::free)> demangled(
        abi::__cxa_demangle(mangled, nullptr, nullptr, &status), &std::free);
    return readable_type_name(status == 0 && demangled ? demangled.get() : mangled);
#else
    return "stage";
#endif
  }
}

template <class Tuple, std::size_t... I>
std::vector<std::string> stage_names(const Tuple& parts, std::index_sequence<I...>) {
  std::vector<std::string> names;
  names.reserve(sizeof...(I));
  (names.push_back(stage_name(std::get<I>(parts))), ...);
  return names;
}

}  // namespace detail

/// instrumented_pipeline<Parts...> is the description made by instrumented(p): a sink that
/// runs `p` with a probe in front of each of its stages.
template <class... Parts>
class instrumented_pipeline : public sink_interface {
 public:
  instrumented_pipeline(std::tuple<Parts...> parts, const instrument_options& options)
      : parts_(std::move(parts)),
        state_(std::make_shared<detail::profile_state>(
            detail::stage_names(parts_, std::index_sequence_for<Parts...>{}),
            checked_mask(options.sample_every))) {}

  // A move leaves the profile with the moved-from description too, so that the profile of a
  // pipeline run as an rvalue (one holding a coroutine) can still be read from it.
  instrumented_pipeline(const instrumented_pipeline&) = default;
  instrumented_pipeline(instrumented_pipeline&& other) noexcept(
      std::is_nothrow_move_constructible_v<std::tuple<Parts...>>)
      : parts_(std::move(other.parts_)), state_(other.state_) {}
  instrumented_pipeline& operator=(const instrumented_pipeline&) = default;
  instrumented_pipeline& operator=(instrumented_pipeline&& other) noexcept(
      std::is_nothrow_move_assignable_v<std::tuple<Parts...>>) {
    parts_ = std::move(other.parts_);
    state_ = other.state_;
    return *this;
  }
  ~instrumented_pipeline() = default;

  /// profile is the profile shared by this description, its copies and their runs.
  [[nodiscard]] pipeline_profile profile() const { return pipeline_profile(state_); }

  template <class In>
  auto open() const& {
    return detail::bind_probed<In, 0>(parts_, state_);
  }
  template <class In>
  auto open() && {
    return detail::bind_probed<In, 0>(std::move(parts_), state_);
  }

 private:
  static std::uint64_t checked_mask(std::uint64_t sample_every) {
    if (sample_every == 0 || (sample_every & (sample_every - 1)) != 0) {
      throw std::invalid_argument(
          "coflow::instrumented: sample_every must be a power of two (1 times every value)");
    }
    return sample_every - 1;
  }

  std::tuple<Parts...> parts_;
  std::shared_ptr<detail::profile_state> state_;
};

namespace detail {

template <class... Parts>
instrumented_pipeline<Parts...> make_instrumented(std::tuple<Parts...>&& parts,
                                                  const instrument_options& options) {
  return instrumented_pipeline<Parts...>(std::move(parts), options);
}

}  // namespace detail

/// instrumented(p, options) is `p` with per-stage counts and sampled times; see above.
template <class P>
[[nodiscard]] auto instrumented(P&& p, const instrument_options& options = {}) {
  static_assert(runnable<P>,
                "coflow::instrumented(p): p must be a runnable pipeline, a chain of stages that "
                "ends in a sink (ops::filter(f) | sinks::count()), a sink, or a consumer "
                "coroutine; instrument the whole pipeline, not a stage");
  if constexpr (runnable<P>) {
    return detail::make_instrumented(detail::as_tuple(std::forward<P>(p)), options);
  }
}

}  // namespace coflow
