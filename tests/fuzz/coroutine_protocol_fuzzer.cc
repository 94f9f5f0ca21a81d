// Fuzz target: the coroutine protocol (DESIGN.md section 1) against a reference model.
//
// The input decodes into a sequence of operations (create, start, send, next, close,
// close(out), throw_into, move, destroy, status) on a few coroutines of four kinds: one that
// replies and returns a result, one that emits several values per input and may flush at end
// of stream, a consumer that returns a count, and one that swallows end of stream. Each may
// throw at a chosen value or before its first suspension, and each handles an injected
// handled_error in its own way. A small model written here from DESIGN.md predicts, for every
// call, which exception it throws (protocol_error for misuse), what it replies or returns, and
// which frames and body scopes are alive; any difference aborts. At the end every frame must
// have been destroyed exactly once.
#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "pipeline/coroutine.hpp"
#include "pipeline/protocol_error.hpp"
#include "pipeline/receive.hpp"
#include "pipeline/status.hpp"
#include "tests/fuzz/fuzz_input.hpp"
#include "tests/support/frame_counter.hpp"

namespace {

using coflow::fuzz::fuzz_check;
using coflow::fuzz::fuzz_input;
using coflow::test_support::frame_counter;

constexpr int never = -100;  // a poison value no send uses

// Thrown by a body at its poison value (or before its first suspension).
struct body_error : std::runtime_error {
  body_error() : std::runtime_error("body failed") {}
};
// Injected with throw_into; every kind but the swallower catches it at its receive point.
struct handled_error : std::runtime_error {
  handled_error() : std::runtime_error("handled") {}
};
// Injected with throw_into; nothing catches it.
struct other_error : std::runtime_error {
  other_error() : std::runtime_error("other") {}
};

enum class kind : unsigned char { replier, emitter, counter, swallower };
constexpr std::size_t kinds = 4;

struct params {
  int poison = never;
  bool fail_at_start = false;
  bool flush = false;
};

// --- The coroutines under test -----------------------------------------------------------------

// Replies with the running total; handled_error: replies -1. Returns the total.
coflow::coroutine<int, int, int> replier(frame_counter& scopes, frame_counter::token, params p) {
  auto alive = scopes.enter();
  if (p.fail_at_start) throw body_error();
  int total = 0;
  std::optional<int> reply;
  for (;;) {
    std::optional<int> v;
    bool injected = false;
    try {
      v = co_yield reply;
    } catch (const handled_error&) {
      injected = true;
    }
    if (injected) {
      reply = -1;
      continue;
    }
    if (!v) break;
    if (*v == p.poison) throw body_error();
    total += *v;
    reply = total;
  }
  co_return total;
}

// Emits v * 10 + k for k < v % 3; handled_error: emits -1. Flushes 1000 + count if asked.
coflow::coroutine<int, int> emitter(frame_counter& scopes, frame_counter::token, params p) {
  auto alive = scopes.enter();
  if (p.fail_at_start) throw body_error();
  int count = 0;
  for (;;) {
    std::optional<int> v;
    bool injected = false;
    try {
      v = co_yield coflow::receive;
    } catch (const handled_error&) {
      injected = true;
    }
    if (injected) {
      co_yield coflow::emit(-1);
      continue;
    }
    if (!v) break;
    if (*v == p.poison) throw body_error();
    ++count;
    for (int k = 0; k < *v % 3; ++k) co_yield coflow::emit(*v * 10 + k);
  }
  if (p.flush) co_yield coflow::emit(1000 + count);
}

// Counts the values; handled_error is ignored. Returns the count.
coflow::consumer<int, int> counter(frame_counter& scopes, frame_counter::token, params p) {
  auto alive = scopes.enter();
  if (p.fail_at_start) throw body_error();
  int n = 0;
  for (;;) {
    std::optional<int> v;
    bool injected = false;
    try {
      v = co_yield coflow::receive;
    } catch (const handled_error&) {
      injected = true;
    }
    if (injected) continue;
    if (!v) break;
    if (*v == p.poison) throw body_error();
    ++n;
  }
  co_return n;
}

// Ignores end of stream and waits again: Python's "generator ignored GeneratorExit".
coflow::consumer<int> swallower(frame_counter& scopes, frame_counter::token, params p) {
  auto alive = scopes.enter();
  if (p.fail_at_start) throw body_error();
  for (;;) {
    auto v = co_yield coflow::receive;
    (void)v;
  }
}

using replier_t = coflow::coroutine<int, int, int>;
using emitter_t = coflow::coroutine<int, int>;
using counter_t = coflow::consumer<int, int>;
using swallower_t = coflow::consumer<int>;

// --- The model ----------------------------------------------------------------------------------

enum class outcome : unsigned char { ok, protocol, body, handled, other };

const char* name(outcome o) {
  switch (o) {
    case outcome::ok:
      return "no exception";
    case outcome::protocol:
      return "protocol_error";
    case outcome::body:
      return "body_error";
    case outcome::handled:
      return "handled_error";
    case outcome::other:
      return "other_error";
  }
  return "?";
}

enum class state : unsigned char { empty, created, receiving, emitting, done, abandoned, moved };

struct model {
  kind k = kind::replier;
  params p;
  state s = state::empty;
  bool body = false;  // the body's scope is alive
  std::optional<int> result;
  int total = 0;            // replier
  int count = 0;            // emitter, counter
  std::deque<int> pending;  // emitter: values still to come from the current input

