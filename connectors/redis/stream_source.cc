#include "connectors/redis/stream_source.hpp"

#include <algorithm>

namespace coflow::redis {

namespace {

// An entry as XREADGROUP and XAUTOCLAIM give it: [id, [field, value, ...]] or [id, nil].
stream_entry entry_of(const reply& r) {
  stream_entry e;
  e.id = r.at(0).as_string();
  const reply& fields = r.at(1);
  if (fields.is_nil()) {
    e.deleted = true;
    return e;
  }
  const auto& kv = fields.as_array();
  for (std::size_t i = 0; i + 1 < kv.size(); i += 2)
    e.fields.emplace_back(kv[i].as_string(), kv[i + 1].as_string());
  return e;
}

}  // namespace

stream_source::stream_source(connection& c, source_options options)
    : connection_(&c), options_(std::move(options)) {
  if (options_.stream.empty() || options_.group.empty() || options_.consumer.empty())
    throw error("redis: a stream source needs a stream, a group and a consumer name");
  if (options_.batch == 0) throw error("redis: a stream source's batch must be at least 1");
  create_group();
}

void stream_source::create_group() {
  try {
    connection_->command({"XGROUP", "CREATE", options_.stream, options_.group, "0", "MKSTREAM"});
  } catch (const server_error& e) {
    if (std::string_view(e.what()).find("BUSYGROUP") == std::string_view::npos) throw;
  }
}

reply stream_source::group_command(const std::vector<std::string>& args) {
  try {
    return connection_->command(args);
  } catch (const server_error& e) {
    // The group is gone: a server restarted without persistence, or the stream was deleted.
    if (std::string_view(e.what()).find("NOGROUP") == std::string_view::npos) throw;
  }
  create_group();
  return connection_->command(args);
}

bool stream_source::stopped() const {
  return stop_seen_ || (options_.max_entries && delivered_ >= *options_.max_entries) ||
         (options_.stop_requested != nullptr && options_.stop_requested->load());
}

void stream_source::restart_pending() {
  reading_pending_ = true;
  pending_cursor_.assign(1, '0');  // not = "0": gcc 12 -O2 warns falsely (-Wrestrict)
}

std::vector<stream_entry> stream_source::read(const std::string& from, bool block) {
  std::size_t count = options_.batch;
  if (options_.max_entries) count = std::min(count, *options_.max_entries - delivered_);
  std::vector<std::string> args{"XREADGROUP",      "GROUP", options_.group,
                                options_.consumer, "COUNT", std::to_string(count)};
  if (block) {
    args.emplace_back("BLOCK");
    args.push_back(std::to_string(options_.block.count()));
  }
  args.insert(args.end(), {"STREAMS", options_.stream, from});
  const reply r = group_command(args);
  std::vector<stream_entry> out;
  if (r.is_nil()) return out;
  for (const reply& stream : r.as_array())
    for (const reply& e : stream.at(1).as_array()) out.push_back(entry_of(e));
  return out;
}

std::vector<stream_entry> stream_source::claim() {
  std::vector<stream_entry> out;
  if (options_.claim_idle.count() <= 0) return out;
  const auto now = std::chrono::steady_clock::now();
  // Looking for idle consumers more often than they can become idle is wasted round trips.
  if (now - last_claim_ < options_.claim_idle / 2) return out;
  std::size_t count = options_.batch;
  if (options_.max_entries) count = std::min(count, *options_.max_entries - delivered_);
  const reply r = group_command({"XAUTOCLAIM", options_.stream, options_.group, options_.consumer,
                                 std::to_string(options_.claim_idle.count()), claim_cursor_,
                                 "COUNT", std::to_string(count)});
  claim_cursor_ = r.at(0).as_string();
  // A full scan of the pending list ended: wait before the next one.
  if (claim_cursor_ == "0-0") last_claim_ = now;
  for (const reply& e : r.at(1).as_array()) {
    if (e.is_nil()) continue;
    out.push_back(entry_of(e));
  }
  claimed_ += out.size();
  return out;
}

std::vector<stream_entry> stream_source::deliver(std::vector<stream_entry> entries) {
  if (options_.stop_field.empty()) {
    delivered_ += entries.size();
    return entries;
  }
  auto stop = std::find_if(entries.begin(), entries.end(), [&](const stream_entry& e) {
    return e.field(options_.stop_field) != nullptr;
  });
  if (stop != entries.end()) {
    stop_seen_ = true;
    const std::string id = stop->id;
    ack(std::span<const std::string>(&id, 1));
    // The entries after the stop entry stay pending for this consumer: another claims them.
    entries.erase(stop, entries.end());
  }
  delivered_ += entries.size();
  return entries;
}

std::vector<stream_entry> stream_source::next_batch() {
  if (stopped()) return {};
  if (reading_pending_) {
    auto entries = read(pending_cursor_, false);
    if (!entries.empty()) {
      pending_cursor_ = entries.back().id;
      return deliver(std::move(entries));
    }
    reading_pending_ = false;
  }
  if (auto claimed = claim(); !claimed.empty()) return deliver(std::move(claimed));
  return deliver(read(">", true));
}

void stream_source::ack(std::span<const std::string> ids) {
  if (ids.empty()) return;
  std::vector<std::string> args{"XACK", options_.stream, options_.group};
  args.insert(args.end(), ids.begin(), ids.end());
  connection_->command(args);
}

}  // namespace coflow::redis
