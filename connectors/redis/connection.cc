#include "connectors/redis/connection.hpp"

#include <errno.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>
#include <thread>
#include <utility>

namespace coflow::redis {

namespace {

timeval to_timeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

reply copy_reply(const redisReply* r) {
  reply out;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      out.type = reply::kind::string;
      out.text.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = reply::kind::status;
      out.text.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = reply::kind::error;
      out.text.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = reply::kind::integer;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = reply::kind::array;
      out.elements.reserve(r->elements);
      for (std::size_t i = 0; i < r->elements; ++i)
        out.elements.push_back(copy_reply(r->element[i]));
      break;
    default:
      out.type = reply::kind::nil;
  }
  return out;
}

// hiredis writes with write(): to a connection the server closed, that raises SIGPIPE, which
// kills a process that did not ignore it. A library must not change the process's signal
// handling, so this blocks SIGPIPE in the calling thread while hiredis writes, takes back a
// SIGPIPE the write raised (the write then fails with EPIPE, reported as a connection_error),
// and restores the mask.
class sigpipe_guard {
 public:
  sigpipe_guard() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  sigpipe_guard(const sigpipe_guard&) = delete;
  sigpipe_guard& operator=(const sigpipe_guard&) = delete;
  ~sigpipe_guard() {
    if (!was_pending_) {
      sigset_t pending;
      sigpending(&pending);
      if (sigismember(&pending, SIGPIPE) == 1) {
        const timespec now{0, 0};
        sigtimedwait(&pipe_, nullptr, &now);
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  sigset_t pipe_{};
  sigset_t old_{};
  bool was_pending_ = false;
};

struct reply_deleter {
  void operator()(void* r) const { freeReplyObject(r); }
};

// HOST:PORT as parse_endpoint reads it: an IPv6 address in brackets.
std::string endpoint_of(const connection_options& o) {
  const bool ipv6 = o.host.find(':') != std::string::npos;
  return (ipv6 ? "[" + o.host + "]" : o.host) + ":" + std::to_string(o.port);
}

// The first word of an error reply ("WRONGPASS", "NOAUTH", "ERR"): enough to say what failed
// without echoing anything the server may have quoted.
std::string error_code(const std::string& text) { return text.substr(0, text.find(' ')); }

}  // namespace

const std::string& reply::as_string() const {
  if (type != kind::string && type != kind::status)
    throw error("redis: expected a string reply, got another kind");
  return text;
}

long long reply::as_integer() const {
  if (type != kind::integer) throw error("redis: expected an integer reply, got another kind");
  return integer;
}

const std::vector<reply>& reply::as_array() const {
  if (type != kind::array) throw error("redis: expected an array reply, got another kind");
  return elements;
}

const reply& reply::at(std::size_t i) const {
  const auto& a = as_array();
  if (i >= a.size()) throw error("redis: reply array too short");
  return a[i];
}

credentials::credentials(std::string user, std::string_view password)
    : user_(std::move(user)),
      password_(std::make_unique_for_overwrite<char[]>(password.size())),
      password_size_(password.size()) {
  std::copy(password.begin(), password.end(), password_.get());
}

credentials::credentials(const credentials& other) : credentials(other.user_, other.password()) {}

credentials::credentials(credentials&& other) noexcept
    : user_(std::move(other.user_)),
      password_(std::move(other.password_)),
      password_size_(std::exchange(other.password_size_, 0)) {}

credentials& credentials::operator=(const credentials& other) {
  if (this != &other) *this = credentials(other);
  return *this;
}

credentials& credentials::operator=(credentials&& other) noexcept {
  if (this != &other) {
    wipe();
    user_ = std::move(other.user_);
    password_ = std::move(other.password_);
    password_size_ = std::exchange(other.password_size_, 0);
  }
  return *this;
}

credentials::~credentials() { wipe(); }

void credentials::wipe() noexcept {
  if (password_) explicit_bzero(password_.get(), password_size_);
  password_.reset();
  password_size_ = 0;
}

credentials credentials::from_environment(const std::string& name, std::string user) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr || *value == '\0')
    throw error("redis: the password variable " + name + " is unset or empty");
  return credentials(std::move(user), value);
}

namespace {

// A stack buffer that is wiped when it goes out of scope, whatever the way out.
template <std::size_t Size>
struct wiped_buffer {
  char bytes[Size];
  wiped_buffer() = default;
  wiped_buffer(const wiped_buffer&) = delete;
  wiped_buffer& operator=(const wiped_buffer&) = delete;
  ~wiped_buffer() { explicit_bzero(bytes, Size); }
};

}  // namespace

credentials credentials::from_file(const std::string& path, std::string user) {
  // Read with read(2) into a buffer wiped afterwards: an ifstream and a growing std::string
  // would leave copies of the password in memory freed without wiping.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw error("redis: cannot read the password file " + path);
  wiped_buffer<4096> buffer;
  std::size_t size = 0;
  bool line_ended = false;
  while (size < sizeof buffer.bytes && !line_ended) {
    const ssize_t n = ::read(fd, buffer.bytes + size, sizeof buffer.bytes - size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      throw error("redis: cannot read the password file " + path);
    }
    if (n == 0) break;
    line_ended =
        std::find(buffer.bytes + size, buffer.bytes + size + n, '\n') != buffer.bytes + size + n;
    size += static_cast<std::size_t>(n);
  }
  ::close(fd);
  std::string_view line(buffer.bytes, size);
  line = line.substr(0, line.find('\n'));
  if (!line_ended && size == sizeof buffer.bytes)
    throw error("redis: the password file " + path + " has a first line longer than " +
                std::to_string(sizeof buffer.bytes - 1) + " bytes");
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.empty()) throw error("redis: the password file " + path + " is empty");
  return credentials(std::move(user), line);
}

