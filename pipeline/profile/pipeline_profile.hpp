// coflow/pipeline/profile/pipeline_profile.hpp
//
// pipeline_profile: the per-stage counts and estimated times that coflow::instrumented
// (instrumented.hpp) collects, and the snapshot of one stage, stage_profile. A profile is shared
// by the copies of an instrumented description and accumulates over runs until reset().
// Not thread-safe: read it when no run is in progress, or from the thread that runs it.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace coflow {

/// stage_profile is what a profile reports for one stage of an instrumented pipeline.
struct stage_profile {
  std::string name;                         // named(...), or derived from the stage's type
  std::uint64_t values_in = 0;              // values pushed into the stage
  std::uint64_t values_out = 0;             // values the stage pushed on (0 for the sink)
  std::chrono::nanoseconds time{0};         // estimated time in this stage alone, finish included
  std::chrono::nanoseconds finish_time{0};  // measured time in this stage's finish() alone
  std::uint64_t timed_values = 0;           // values into the stage that were timed
};

/// instrument_options are the settings of instrumented(p, options).
struct instrument_options {
  /// sample_every times one input value in this many (a power of two; 1 times every value).
  std::uint64_t sample_every = 256;
};

namespace detail {

using profile_clock = std::chrono::steady_clock;

// The raw counters of one stage. Times are inclusive: the stage and everything downstream.
struct stage_counters {
  std::uint64_t values_in = 0;
  std::uint64_t timed_in = 0;
  profile_clock::duration timed{0};   // inclusive, over the timed values
  profile_clock::duration finish{0};  // inclusive, in finish()
};

struct profile_state {
  profile_state(std::vector<std::string> stage_name_list, std::uint64_t sample_mask)
      : names(std::move(stage_name_list)), counters(names.size()), mask(sample_mask) {}

  std::vector<std::string> names;
  std::vector<stage_counters> counters;
  std::uint64_t mask;   // sample_every - 1
  bool timing = false;  // a sampled value is in flight: every probe times its push
};

}  // namespace detail

/// pipeline_profile is a handle to the profile of an instrumented pipeline, shared with it.
class pipeline_profile {
 public:
  explicit pipeline_profile(std::shared_ptr<detail::profile_state> state)
      : state_(std::move(state)) {}

  /// stages is a snapshot of every stage's counts and estimated time, in pipeline order.
  [[nodiscard]] std::vector<stage_profile> stages() const {
    const auto& counters = state_->counters;
    const std::size_t size = counters.size();
    const std::uint64_t timed_inputs = counters.empty() ? 0 : counters.front().timed_in;
    const double scale = timed_inputs == 0 ? 0.0
                                           : static_cast<double>(counters.front().values_in) /
                                                 static_cast<double>(timed_inputs);
    std::vector<stage_profile> out;
    out.reserve(size);
    for (std::size_t i = 0; i < size; ++i) {
      const bool last = i + 1 == size;
      const auto own_timed = exclusive(counters[i].timed, last ? zero : counters[i + 1].timed);
      const auto own_finish = exclusive(counters[i].finish, last ? zero : counters[i + 1].finish);
      const auto estimate = std::chrono::duration_cast<std::chrono::nanoseconds>(
          std::chrono::duration<double, detail::profile_clock::period>(
              static_cast<double>(own_timed.count()) * scale));
      stage_profile s;
      s.name = state_->names[i];
      s.values_in = counters[i].values_in;
      s.values_out = last ? 0 : counters[i + 1].values_in;
      s.finish_time = std::chrono::duration_cast<std::chrono::nanoseconds>(own_finish);
      s.time = estimate + s.finish_time;
      s.timed_values = counters[i].timed_in;
      out.push_back(std::move(s));
    }
    return out;
  }

  /// sample_every is the sampling period: one input value in this many is timed.
  [[nodiscard]] std::uint64_t sample_every() const noexcept { return state_->mask + 1; }

  /// reset sets every count and time back to zero (the names stay).
  void reset() noexcept {
    for (detail::stage_counters& c : state_->counters) c = {};
  }

 private:
  static constexpr detail::profile_clock::duration zero{0};

  static detail::profile_clock::duration exclusive(detail::profile_clock::duration inclusive,
                                                   detail::profile_clock::duration below) {
    // A snapshot taken while a value is in flight may see a stage's downstream time before its
    // own: never report a negative time.
    return std::max(zero, inclusive - below);
  }

  std::shared_ptr<detail::profile_state> state_;
};

}  // namespace coflow