  [[nodiscard]] bool frame() const {
    return s != state::empty && s != state::abandoned && s != state::moved;
  }
  [[nodiscard]] bool has_result_type() const { return k == kind::replier || k == kind::counter; }
};

// What a call did (or is predicted to do).
struct effect {
  outcome ex = outcome::ok;
  std::optional<int> reply;          // start / send / next / throw_into, where Out is int
  std::optional<int> result;         // close, where Result is int
  std::vector<int> flushed;          // close(out)
  std::optional<coflow::status> st;  // status

  bool operator==(const effect&) const = default;
};

effect raised(outcome ex) {
  effect e;
  e.ex = ex;
  return e;
}

effect replied(int v) {
  effect e;
  e.reply = v;
  return e;
}

std::string describe(const effect& e) {
  std::string s = name(e.ex);
  if (e.reply) s += " reply=" + std::to_string(*e.reply);
  if (e.result) s += " result=" + std::to_string(*e.result);
  if (!e.flushed.empty()) {
    s += " flushed=";
    for (int v : e.flushed) s += std::to_string(v) + ",";
  }
  if (e.st) s += " status=" + std::to_string(static_cast<int>(*e.st));
  return s;
}

// The body has ended (returned or failed).
void finish(model& m, std::optional<int> result) {
  m.s = state::done;
  m.body = false;
  m.result = result;
  m.pending.clear();
}

void abandon(model& m) {
  m.s = state::abandoned;
  m.body = false;
  m.result.reset();
  m.pending.clear();
}

// Runs a created body to its first receive point.
effect run_from_start(model& m) {
  m.body = true;
  if (m.p.fail_at_start) {
    finish(m, std::nullopt);
    return raised(outcome::body);
  }
  m.s = state::receiving;
  return {};
}

effect predict_start(model& m) {
  if (m.s != state::created) return raised(outcome::protocol);
  return run_from_start(m);
}

effect predict_send(model& m, int v) {
  if (m.s != state::receiving) return raised(outcome::protocol);
  if (m.k != kind::swallower && v == m.p.poison) {
    finish(m, std::nullopt);
    return raised(outcome::body);
  }
  effect e;
  switch (m.k) {
    case kind::replier:
      m.total += v;
      e.reply = m.total;
      break;
    case kind::emitter:
      ++m.count;
      for (int k = 0; k < v % 3; ++k) m.pending.push_back(v * 10 + k);
      if (!m.pending.empty()) {
        e.reply = m.pending.front();
        m.pending.pop_front();
        m.s = state::emitting;
      }
      break;
    case kind::counter:
      ++m.count;
      break;
    case kind::swallower:
      break;
  }
  return e;
}

effect predict_next(model& m) {
  switch (m.s) {
    case state::created:
      return run_from_start(m);
    case state::emitting: {
      effect e;
      if (m.pending.empty()) {
        m.s = state::receiving;
      } else {
        e.reply = m.pending.front();
        m.pending.pop_front();
      }
      return e;
    }
    default:
      return raised(outcome::protocol);
  }
}

// close() when `collect` is false (a value emitted while closing is a protocol_error, and the
// coroutine is abandoned), close(out) when it is true.
effect predict_close(model& m, bool collect) {
  effect e;
  switch (m.s) {
    case state::moved:
      return raised(outcome::protocol);
    case state::abandoned:
    case state::done:
      if (!m.has_result_type()) return e;
      if (!m.result) return raised(outcome::protocol);
      e.result = m.result;
      return e;
    case state::created: {
      effect started = run_from_start(m);
      if (started.ex != outcome::ok) return started;
      break;
    }
    default:
      break;
  }
  if (m.s == state::emitting) {
    if (!m.pending.empty() && !collect) {
      abandon(m);
      return raised(outcome::protocol);
    }
    for (int v : m.pending) e.flushed.push_back(v);
    m.pending.clear();
    m.s = state::receiving;
  }
  // At the receive point: end of stream.
  switch (m.k) {
    case kind::replier:
      finish(m, m.total);
      e.result = m.total;
      break;
    case kind::counter:
      finish(m, m.count);
      e.result = m.count;
      break;
    case kind::emitter:
      if (m.p.flush) {
        if (!collect) {
          abandon(m);
          return raised(outcome::protocol);
        }
        e.flushed.push_back(1000 + m.count);
      }
      finish(m, std::nullopt);
      break;
    case kind::swallower:
      abandon(m);
      return raised(outcome::protocol);
  }
  return e;
}

effect predict_throw_into(model& m, bool handled) {
  const outcome thrown = handled ? outcome::handled : outcome::other;
  switch (m.s) {
    case state::created:
      abandon(m);
      return raised(thrown);
    case state::receiving:
      if (!handled || m.k == kind::swallower) break;
      switch (m.k) {
        case kind::replier:
          return replied(-1);
        case kind::emitter:
          m.s = state::emitting;  // emit(-1), then straight back to the receive point
          return replied(-1);
        default:
          return {};
      }
    case state::emitting:
      break;  // raised at the emit point, where nothing catches it
    default:
      return raised(outcome::protocol);
  }
  finish(m, std::nullopt);
  return raised(thrown);
}

effect predict_status(const model& m) {
  effect e;
  switch (m.s) {
    case state::moved:
      return raised(outcome::protocol);
    case state::created:
      e.st = coflow::status::created;
      break;
    case state::receiving:
    case state::emitting:
      e.st = coflow::status::suspended;
      break;
    default:
      e.st = coflow::status::done;
      break;
  }
  return e;
}

// --- Running a call on the real coroutine
// ---------------------------------------------------------

template <class Call>
effect observe(Call&& call) {
  effect e;
  try {
    call(e);
  } catch (const coflow::protocol_error& err) {
    fuzz_check(std::string(err.what()).find("coflow::coroutine::") == 0,
               std::string("a protocol_error that does not name the call: ") + err.what());
    return raised(outcome::protocol);
  } catch (const body_error&) {
    return raised(outcome::body);
  } catch (const handled_error&) {
    return raised(outcome::handled);
  } catch (const other_error&) {
    return raised(outcome::other);
  }
  return e;
}

using slot = std::variant<std::monostate, replier_t, emitter_t, counter_t, swallower_t>;
constexpr std::size_t slots = 4;

struct world {
  frame_counter frames;
  frame_counter scopes;
  std::array<slot, slots> coroutines;
  std::array<model, slots> models;