void parse_endpoint(std::string_view endpoint, connection_options& options) {
  const std::string quoted = "'" + std::string(endpoint) + "'";
  std::string_view host;
  std::string_view port_text;
  if (endpoint.starts_with('[')) {
    // An IPv6 address, bracketed as in a URL: the brackets are no part of the host.
    const auto close = endpoint.find(']');
    if (close == std::string_view::npos)
      throw error("redis: no ']' after the IPv6 address in " + quoted);
    host = endpoint.substr(1, close - 1);
    if (host.empty()) throw error("redis: empty address in " + quoted);
    if (host.find('[') != std::string_view::npos)
      throw error("redis: a bracket inside the address in " + quoted);
    const auto rest = endpoint.substr(close + 1);
    if (rest.empty()) throw error("redis: no port in " + quoted + "; expected [ADDRESS]:PORT");
    if (rest.front() != ':') throw error("redis: expected ':' and a port after ']' in " + quoted);
    port_text = rest.substr(1);
  } else {
    const auto colon = endpoint.rfind(':');
    if (colon == std::string_view::npos) throw error("redis: expected HOST:PORT, got " + quoted);
    host = endpoint.substr(0, colon);
    port_text = endpoint.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      // "::1:6379" could be ::1 port 6379 or the address ::1:6379 with no port.
      throw error("redis: " + quoted +
                  " is ambiguous: write an IPv6 address in brackets, [ADDRESS]:PORT, as in "
                  "[::1]:6379");
    }
    if (host.empty()) throw error("redis: empty host in " + quoted + "; expected HOST:PORT");
    if (host.find_first_of("[]") != std::string_view::npos)
      throw error("redis: a bracket in the host of " + quoted +
                  "; an IPv6 address is written [ADDRESS]:PORT");
  }
  int port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || end != port_text.data() + port_text.size() || port <= 0 || port > 65535)
    throw error("redis: bad port in " + quoted + " (expected 1 to 65535)");
  options.host = std::string(host);
  options.port = port;
}

void connection::context_deleter::operator()(redisContext* c) const { redisFree(c); }

connection::connection(connection&&) noexcept = default;
connection& connection::operator=(connection&&) noexcept = default;
connection::~connection() = default;

connection connection::open(const connection_options& options) {
  connection c(options);
  c.connect();
  return c;
}

void connection::reconnect() {
  context_.reset();
  try {
    connect();
  } catch (...) {
    context_.reset();  // not half open: a context that failed AUTH or PING is not used
    throw;
  }
}

