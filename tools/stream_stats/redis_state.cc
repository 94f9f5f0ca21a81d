#include "tools/stream_stats/redis_state.hpp"

#include "pipeline/bytes.hpp"

namespace stream_stats {

namespace {

void write_column(coflow::byte_writer& w, const redis_column& c) {
  std::vector<std::byte> inner;
  c.moments.serialize(inner);
  w.str(std::string_view(reinterpret_cast<const char*>(inner.data()), inner.size()));
  inner.clear();
  c.extrema.serialize(inner);
  w.str(std::string_view(reinterpret_cast<const char*>(inner.data()), inner.size()));
  w.f64(c.ewma);
}

std::span<const std::byte> as_bytes(const std::string& s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

redis_column read_column(coflow::byte_reader& r) {
  redis_column c;
  c.moments = coflow::moments::deserialize(as_bytes(r.str()));
  c.extrema = coflow::extrema<double>::deserialize(as_bytes(r.str()));
  c.ewma = r.f64();
  return c;
}

}  // namespace

void redis_column::add(double x, double alpha) {
  ewma = moments.count() == 0 || alpha == 1 ? x : alpha * x + (1 - alpha) * ewma;
  moments.add(x);
  extrema.add(x);
}

void redis_column::merge(const redis_column& other) {
  if (moments.count() == 0) ewma = other.ewma;
  moments.merge(other.moments);
  extrema.merge(other.extrema);
}

summary redis_column::result(bool with_ewma) const {
  summary s;
  s.count = moments.count();
  if (s.count == 0) return s;
  s.mean = moments.mean();
  s.min = extrema.min();
  s.max = extrema.max();
  if (with_ewma) s.ewma = ewma;
  if (s.count >= 2) s.stddev = moments.stddev();
  return s;
}

void redis_statistics::add(const keyed_value& v) {
  total_.add(v.value, alpha_);
  if (v.key) keys_[*v.key].add(v.value, alpha_);
}

void redis_statistics::merge(const redis_statistics& other) {
  if (total_.moments.count() == 0) alpha_ = other.alpha_;
  total_.merge(other.total_);
  for (const auto& [key, column] : other.keys_) keys_[key].merge(column);
}

// Format 1 holds the key "" like any other (older states simply never have it).
void redis_statistics::serialize(std::vector<std::byte>& out) const {
  coflow::byte_writer w(out);
  w.header("stream_stats_redis", 1);
  w.f64(alpha_);
  write_column(w, total_);
  w.u64(keys_.size());
  for (const auto& [key, column] : keys_) {
    w.str(key);
    write_column(w, column);
  }
}

redis_statistics redis_statistics::deserialize(std::span<const std::byte> bytes) {
  coflow::byte_reader r(bytes);
  r.header("stream_stats_redis", 1);
  redis_statistics s(r.f64());
  s.total_ = read_column(r);
  const std::size_t keys = r.count(8);
  for (std::size_t i = 0; i < keys; ++i) {
    std::string key = r.str();
    s.keys_[std::move(key)] = read_column(r);
  }
  r.finish();
  return s;
}

report redis_statistics::to_report(std::size_t states) const {
  const bool with_ewma = states <= 1;
  report out;
  out.total = total_.result(with_ewma);
  out.value_labels = {"v"};
  if (!keys_.empty()) {
    out.grouped = true;
    out.key_labels = {"k"};
    for (const auto& [key, column] : keys_)
      out.groups.push_back({{key}, {column.result(with_ewma)}});
  }
  return out;
}

std::string redis_ewma_note(std::size_t states) {
  return "ewma: not shown for a report merged from " + std::to_string(states) +
         " worker states: it depends on the order of all the values, which no worker saw "
         "(each state keeps the EWMA of its own values)";
}

}  // namespace stream_stats