  void create(kind k, std::size_t i, params p) {
    switch (k) {
      case kind::replier:
        coroutines[i] = replier(scopes, frames.enter(), p);
        break;
      case kind::emitter:
        coroutines[i] = emitter(scopes, frames.enter(), p);
        break;
      case kind::counter:
        coroutines[i] = counter(scopes, frames.enter(), p);
        break;
      case kind::swallower:
        coroutines[i] = swallower(scopes, frames.enter(), p);
        break;
    }
    model& m = models[i];
    m = model{};
    m.k = k;
    m.p = p;
    m.s = state::created;
  }

  void check_counts(const std::string& after) const {
    long frames_expected = 0;
    long bodies_expected = 0;
    for (const model& m : models) {
      frames_expected += m.frame() ? 1 : 0;
      bodies_expected += m.body ? 1 : 0;
    }
    fuzz_check(frames.live() == frames_expected,
               "after " + after + ": " + std::to_string(frames.live()) + " frames alive, model " +
                   std::to_string(frames_expected));
    fuzz_check(scopes.live() == bodies_expected,
               "after " + after + ": " + std::to_string(scopes.live()) +
                   " body scopes alive, model " + std::to_string(bodies_expected));
    fuzz_check(frames.double_exits() == 0 && scopes.double_exits() == 0,
               "after " + after + ": a frame or body scope was destroyed twice");
  }
};

template <class C>
void real_reply(effect& e, C& c, auto&& call) {
  if constexpr (std::is_void_v<typename C::output_type>) {
    call();
  } else {
    e.reply = call();
  }
  (void)c;
}

// Applies one decoded operation to the real coroutines and the model, and compares. The first
// byte holds the slot (low two bits) and the operation; a call on an empty slot first creates a
// coroutine there, of a kind and with parameters read from the next bytes.
void step(world& w, fuzz_input& in) {
  const std::uint8_t head = in.byte();
  const std::size_t i = head % slots;
  const std::size_t op = (head / slots) % 10;
  model& m = w.models[i];
  static constexpr const char* op_names[] = {"create",     "start", "send", "next",    "close",
                                             "close(out)", "throw", "move", "destroy", "status"};
  const std::string what = std::string(op_names[op]) + " on slot " + std::to_string(i);

  if (op == 0 || (m.s == state::empty && op != 7 && op != 8)) {
    params p;
    const auto k = static_cast<kind>(in.pick(kinds));
    const int poison = in.small_int(-1, 9);
    p.poison = poison < 0 ? never : poison;
    p.fail_at_start = in.pick(8) == 0;
    p.flush = in.flag();
    w.create(k, i, p);
    w.check_counts("create on slot " + std::to_string(i));
    if (op == 0) return;
  }
  if (op == 8) {  // destroy
    w.coroutines[i] = std::monostate{};
    m.s = state::empty;
    m.body = false;
    w.check_counts(what);
    return;
  }
  if (op == 7) {  // move slot i into slot j (a coroutine of another type there is destroyed)
    const std::size_t j = in.pick(slots);
    if (m.s == state::empty) return;
    if (i == j) {
      // Self-move assignment of the coroutine must leave it as it was.
      std::visit(
          [](auto& c) {
            if constexpr (!std::is_same_v<std::remove_cvref_t<decltype(c)>, std::monostate>) {
              auto& self = c;
              c = std::move(self);
            }
          },
          w.coroutines[i]);
    } else {
      w.coroutines[j] = std::move(w.coroutines[i]);
      w.models[j] = m;
      m.s = state::moved;  // the variant still holds the moved-from coroutine
      m.body = false;
      m.pending.clear();
    }
    w.check_counts(what + " to slot " + std::to_string(j));
    return;
  }

  effect expected;
  effect got;
  auto on_real = [&](auto&& call) {
    std::visit(
        [&](auto& c) {
          if constexpr (!std::is_same_v<std::remove_cvref_t<decltype(c)>, std::monostate>) {
            got = observe([&](effect& e) { call(e, c); });
          }
        },
        w.coroutines[i]);
  };
  switch (op) {
    case 1:
      expected = predict_start(m);
      on_real([](effect& e, auto& c) { real_reply(e, c, [&] { return c.start(); }); });
      break;
    case 2: {
      const int v = in.small_int(0, 9);
      expected = predict_send(m, v);
      on_real([v](effect& e, auto& c) { real_reply(e, c, [&] { return c.send(v); }); });
      break;
    }
    case 3:
      expected = predict_next(m);
      on_real([](effect& e, auto& c) { real_reply(e, c, [&] { return c.next(); }); });
      break;
    case 4:
    case 5: {
      const bool collect = op == 5;
      expected = predict_close(m, collect);
      on_real([collect](effect& e, auto& c) {
        using C = std::remove_cvref_t<decltype(c)>;
        auto keep = [&e](auto&& v) {
          if constexpr (std::is_same_v<std::remove_cvref_t<decltype(v)>, int>) {
            e.flushed.push_back(v);
          }
        };
        if constexpr (std::is_void_v<typename C::result_type>) {
          if (collect) {
            c.close(keep);
          } else {
            c.close();
          }
        } else {
          e.result = collect ? c.close(keep) : c.close();
        }
      });
      break;
    }
    case 6: {
      const bool handled = in.flag();
      expected = predict_throw_into(m, handled);
      on_real([handled](effect& e, auto& c) {
        real_reply(e, c, [&] {
          if (handled) return c.throw_into(handled_error());
          return c.throw_into(other_error());
        });
      });
      break;
    }
    case 9:
      expected = predict_status(m);
      on_real([](effect& e, auto& c) {
        e.st = c.status();
        fuzz_check(c.done() == (*e.st == coflow::status::done), "done() disagrees with status()");
      });
      break;
    default:
      return;
  }
  fuzz_check(got == expected, what + ": expected " + describe(expected) + ", got " + describe(got));
  w.check_counts(what);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz_input in(data, size);
  world w;
  for (int steps = 0; !in.empty() && steps < 512; ++steps) step(w, in);
  // Destroying every coroutine must bring the counters back to zero.
  for (auto& c : w.coroutines) c = std::monostate{};
  fuzz_check(w.frames.balanced(), "a coroutine frame leaked or was destroyed twice");
  fuzz_check(w.scopes.balanced(), "a body scope never ended or ended twice");
  return 0;
}
