// tools/stream_stats/redis_state.hpp
//
// redis_statistics: what a stream_stats worker on Redis checkpoints, its values' count, mean,
// min, max, standard deviation and EWMA, overall and per key (the entries' field `k`), as a
// serializable aggregate, so that the workers' checkpoints merge into one report.
//
//   stream_stats::redis_statistics s;
//   s.add({std::nullopt, 1.5});    // no key: in the total only
//   s.add({"sensor-7", 2.0});
//   s.add({"", 3.0});              // the key "", a group as any other
//   stream_stats::report r = s.to_report(/*workers=*/2);
//
// Semantics: count, mean and standard deviation are coflow::moments', min and max
//   coflow::extrema's: their merged states give the statistics of all the values, as one pass
//   would (up to the last bits of mean and deviation, which a merge rounds differently).
//   The EWMA is not mergeable: it weighs each value by its position in one sequence, and the
//   workers' values have no common order. A state's EWMA is that of its own values in the
//   order it folded them; a report merged from one state shows it, a report merged from
//   several shows none (redis_ewma_note() says so in the output).
// Exceptions: deserialize throws coflow::format_error for bytes it cannot read.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "operators/extrema.hpp"
#include "operators/moments.hpp"
#include "tools/stream_stats/report.hpp"

namespace stream_stats {

/// keyed_value: one entry's key and value. An entry without field `k` has no key (it counts
/// in the total only); one whose `k` is empty has the key "", a group of its own, as the file
/// modes give a row ",5".
struct keyed_value {
  std::optional<std::string> key;
  double value = 0;
};

/// redis_column: one sequence's statistics.
struct redis_column {
  coflow::moments moments;
  coflow::extrema<double> extrema;
  double ewma = 0;

  void add(double x, double alpha);
  void merge(const redis_column& other);
  [[nodiscard]] summary result(bool with_ewma) const;
};

class redis_statistics {
 public:
  using value_type = keyed_value;

  redis_statistics() = default;
  explicit redis_statistics(double alpha) : alpha_(alpha) {}

  void add(const keyed_value& v);
  void merge(const redis_statistics& other);
  [[nodiscard]] const redis_statistics& result() const { return *this; }

  void serialize(std::vector<std::byte>& out) const;
  static redis_statistics deserialize(std::span<const std::byte> bytes);

  /// to_report is the report of these values; `states` is how many worker states were merged
  /// into this one (the EWMA is shown only for one).
  [[nodiscard]] report to_report(std::size_t states) const;
  [[nodiscard]] double alpha() const { return alpha_; }

 private:
  double alpha_ = 0.1;
  redis_column total_;
  std::map<std::string, redis_column> keys_;  // entries with a key ("" included)
};

/// redis_ewma_note is the line that a merged report prints about the EWMA.
std::string redis_ewma_note(std::size_t states);

}  // namespace stream_stats
