#include "connectors/redis/stream_sink.hpp"

namespace coflow::redis {

stream_sink::stream_sink(connection& c, sink_options options)
    : connection_(&c), options_(std::move(options)) {
  if (options_.stream.empty()) throw error("redis: a stream sink needs a stream name");
  if (options_.pipeline_depth == 0) options_.pipeline_depth = 1;
  if (options_.partitions == 0) throw error("redis: a stream sink needs at least one partition");
}

stream_sink::~stream_sink() {
  try {
    flush();
  } catch (...) {
    // A destructor cannot report; flush() explicitly to see the error.
  }
}

void stream_sink::add(const field_list& fields, std::string_view key) {
  if (fields.empty()) throw error("redis: an entry needs at least one field");
  std::vector<std::string> args{"XADD"};
  args.push_back(options_.partitions > 1
                     ? partition_stream(options_.stream, partition_of(key, options_.partitions))
                     : options_.stream);
  if (options_.max_length) {
    args.insert(args.end(), {"MAXLEN", "~", std::to_string(*options_.max_length)});
  }
  args.emplace_back("*");
  for (const auto& [k, v] : fields) {
    args.push_back(k);
    args.push_back(v);
  }
  connection_->append(args);
  if (++queued_ >= options_.pipeline_depth) flush();
}

void stream_sink::flush() {
  std::optional<std::string> first_error;
  for (; queued_ > 0; --queued_) {
    const reply r = connection_->read_reply();
    if (r.is_error()) {
      if (!first_error) first_error = r.text;
    } else {
      ++appended_;
    }
  }
  if (first_error) throw server_error("redis: XADD failed: " + *first_error);
}

}  // namespace coflow::redis
