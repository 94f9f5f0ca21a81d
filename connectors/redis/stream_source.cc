#include "connectors/redis/stream_source.hpp"

#include <algorithm>
#include <charconv>
#include <string_view>
#include <system_error>

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

stream_source::entry_order stream_source::order_of(std::string_view id) {
  const auto dash = id.find('-');
  entry_order order{};
  const auto whole_number = [](std::string_view text, std::uint64_t& n) {
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    return ec == std::errc{} && end == text.data() + text.size();
  };
  if (dash == std::string_view::npos || !whole_number(id.substr(0, dash), order.first) ||
      !whole_number(id.substr(dash + 1), order.second))
    throw error("redis: a stream entry id that is not <milliseconds>-<sequence>: " +
                std::string(id));
  return order;
}

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

std::size_t stream_source::entries_left(std::size_t count) const {
  if (!options_.max_entries) return count;
  return std::min(count, *options_.max_entries - delivered_);
}

std::vector<stream_entry> stream_source::read(const std::string& from, bool block,
                                              std::size_t count) {
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
  const reply r = group_command({"XAUTOCLAIM", options_.stream, options_.group, options_.consumer,
                                 std::to_string(options_.claim_idle.count()), claim_cursor_,
                                 "COUNT", std::to_string(entries_left(options_.batch))});
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

std::vector<stream_entry> stream_source::deliver(std::vector<stream_entry> entries,
                                                 bool from_pending) {
  // Entries this source delivered before come back only in a pending list read again after
  // restart_pending(). A pending list is in id order, so they come first, all at or below the
  // newest id delivered so far (claimed entries included: a claim is counted when it comes);
  // only the ones after them are new.
  auto first_new = entries.begin();
  if (from_pending) {
    first_new = std::find_if(entries.begin(), entries.end(), [&](const stream_entry& e) {
      return order_of(e.id) > newest_delivered_;
    });
    const auto new_ones = static_cast<std::size_t>(entries.end() - first_new);
    entries.erase(first_new + static_cast<std::ptrdiff_t>(entries_left(new_ones)), entries.end());
  }
  const auto stop_entry = [&](const stream_entry& e) {
    return !options_.stop_field.empty() && e.field(options_.stop_field) != nullptr;
  };
  if (auto stop = std::find_if(entries.begin(), entries.end(), stop_entry); stop != entries.end()) {
    const std::string id = stop->id;
    // Stopped only once the stop entry is acknowledged: if the ack breaks, the entries before
    // it were not delivered, and a source resumed after reconnecting reads them again with it.
    ack(std::span<const std::string>(&id, 1));
    stop_seen_ = true;
    // The entries after the stop entry stay pending for this consumer: another claims them.
    if (stop < first_new) first_new = stop;
    entries.erase(stop, entries.end());
  }
  delivered_ += static_cast<std::size_t>(entries.end() - first_new);
  for (const stream_entry& e : entries)
    newest_delivered_ = std::max(newest_delivered_, order_of(e.id));
  return entries;
}

std::vector<stream_entry> stream_source::next_batch() {
  if (stopped()) return {};
  if (reading_pending_) {
    auto entries = deliver(read(pending_cursor_, false, options_.batch), true);
    if (!entries.empty()) {
      pending_cursor_ = entries.back().id;
      return entries;
    }
    reading_pending_ = false;
    if (stopped()) return {};  // a stop entry, or the count, came among entries delivered before
  }
  if (auto claimed = claim(); !claimed.empty()) return deliver(std::move(claimed), false);
  return deliver(read(">", true, entries_left(options_.batch)), false);
}

void stream_source::ack(std::span<const std::string> ids) {
  if (ids.empty()) return;
  std::vector<std::string> args{"XACK", options_.stream, options_.group};
  args.insert(args.end(), ids.begin(), ids.end());
  connection_->command(args);
}

}  // namespace coflow::redis
