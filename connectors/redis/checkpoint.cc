#include "connectors/redis/checkpoint.hpp"

#include <string_view>

namespace coflow::redis {

namespace {

// KEYS: stream, checkpoint hash. ARGV: group, consumer, state, id...
// The consumer's pending entries are read once (their number from the summary, then the
// list) and the ids looked up in a table: one XPENDING per id cost about 6 us each (see
// benchmarks/RESULTS.md). A consumer's pending list holds only what it has not committed yet.
// XACK takes the ids in slices so that unpack() stays within Lua's stack.
constexpr std::string_view commit_script = R"lua(
local stream, key = KEYS[1], KEYS[2]
local group, consumer, state = ARGV[1], ARGV[2], ARGV[3]
if #ARGV >= 4 then
  local mine = 0
  local summary = redis.call('XPENDING', stream, group)
  if summary[4] then
    for _, row in ipairs(summary[4]) do
      if row[1] == consumer then mine = tonumber(row[2]) end
    end
  end
  if mine < #ARGV - 3 then return 0 end
  local pending = {}
  for _, row in ipairs(redis.call('XPENDING', stream, group, '-', '+', mine, consumer)) do
    pending[row[1]] = true
  end
  for i = 4, #ARGV do
    if not pending[ARGV[i]] then return 0 end
  end
end
redis.call('HSET', key, consumer, state)
local i = 4
while i <= #ARGV do
  local last = math.min(i + 999, #ARGV)
  redis.call('XACK', stream, group, unpack(ARGV, i, last))
  i = last + 1
end
return 1
)lua";

std::vector<std::byte> bytes_of(const std::string& s) {
  const auto* p = reinterpret_cast<const std::byte*>(s.data());
  return {p, p + s.size()};
}

}  // namespace

checkpoint_store::checkpoint_store(connection& c, std::string stream, std::string group,
                                   std::string consumer)
    : connection_(&c),
      stream_(std::move(stream)),
      group_(std::move(group)),
      consumer_(std::move(consumer)),
      key_(key(stream_, group_)) {
  sha_ = connection_->command({"SCRIPT", "LOAD", commit_script}).as_string();
}

bool checkpoint_store::commit(std::span<const std::byte> state, std::span<const std::string> ids) {
  std::vector<std::string> args{
      "EVALSHA", sha_,
      "2",       stream_,
      key_,      group_,
      consumer_, std::string(reinterpret_cast<const char*>(state.data()), state.size())};
  args.insert(args.end(), ids.begin(), ids.end());
  connection_->append(args);
  reply r = connection_->read_reply();
  if (r.is_error() && r.text.starts_with("NOSCRIPT")) {
    args[0] = "EVAL";
    args[1] = std::string(commit_script);
    connection_->append(args);
    r = connection_->read_reply();
  }
  if (r.is_error()) throw server_error("redis: checkpoint commit failed: " + r.text);
  return r.as_integer() == 1;
}

std::optional<std::vector<std::byte>> checkpoint_store::load() {
  const reply r = connection_->command({"HGET", key_, consumer_});
  if (r.is_nil()) return std::nullopt;
  return bytes_of(r.as_string());
}

std::vector<std::pair<std::string, std::vector<std::byte>>> checkpoint_store::load_all() {
  const reply r = connection_->command({"HGETALL", key_});
  std::vector<std::pair<std::string, std::vector<std::byte>>> out;
  const auto& kv = r.as_array();
  for (std::size_t i = 0; i + 1 < kv.size(); i += 2)
    out.emplace_back(kv[i].as_string(), bytes_of(kv[i + 1].as_string()));
  return out;
}

}  // namespace coflow::redis