// connect opens the context with options_, trying as the header says.
void connection::connect() {
  const connection_options& options = options_;
  auto delay = options.retry.first_delay;
  std::string last_failure;
  const int attempts = std::max(1, options.retry.attempts);
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    if (attempt > 1) {
      std::this_thread::sleep_for(delay);
      delay = std::min(delay * 2, options.retry.max_delay);
    }
    redisContext* raw = redisConnectWithTimeout(options.host.c_str(), options.port,
                                                to_timeval(options.connect_timeout));
    if (raw == nullptr) throw error("redis: out of memory allocating a connection");
    context_.reset(raw);
    if (raw->err != 0) {
      last_failure = raw->errstr;
      context_.reset();
      continue;
    }
    redisSetTimeout(raw, to_timeval(options.command_timeout));
    std::optional<reply> auth_reply;
    reply pong;
    try {
      if (options.auth) {
        // Views of the credentials, not copies: no string of ours holds the password.
        std::vector<std::string_view> auth_args{"AUTH"};
        if (!options.auth->user().empty()) auth_args.push_back(options.auth->user());
        auth_args.push_back(options.auth->password());
        append_views(auth_args);
        auth_reply = read_reply();
      }
      if (!auth_reply || !auth_reply->is_error()) {
        append({"PING"});
        pong = read_reply();
      }
    } catch (const connection_error&) {
      // Accepted, then closed before it answered: a server going down (its listening socket
      // still took the connection) or not serving yet. As unreachable: try again.
      last_failure = "the connection closed before the server answered";
      context_.reset();
      continue;
    }
    if (auth_reply && auth_reply->is_error()) {
      throw auth_error(
          "redis: authentication to " + endpoint_of(options) + " failed" +
          (options.auth->user().empty() ? "" : " for user '" + options.auth->user() + "'") + " (" +
          error_code(auth_reply->text) + ")");
    }
    if (pong.is_error() && error_code(pong.text) == "LOADING") {
      // Restarted from its append-only file or snapshot, and not serving yet: try again.
      last_failure = "the server is loading its data";
      context_.reset();
      continue;
    }
    if (pong.is_error() && error_code(pong.text) == "NOAUTH")
      throw auth_error("redis: " + endpoint_of(options) + " requires authentication");
    if (pong.is_error()) throw server_error("redis: PING failed: " + pong.text);
    return;
  }
  throw connection_error("redis: cannot reach " + endpoint_of(options) + " after " +
                         std::to_string(attempts) + " attempts: " + last_failure);
}

void connection::check_io(const char* what) {
  if (!context_) throw connection_error(std::string("redis: ") + what + " on a closed connection");
  if (context_->err != 0) {
    std::string message = std::string("redis: connection to ") + endpoint_of(options_) +
                          " broke during " + what + ": " + context_->errstr;
    context_.reset();
    throw connection_error(message);
  }
}

void connection::append(const std::vector<std::string>& args) {
  std::vector<std::string_view> views(args.begin(), args.end());
  append_views(views);
}

void connection::append_views(const std::vector<std::string_view>& args) {
  check_io("append");
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  argv.reserve(args.size());
  lengths.reserve(args.size());
  for (const auto& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  if (redisAppendCommandArgv(context_.get(), static_cast<int>(argv.size()), argv.data(),
                             lengths.data()) != REDIS_OK)
    check_io("append");
}

reply connection::read_reply() {
  check_io("read");
  void* raw = nullptr;
  int status = REDIS_OK;
  {
    const sigpipe_guard guard;
    status = redisGetReply(context_.get(), &raw);
  }
  if (status != REDIS_OK || raw == nullptr) {
    check_io("read");
    throw connection_error("redis: no reply from " + endpoint_of(options_));
  }
  std::unique_ptr<void, reply_deleter> owned(raw);
  return copy_reply(static_cast<const redisReply*>(raw));
}

reply connection::command(const std::vector<std::string>& args) {
  append(args);
  reply r = read_reply();
  if (r.is_error()) {
    // The command's name only: its arguments may be a user's data.
    const std::string name = args.empty() ? std::string() : args.front();
    if (error_code(r.text) == "NOAUTH")
      throw auth_error("redis: " + endpoint_of(options_) + " requires authentication (" + name +
                       ")");
    throw server_error("redis: " + name + " failed: " + r.text);
  }
  return r;
}

reply connection::command(std::initializer_list<std::string_view> args) {
  std::vector<std::string> v;
  v.reserve(args.size());
  for (auto a : args) v.emplace_back(a);
  return command(v);
}

}  // namespace coflow::redis
