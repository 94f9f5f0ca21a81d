// Fuzz target: random pipeline compositions, faults, early close and destroy order, checked
// against a reference model of the stage protocol and with frame and value counters.
//
// A pipeline is one of four orderings of filter, transform, take, drop, take_while, coroutine
// stages and an ops::sequence of coroutine stages, ended by one of five sinks (to_vector, last,
// a consumer coroutine, for_each, a tee of two take(n) branches). Every parameter comes from
// the input and most can make a stage the identity, so the orderings cover many shorter
// compositions too. Callables and coroutine bodies throw at chosen values; coroutine stages
// emit several values per input, output at start, finish early, flush at end of stream, or
// swallow end of stream. Up to three pipelines are open at once and are sent to, closed and
// destroyed in the order the input says; whole runs go through coflow::run.
//
// Checked: every call's outcome (which exception, or which result) against the model, which
// is written from the documented semantics (a node that is done is never pushed to; a stage
// exception ends the pipeline; end of stream flows stage by stage); done() and status(); every
// coroutine frame destroyed exactly once (per pipeline counters); no body scope left after a
// successful close; no counted value leaked, destroyed twice or read after destruction.
#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <list>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "operators/drop.hpp"
#include "operators/filter.hpp"
#include "operators/for_each.hpp"
#include "operators/last.hpp"
#include "operators/sequence.hpp"
#include "operators/take.hpp"
#include "operators/take_while.hpp"
#include "operators/tee.hpp"
#include "operators/to_vector.hpp"
#include "operators/transform.hpp"
#include "pipeline/compose.hpp"
#include "pipeline/coroutine.hpp"
#include "pipeline/lookahead.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/protocol_error.hpp"
#include "pipeline/receive.hpp"
#include "pipeline/run.hpp"
#include "pipeline/status.hpp"
#include "tests/fuzz/fuzz_input.hpp"
#include "tests/support/counted.hpp"
#include "tests/support/frame_counter.hpp"

namespace {

namespace ops = coflow::ops;
namespace sinks = coflow::sinks;
using coflow::fuzz::fuzz_check;
using coflow::fuzz::fuzz_input;
using coflow::test_support::frame_counter;

using value = coflow::test_support::counted<struct topology_values>;

constexpr int never = -1;
constexpr std::size_t unlimited = 1000;

// What a callable or coroutine body throws at its chosen value.
struct fault : std::runtime_error {
  fault() : std::runtime_error("injected fault") {}
};

// --- Parameters, decoded from the input ---------------------------------------------------------

struct coro_params {
  int start_value = never;   // output once at start
  int copies = 1;            // outputs per input: v, v + 1, ...
  bool reply_style = false;  // answer with `co_yield reply` (at most one output) instead of emit
  int finish_after = never;  // co_return after this many inputs (0: right after starting)
  int throw_at = never;
  int flush = never;  // output at end of stream
  bool swallow_eos = false;
};

struct config {
  int filter_mod = 1, filter_rem = 5, filter_throw = never;  // keep v unless v % mod == rem
  int mul = 1, add = 0, transform_throw = never;             // v -> v * mul + add
  std::size_t take = unlimited, drop = 0;
  int stop = never, take_while_throw = never;  // take while v != stop
  coro_params c1, c2, c3;
  std::vector<coro_params> sequence;
  int sink_throw = never, sink_finish_after = never;  // the consumer coroutine and for_each
  bool sink_swallow = false;
  std::size_t tee_a = 0, tee_b = 0;  // the tee's branches: take(a) and take(b)
};

int maybe(fuzz_input& in) {
  const std::uint8_t b = in.byte();
  return b % 4 == 0 ? (b / 4) % 16 : never;
}

int finish_after(fuzz_input& in) {
  const int f = in.small_int(0, 7);
  return f < 3 ? never : f - 3;
}

coro_params decode_coro(fuzz_input& in) {
  coro_params c;
  c.start_value = maybe(in);
  c.copies = in.small_int(0, 2);
  c.reply_style = in.flag();
  c.finish_after = finish_after(in);
  c.throw_at = maybe(in);
  c.flush = maybe(in);
  c.swallow_eos = in.pick(8) == 0;
  return c;
}

config decode_config(fuzz_input& in) {
  config c;
  c.filter_mod = in.small_int(1, 4);
  c.filter_rem = in.small_int(0, 5);
  c.filter_throw = maybe(in);
  c.mul = in.small_int(1, 2);
  c.add = in.small_int(0, 2);
  c.transform_throw = maybe(in);
  const int t = in.small_int(0, 9);
  c.take = t < 8 ? static_cast<std::size_t>(t) : unlimited;
  c.drop = static_cast<std::size_t>(in.small_int(0, 3));
  c.stop = maybe(in);
  c.take_while_throw = maybe(in);
  c.c1 = decode_coro(in);
  c.c2 = decode_coro(in);
  c.c3 = decode_coro(in);
  for (int k = in.small_int(0, 3); k > 0; --k) c.sequence.push_back(decode_coro(in));
  c.sink_throw = maybe(in);
  c.sink_finish_after = finish_after(in);
  c.sink_swallow = in.pick(8) == 0;
  c.tee_a = static_cast<std::size_t>(in.small_int(0, 4));
  c.tee_b = static_cast<std::size_t>(in.small_int(0, 4));
  return c;
}

// --- The real stages
// ------------------------------------------------------------------------------

struct filter_fn {
  int mod, rem, throw_at;
  bool operator()(const value& v) const {
    if (v.value() == throw_at) throw fault();
    return v.value() % mod != rem;
  }
};

struct transform_fn {
  int mul, add, throw_at;
  value operator()(value v) const {
    if (v.value() == throw_at) throw fault();
    return value(v.value() * mul + add);
  }
};

struct take_while_fn {
  int stop, throw_at;
  bool operator()(const value& v) const {
    if (v.value() == throw_at) throw fault();
    return v.value() != stop;
  }
};

coflow::coroutine<value, value> stage(frame_counter& scopes, frame_counter::token, coro_params p) {
  auto alive = scopes.enter();
  if (p.start_value != never) co_yield coflow::emit(value(p.start_value));
  if (p.finish_after == 0) co_return;
  int taken = 0;
  if (p.reply_style) {
    std::optional<value> reply;
    for (;;) {
      auto v = co_yield std::move(reply);
      reply.reset();
      if (!v) break;
      if (v->value() == p.throw_at) throw fault();
      if (++taken == p.finish_after) co_return;
      if (p.copies > 0) reply.emplace(v->value());
    }
  } else {
    for (;;) {
      auto v = co_yield coflow::receive;
      if (!v) break;
      const int k = v->value();
      if (k == p.throw_at) throw fault();
      for (int c = 0; c < p.copies; ++c) co_yield coflow::emit(value(k + c));
      if (++taken == p.finish_after) co_return;
    }
  }
  if (p.flush != never) co_yield coflow::emit(value(p.flush));
  while (p.swallow_eos) {
    auto again = co_yield coflow::receive;
    (void)again;
  }
}

coflow::consumer<value, int> recorder(frame_counter& scopes, frame_counter::token,
                                      std::vector<int>& seen, int throw_at, int finish_after,
                                      bool swallow) {
  auto alive = scopes.enter();
  int n = 0;
  if (finish_after == 0) co_return n;
  for (;;) {
    auto v = co_yield coflow::receive;
    if (!v) break;
    if (v->value() == throw_at) throw fault();
    seen.push_back(v->value());
    if (++n == finish_after) co_return n;
  }
  while (swallow) {
    auto again = co_yield coflow::receive;
    (void)again;
  }
  co_return n;
}

// What a pipeline's owner keeps beside it: the counters and what the sinks record.
struct context {
  frame_counter frames;
  frame_counter scopes;
  std::vector<int> seen;
  long coroutines = 0;  // coroutine objects made for the pipeline
};

auto make_stage(context& x, const coro_params& p) {
  ++x.coroutines;
  return stage(x.scopes, x.frames.enter(), p);
}

auto make_sequence(context& x, const config& c) {
  std::vector<coflow::coroutine<value, value>> stages;
  for (const auto& p : c.sequence) stages.push_back(make_stage(x, p));
  return ops::sequence(std::move(stages));
}

enum class sink_kind : unsigned char { to_vector, last, recorder, for_each, tee };
constexpr int sink_kinds = 5;
constexpr int shapes = 4;

template <sink_kind S>
auto make_sink(context& x, const config& c) {
  if constexpr (S == sink_kind::to_vector) {
    return sinks::to_vector();
  } else if constexpr (S == sink_kind::last) {
    return sinks::last();
  } else if constexpr (S == sink_kind::recorder) {
    ++x.coroutines;
    return recorder(x.scopes, x.frames.enter(), x.seen, c.sink_throw, c.sink_finish_after,
                    c.sink_swallow);
  } else if constexpr (S == sink_kind::for_each) {
    return sinks::for_each([seen = &x.seen, throw_at = c.sink_throw](value v) {
      if (v.value() == throw_at) throw fault();
      seen->push_back(v.value());
    });
  } else {
    return sinks::tee(ops::take(c.tee_a) | sinks::to_vector(),
                      ops::take(c.tee_b) | sinks::to_vector());
  }
}

// The four orderings.
template <int Shape, sink_kind S>
auto make_chain(context& x, const config& c) {
  auto f = ops::filter(filter_fn{c.filter_mod, c.filter_rem, c.filter_throw});
  auto t = ops::transform(transform_fn{c.mul, c.add, c.transform_throw});
  auto tw = ops::take_while(take_while_fn{c.stop, c.take_while_throw});
  if constexpr (Shape == 0) {
    auto c1 = make_stage(x, c.c1);
    auto seq = make_sequence(x, c);
    return f | std::move(c1) | ops::take(c.take) | t | ops::drop(c.drop) | tw | std::move(seq) |
           make_sink<S>(x, c);
  } else if constexpr (Shape == 1) {
    auto c1 = make_stage(x, c.c1);
    auto seq = make_sequence(x, c);
    auto c2 = make_stage(x, c.c2);
    return std::move(c1) | t | std::move(seq) | f | std::move(c2) | ops::take(c.take) |
           make_sink<S>(x, c);
  } else if constexpr (Shape == 2) {
    auto seq = make_sequence(x, c);
    auto c1 = make_stage(x, c.c1);
    return std::move(seq) | tw | std::move(c1) | ops::drop(c.drop) | f | t | make_sink<S>(x, c);
  } else {
    auto c1 = make_stage(x, c.c1);
    auto c2 = make_stage(x, c.c2);
    auto c3 = make_stage(x, c.c3);
    return ops::take(c.take) | std::move(c1) | std::move(c2) | std::move(c3) | make_sink<S>(x, c);
  }
}

// --- The reference model
// --------------------------------------------------------------------------

enum class outcome : unsigned char { ok, fault, protocol };

struct model_fault {};
struct model_protocol {};

// A result, whatever the sink: the values it kept, in order, and its number if it has one.
struct result {
  std::vector<int> a;
  std::vector<int> b;
  std::optional<int> x;
  bool operator==(const result&) const = default;
};

enum class mk : unsigned char {
  filter,
  transform,
  take,
  drop,
  take_while,
  coro,
  to_vector,
  last,
  recorder,
  for_each,
  tee
};

struct mnode {
  mk kind = mk::filter;
  coro_params p;      // coro
  std::size_t n = 0;  // take, drop
  // state
  std::size_t count = 0;
  bool stopped = false;        // take_while
  bool receiving = true;       // coro, recorder
  bool down_done = false;      // coro
  int taken = 0;               // coro, recorder
  std::size_t ta = 0, tb = 0;  // tee
};

class chain_model {
 public:
  chain_model(int shape, sink_kind sink, const config& c) : c_(c), sink_(sink) {
    auto coro = [this](const coro_params& p) {
      mnode m;
      m.kind = mk::coro;
      m.p = p;
      nodes_.push_back(m);
      ++coroutines_;
    };
    auto simple = [this](mk k, std::size_t n = 0) {
      mnode m;
      m.kind = k;
      m.n = n;
      nodes_.push_back(m);
    };
    // A sequence behaves as its stages written out (pipeline/sequence.hpp).
    auto sequence = [&] {
      for (const auto& p : c.sequence) coro(p);
    };
    switch (shape) {
      case 0:
        simple(mk::filter), coro(c.c1), simple(mk::take, c.take), simple(mk::transform);
        simple(mk::drop, c.drop), simple(mk::take_while), sequence();
        break;
      case 1:
        coro(c.c1), simple(mk::transform), sequence(), simple(mk::filter), coro(c.c2);
        simple(mk::take, c.take);
        break;
      case 2:
        sequence(), simple(mk::take_while), coro(c.c1), simple(mk::drop, c.drop);
        simple(mk::filter), simple(mk::transform);
        break;
      default:
        simple(mk::take, c.take), coro(c.c1), coro(c.c2), coro(c.c3);
        break;
    }
    switch (sink) {
      case sink_kind::to_vector:
        simple(mk::to_vector);
        break;
      case sink_kind::last:
        simple(mk::last);
        break;
      case sink_kind::recorder: {
        mnode m;
        m.kind = mk::recorder;
        m.receiving = c.sink_finish_after != 0;
        nodes_.push_back(m);
        ++coroutines_;
        break;
      }
      case sink_kind::for_each:
        simple(mk::for_each);
        break;
      case sink_kind::tee:
        simple(mk::tee);
        break;
    }
  }

  /// bind starts the coroutine stages, from the sink backwards; throws as open() would.
  void bind() {
    for (std::size_t i = nodes_.size() - 1; i-- > 0;) {
      mnode& m = nodes_[i];
      if (m.kind != mk::coro) continue;
      // A node that is done is never pushed to, not even by a stage's output at start.
      m.down_done = done(i + 1);
      if (m.p.start_value != never) forward(i, m.p.start_value);
      if (m.p.finish_after == 0) m.receiving = false;
    }
  }

  bool head_done() const { return done(0); }
  bool push_head(int v) { return push(0, v); }
  void finish_all() { finish(0); }
  long coroutines() const { return coroutines_; }

  result sink_result() const {
    result r;
    switch (sink_) {
      case sink_kind::to_vector:
      case sink_kind::for_each:
        r.a = kept_;
        break;
      case sink_kind::last:
        if (!kept_.empty()) r.x = kept_.back();
        break;
      case sink_kind::recorder:
        r.a = kept_;
        r.x = static_cast<int>(kept_.size());
        break;
      case sink_kind::tee:
        r.a = kept_;
        r.b = kept_b_;
        break;
    }
    return r;
  }

  /// recorded is what the sink saw, for a sink whose result is lost when it fails.
  const std::vector<int>& recorded() const { return kept_; }

 private:
  bool push(std::size_t i, int v) {
    mnode& m = nodes_[i];
    switch (m.kind) {
      case mk::filter:
        if (v == c_.filter_throw) throw model_fault();
        if (v % c_.filter_mod == c_.filter_rem) return true;
        return push(i + 1, v);
      case mk::transform:
        if (v == c_.transform_throw) throw model_fault();
        return push(i + 1, v * c_.mul + c_.add);
      case mk::take: {
        ++m.count;
        const bool more = push(i + 1, v);
        return more && m.count < m.n;
      }
      case mk::drop:
        if (m.count < m.n) {
          ++m.count;
          return true;
        }
        return push(i + 1, v);
      case mk::take_while:
        if (v == c_.take_while_throw) throw model_fault();
        if (v == c_.stop) {
          m.stopped = true;
          return false;
        }
        return push(i + 1, v);
      case mk::coro:
        return push_coro(i, v);
      case mk::to_vector:
      case mk::last:
        kept_.push_back(v);
        return true;
      case mk::for_each:
        if (v == c_.sink_throw) throw model_fault();
        kept_.push_back(v);
        return true;
      case mk::recorder:
        if (v == c_.sink_throw) {
          m.receiving = false;
          throw model_fault();
        }
        kept_.push_back(v);
        if (++m.taken == c_.sink_finish_after) m.receiving = false;
        return m.receiving;
      case mk::tee:
        if (m.ta < c_.tee_a) {
          ++m.ta;
          kept_.push_back(v);
        }
        if (m.tb < c_.tee_b) {
          ++m.tb;
          kept_b_.push_back(v);
        }
        return !done(i);
    }
    return false;
  }

  bool push_coro(std::size_t i, int v) {
    mnode& m = nodes_[i];
    if (v == m.p.throw_at) {
      m.receiving = false;
      throw model_fault();
    }
    if (m.p.reply_style) {
      if (++m.taken == m.p.finish_after) {
        m.receiving = false;
      } else if (m.p.copies > 0) {
        forward(i, v);
      }
    } else {
      for (int k = 0; k < m.p.copies; ++k) forward(i, v + k);
      if (++m.taken == m.p.finish_after) m.receiving = false;
    }
    return m.receiving && !m.down_done;
  }

  void forward(std::size_t i, int v) {
    mnode& m = nodes_[i];
    if (!m.down_done) m.down_done = !push(i + 1, v);
  }

  bool done(std::size_t i) const {
    const mnode& m = nodes_[i];
    switch (m.kind) {
      case mk::take:
        return m.count >= m.n || done(i + 1);
      case mk::take_while:
        return m.stopped || done(i + 1);
      case mk::coro:
        return !m.receiving || m.down_done || done(i + 1);
      case mk::to_vector:
      case mk::last:
      case mk::for_each:
        return false;
      case mk::recorder:
        return !m.receiving;
      case mk::tee:
        return m.ta >= c_.tee_a && m.tb >= c_.tee_b;
      default:
        return done(i + 1);
    }
  }

  void finish(std::size_t i) {
    mnode& m = nodes_[i];
    if (m.kind == mk::coro && m.receiving) {
      if (m.p.flush != never) forward(i, m.p.flush);
      m.receiving = false;
      if (m.p.swallow_eos) throw model_protocol();
    }
    if (m.kind == mk::recorder) {
      if (m.receiving && c_.sink_swallow) {
        m.receiving = false;
        throw model_protocol();
      }
      m.receiving = false;
      return;
    }
    if (i + 1 < nodes_.size()) finish(i + 1);
  }

  config c_;
  sink_kind sink_;
  std::vector<mnode> nodes_;
  std::vector<int> kept_;
  std::vector<int> kept_b_;
  long coroutines_ = 0;
};

// Runs `call` on the model and says what it threw.
template <class Call>
outcome model_call(Call&& call) {
  try {
    call();
  } catch (const model_fault&) {
    return outcome::fault;
  } catch (const model_protocol&) {
    return outcome::protocol;
  }
  return outcome::ok;
}

// Runs `call` on the real pipeline and says what it threw.
template <class Call>
outcome real_call(Call&& call) {
  try {
    call();
  } catch (const fault&) {
    return outcome::fault;
  } catch (const coflow::protocol_error& e) {
    fuzz_check(std::string(e.what()).find("coflow") != std::string::npos,
               std::string("a protocol_error that does not say where: ") + e.what());
    return outcome::protocol;
  }
  return outcome::ok;
}

const char* name(outcome o) {
  switch (o) {
    case outcome::ok:
      return "ok";
    case outcome::fault:
      return "fault";
    case outcome::protocol:
      return "protocol_error";
  }
  return "?";
}

std::string show(const result& r) {
  std::string s = "a=[";
  for (int v : r.a) s += std::to_string(v) + " ";
  s += "] b=[";
  for (int v : r.b) s += std::to_string(v) + " ";
  s += "]";
  if (r.x) s += " x=" + std::to_string(*r.x);
  return s;
}

template <class V>
std::vector<int> ints(const std::vector<V>& vs) {
  std::vector<int> out;
  for (const auto& v : vs) out.push_back(v.value());
  return out;
}

// The result of a real sink, in the model's terms.
template <sink_kind S, class R>
result to_result(R&& r, const context& x) {
  result out;
  if constexpr (S == sink_kind::to_vector) {
    out.a = ints(r);
  } else if constexpr (S == sink_kind::last) {
    if (r) out.x = r->value();
  } else if constexpr (S == sink_kind::recorder) {
    out.a = x.seen;
    out.x = r;
  } else if constexpr (S == sink_kind::tee) {
    out.a = ints(std::get<0>(r));
    out.b = ints(std::get<1>(r));
  }
  return out;
}

// --- Opened pipelines
// ------------------------------------------------------------------------------

class driver_base {
 public:
  virtual ~driver_base() = default;
  virtual void send(int v) = 0;
  virtual void close() = 0;
  /// destroy destroys the pipeline and checks that every frame went with it.
  virtual void destroy() = 0;
};

template <int Shape, sink_kind S>
class driver final : public driver_base {
 public:
  driver(const config& c, const std::string& label) : model_(Shape, S, c), label_(label) {
    const outcome want = model_call([&] { model_.bind(); });
    const outcome got =
        real_call([&] { pipeline_.emplace(coflow::open<value>(make_chain<Shape, S>(x_, c))); });
    fuzz_check(want == got, label_ + " open: model " + name(want) + ", real " + name(got));
    fuzz_check(x_.coroutines == model_.coroutines(), label_ + ": coroutine count");
    if (got != outcome::ok) {
      fuzz_check(x_.frames.balanced(), label_ + ": a failed open leaked a frame");
      fuzz_check(x_.scopes.balanced(), label_ + ": a failed open left a body running");
      failed_ = true;
      return;
    }
    fuzz_check(x_.frames.live() == x_.coroutines, label_ + ": frames after open");
    check_state("open");
  }

  ~driver() override { destroy(); }

  void send(int v) override {
    if (!pipeline_) return;
    const bool was_done = failed_ || model_.head_done();
    outcome want = outcome::protocol;
    if (!was_done) want = model_call([&] { (void)model_.push_head(v); });
    const outcome got = real_call([&] { pipeline_->send(value(v)); });
    fuzz_check(want == got, label_ + " send " + std::to_string(v) + ": model " + name(want) +
                                ", real " + name(got));
    if (!was_done && got != outcome::ok) failed_ = true;
    check_state("send");
  }

  void close() override {
    if (!pipeline_) return;
    outcome want = outcome::protocol;
    if (!failed_) want = model_call([&] { model_.finish_all(); });
    std::optional<result> got_result;
    const outcome got = real_call([&] {
      if constexpr (S == sink_kind::for_each) {
        pipeline_->close();
        got_result = result{x_.seen, {}, {}};
      } else {
        got_result = to_result<S>(pipeline_->close(), x_);
      }
    });
    fuzz_check(want == got, label_ + " close: model " + name(want) + ", real " + name(got));
    if (!failed_ && got == outcome::ok) {
      const result want_result = model_.sink_result();
      fuzz_check(*got_result == want_result,
                 label_ + " close: model " + show(want_result) + ", real " + show(*got_result));
      fuzz_check(x_.scopes.live() == 0, label_ + ": a body still runs after a successful close");
    }
    failed_ = true;  // closed or failed: either way, done
    check_state("close");
  }

  void destroy() override {
    if (!pipeline_) return;
    pipeline_.reset();
    fuzz_check(x_.frames.balanced(), label_ + ": frames leaked or destroyed twice");
    fuzz_check(x_.scopes.balanced(), label_ + ": a body scope outlived its pipeline");
  }

 private:
  void check_state(const char* after) {
    const bool want_done = failed_ || model_.head_done();
    fuzz_check(pipeline_->done() == want_done, label_ + " done() after " + after);
    const auto want_status = want_done ? coflow::status::done : coflow::status::suspended;
    fuzz_check(pipeline_->status() == want_status, label_ + " status() after " + after);
    fuzz_check(x_.frames.double_exits() == 0, label_ + ": a frame destroyed twice");
  }

  using pipeline_t = decltype(coflow::open<value>(
      make_chain<Shape, S>(std::declval<context&>(), std::declval<const config&>())));

  context x_;  // before the pipeline: it must outlive it
  chain_model model_;
  std::optional<pipeline_t> pipeline_;
  std::string label_;
  bool failed_ = false;  // failed or closed: the model takes nothing more
};

// A whole coflow::run over `values`, with a fresh description.
template <int Shape, sink_kind S>
void run_once(const config& c, const std::vector<int>& values, const std::string& label) {
  chain_model model(Shape, S, c);
  const outcome want = model_call([&] {
    model.bind();
    if (!model.head_done()) {
      for (int v : values) {
        if (!model.push_head(v)) break;
      }
    }
    model.finish_all();
  });
  context x;
  std::vector<value> source;
  for (int v : values) source.emplace_back(v);
  std::optional<result> got_result;
  const outcome got = real_call([&] {
    if constexpr (S == sink_kind::for_each) {
      coflow::run(source, make_chain<Shape, S>(x, c));
      got_result = result{x.seen, {}, {}};
    } else {
      got_result = to_result<S>(coflow::run(source, make_chain<Shape, S>(x, c)), x);
    }
  });
  fuzz_check(want == got, label + " run: model " + name(want) + ", real " + name(got));
  if (got == outcome::ok) {
    fuzz_check(*got_result == model.sink_result(),
               label + " run: model " + show(model.sink_result()) + ", real " + show(*got_result));
  }
  fuzz_check(x.frames.balanced(), label + " run: frames leaked or destroyed twice");
  fuzz_check(x.scopes.balanced(), label + " run: a body scope outlived the run");
}

// --- Dispatch over the compile-time shapes
// ----------------------------------------------------------

template <int Shape, sink_kind S>
std::unique_ptr<driver_base> make_driver_for(const config& c, const std::string& label) {
  return std::make_unique<driver<Shape, S>>(c, label);
}

template <int Shape>
std::unique_ptr<driver_base> make_driver_shape(int sink, const config& c, const std::string& l) {
  switch (sink) {
    case 0:
      return make_driver_for<Shape, sink_kind::to_vector>(c, l);
    case 1:
      return make_driver_for<Shape, sink_kind::last>(c, l);
    case 2:
      return make_driver_for<Shape, sink_kind::recorder>(c, l);
    case 3:
      return make_driver_for<Shape, sink_kind::for_each>(c, l);
    default:
      return make_driver_for<Shape, sink_kind::tee>(c, l);
  }
}

std::unique_ptr<driver_base> make_driver(int shape, int sink, const config& c,
                                         const std::string& l) {
  switch (shape) {
    case 0:
      return make_driver_shape<0>(sink, c, l);
    case 1:
      return make_driver_shape<1>(sink, c, l);
    case 2:
      return make_driver_shape<2>(sink, c, l);
    default:
      return make_driver_shape<3>(sink, c, l);
  }
}

template <int Shape>
void run_shape(int sink, const config& c, const std::vector<int>& values, const std::string& l) {
  switch (sink) {
    case 0:
      return run_once<Shape, sink_kind::to_vector>(c, values, l);
    case 1:
      return run_once<Shape, sink_kind::last>(c, values, l);
    case 2:
      return run_once<Shape, sink_kind::recorder>(c, values, l);
    case 3:
      return run_once<Shape, sink_kind::for_each>(c, values, l);
    default:
      return run_once<Shape, sink_kind::tee>(c, values, l);
  }
}

void run_any(int shape, int sink, const config& c, const std::vector<int>& values,
             const std::string& l) {
  switch (shape) {
    case 0:
      return run_shape<0>(sink, c, values, l);
    case 1:
      return run_shape<1>(sink, c, values, l);
    case 2:
      return run_shape<2>(sink, c, values, l);
    default:
      return run_shape<3>(sink, c, values, l);
  }
}

// --- Batched runs: spans from a vector against values one by one from a list --------------------
//
// Plain ints, so that a filter or transform given coflow::lookahead takes its span path, and
// coroutine stages that wait at `co_yield coflow::receive_batch`. The model pushes one value at
// a time. A callable without lookahead and a coroutine at a single receive point must see exactly
// the model's values (same call counts, same faults) whatever the container; a callable with
// lookahead and a batch coroutine asked for whole spans, so they may see more, never fewer, and
// are never given a fault to throw (lookahead promises a callable that does not throw).

constexpr int batch_shapes = 4;

struct batch_config {
  bool filter_lookahead = false, transform_lookahead = false;
  int f1_mod = 1, f1_rem = 5, f1_throw = never;
  int f2_mod = 1, f2_rem = 5, f2_throw = never;
  int mul = 1, add = 0, transform_throw = never;
  std::size_t take1 = unlimited, take2 = unlimited;
  int b1_copies = 1, b1_finish = never, b2_copies = 1, b2_finish = never;
  int c_copies = 1, c_finish = never, c_throw = never;  // the single-receive coroutine
};

std::size_t decode_take(fuzz_input& in) {
  const int t = in.small_int(0, 11);
  return t < 8 ? static_cast<std::size_t>(t) : unlimited;
}

batch_config decode_batch_config(fuzz_input& in) {
  batch_config c;
  c.filter_lookahead = in.flag();
  c.transform_lookahead = in.flag();
  c.f1_mod = in.small_int(1, 4);
  c.f1_rem = in.small_int(0, 5);
  c.f1_throw = maybe(in);
  c.f2_mod = in.small_int(1, 4);
  c.f2_rem = in.small_int(0, 5);
  c.f2_throw = maybe(in);
  c.mul = in.small_int(1, 2);
  c.add = in.small_int(0, 2);
  c.transform_throw = maybe(in);
  c.take1 = decode_take(in);
  c.take2 = decode_take(in);
  c.b1_copies = in.small_int(0, 2);
  c.b1_finish = finish_after(in);
  c.b2_copies = in.small_int(0, 2);
  c.b2_finish = finish_after(in);
  c.c_copies = in.small_int(0, 2);
  c.c_finish = finish_after(in);
  c.c_throw = maybe(in);
  if (c.filter_lookahead) c.f1_throw = c.f2_throw = never;
  if (c.transform_lookahead) c.transform_throw = never;
  return c;
}

// How often each user callable and coroutine body saw a value.
struct batch_calls {
  int f1 = 0, f2 = 0, t = 0, b1 = 0, b2 = 0, c = 0;
};

struct counting_filter {
  int mod, rem, throw_at;
  int* calls;
  bool operator()(int v) const {
    ++*calls;
    if (v == throw_at) throw fault();
    return v % mod != rem;
  }
};

struct counting_transform {
  int mul, add, throw_at;
  int* calls;
  int operator()(int v) const {
    ++*calls;
    if (v == throw_at) throw fault();
    return v * mul + add;
  }
};

// Outputs v, v + 1, ... (copies values) for each input v; returns after finish_after inputs.
coflow::coroutine<int, int> batch_body(frame_counter& scopes, frame_counter::token, int copies,
                                       int finish_after, int* calls) {
  auto alive = scopes.enter();
  if (finish_after == 0) co_return;
  std::vector<int> out;
  int taken = 0;
  auto batch = co_yield coflow::receive_batch;
  while (batch) {
    out.clear();
    for (const int v : *batch) {
      ++*calls;
      for (int c = 0; c < copies; ++c) out.push_back(v + c);
      if (++taken == finish_after) {
        for (const int o : out) co_yield coflow::emit(o);
        co_return;
      }
    }
    batch = co_yield coflow::receive_batch(out);
  }
}

// The same one value at a time, with a fault.
coflow::coroutine<int, int> single_body(frame_counter& scopes, frame_counter::token, int copies,
                                        int finish_after, int throw_at, int* calls) {
  auto alive = scopes.enter();
  if (finish_after == 0) co_return;
  int taken = 0;
  for (;;) {
    auto v = co_yield coflow::receive;
    if (!v) break;
    ++*calls;
    if (*v == throw_at) throw fault();
    for (int c = 0; c < copies; ++c) co_yield coflow::emit(*v + c);
    if (++taken == finish_after) co_return;
  }
}

template <bool Lookahead, class Pred>
auto maybe_lookahead_filter(Pred pred) {
  if constexpr (Lookahead) {
    return ops::filter(pred, coflow::lookahead);
  } else {
    return ops::filter(pred);
  }
}

template <bool Lookahead, class Fn>
auto maybe_lookahead_transform(Fn fn) {
  if constexpr (Lookahead) {
    return ops::transform(fn, coflow::lookahead);
  } else {
    return ops::transform(fn);
  }
}

struct batch_context {
  frame_counter frames;
  frame_counter scopes;
  batch_calls calls;
};

template <int Shape, bool LF, bool LT>
auto make_batch_chain(batch_context& x, const batch_config& c) {
  auto f1 =
      maybe_lookahead_filter<LF>(counting_filter{c.f1_mod, c.f1_rem, c.f1_throw, &x.calls.f1});
  auto f2 =
      maybe_lookahead_filter<LF>(counting_filter{c.f2_mod, c.f2_rem, c.f2_throw, &x.calls.f2});
  auto t = maybe_lookahead_transform<LT>(
      counting_transform{c.mul, c.add, c.transform_throw, &x.calls.t});
  auto b1 = batch_body(x.scopes, x.frames.enter(), c.b1_copies, c.b1_finish, &x.calls.b1);
  auto b2 = batch_body(x.scopes, x.frames.enter(), c.b2_copies, c.b2_finish, &x.calls.b2);
  auto co = single_body(x.scopes, x.frames.enter(), c.c_copies, c.c_finish, c.c_throw, &x.calls.c);
  if constexpr (Shape == 0) {
    return f1 | t | std::move(b1) | ops::take(c.take1) | f2 | std::move(b2) | ops::take(c.take2) |
           sinks::to_vector();
  } else if constexpr (Shape == 1) {
    return std::move(b1) | t | ops::take(c.take1) | std::move(co) | f1 | std::move(b2) |
           sinks::to_vector();
  } else if constexpr (Shape == 2) {
    return ops::take(c.take1) | f1 | std::move(b1) | std::move(b2) | t | ops::take(c.take2) |
           sinks::to_vector();
  } else {
    return f1 | std::move(co) | f2 | t | std::move(b1) | sinks::to_vector();
  }
}

// The reference: every stage takes one value at a time.
class batch_model {
 public:
  enum class kind : unsigned char { f1, f2, t, take1, take2, b1, b2, co };

  batch_model(int shape, const batch_config& c) : c_(c) {
    using k = kind;
    switch (shape) {
      case 0:
        add({k::f1, k::t, k::b1, k::take1, k::f2, k::b2, k::take2});
        break;
      case 1:
        add({k::b1, k::t, k::take1, k::co, k::f1, k::b2});
        break;
      case 2:
        add({k::take1, k::f1, k::b1, k::b2, k::t, k::take2});
        break;
      default:
        add({k::f1, k::co, k::f2, k::t, k::b1});
        break;
    }
  }

  void run(const std::vector<int>& values) {
    for (std::size_t i = nodes_.size(); i-- > 0;) {
      node& m = nodes_[i];
      if (!is_coro(m.k)) continue;
      m.down_done = done(i + 1);
      if (finish(m.k) == 0) m.receiving = false;
    }
    if (done(0)) return;
    for (int v : values) {
      if (!push(0, v)) break;
    }
  }

  const std::vector<int>& kept() const { return kept_; }
  const batch_calls& calls() const { return calls_; }

 private:
  struct node {
    kind k;
    std::size_t count = 0;  // take
    bool receiving = true;  // coroutines
    bool down_done = false;
    int taken = 0;
  };

  void add(std::initializer_list<kind> ks) {
    for (kind k : ks) nodes_.push_back(node{k});
  }

  static bool is_coro(kind k) { return k == kind::b1 || k == kind::b2 || k == kind::co; }
  int finish(kind k) const {
    return k == kind::b1 ? c_.b1_finish : k == kind::b2 ? c_.b2_finish : c_.c_finish;
  }
  std::size_t limit(kind k) const { return k == kind::take1 ? c_.take1 : c_.take2; }

  bool filter(std::size_t i, int v, int mod, int rem, int throw_at, int& calls) {
    ++calls;
    if (v == throw_at) throw model_fault();
    if (v % mod == rem) return true;
    return push(i + 1, v);
  }

  bool coro(std::size_t i, int v, int copies, int throw_at, int& calls) {
    node& m = nodes_[i];
    ++calls;
    if (v == throw_at) {
      m.receiving = false;
      throw model_fault();
    }
    for (int k = 0; k < copies; ++k) {
      if (!m.down_done) m.down_done = !push(i + 1, v + k);
    }
    if (++m.taken == finish(m.k)) m.receiving = false;
    return m.receiving && !m.down_done;
  }

  bool push(std::size_t i, int v) {
    if (i == nodes_.size()) {
      kept_.push_back(v);
      return true;
    }
    node& m = nodes_[i];
    switch (m.k) {
      case kind::f1:
        return filter(i, v, c_.f1_mod, c_.f1_rem, c_.f1_throw, calls_.f1);
      case kind::f2:
        return filter(i, v, c_.f2_mod, c_.f2_rem, c_.f2_throw, calls_.f2);
      case kind::t:
        ++calls_.t;
        if (v == c_.transform_throw) throw model_fault();
        return push(i + 1, v * c_.mul + c_.add);
      case kind::take1:
      case kind::take2: {
        ++m.count;
        const bool more = push(i + 1, v);
        return more && m.count < limit(m.k);
      }
      case kind::b1:
        return coro(i, v, c_.b1_copies, never, calls_.b1);
      case kind::b2:
        return coro(i, v, c_.b2_copies, never, calls_.b2);
      case kind::co:
        return coro(i, v, c_.c_copies, c_.c_throw, calls_.c);
    }
    return false;
  }

  bool done(std::size_t i) const {
    if (i == nodes_.size()) return false;
    const node& m = nodes_[i];
    switch (m.k) {
      case kind::take1:
      case kind::take2:
        return m.count >= limit(m.k) || done(i + 1);
      case kind::b1:
      case kind::b2:
      case kind::co:
        return !m.receiving || m.down_done || done(i + 1);
      default:
        return done(i + 1);
    }
  }

  batch_config c_;
  std::vector<node> nodes_;
  std::vector<int> kept_;
  batch_calls calls_;
};

std::string show_calls(const batch_calls& k) {
  return "f1=" + std::to_string(k.f1) + " f2=" + std::to_string(k.f2) +
         " t=" + std::to_string(k.t) + " b1=" + std::to_string(k.b1) +
         " b2=" + std::to_string(k.b2) + " c=" + std::to_string(k.c);
}

template <int Shape, bool LF, bool LT, class Container>
void batch_run_once(const batch_config& c, const std::vector<int>& values,
                    const std::string& label) {
  batch_model model(Shape, c);
  const outcome want = model_call([&] { model.run(values); });
  batch_context x;
  const Container source(values.begin(), values.end());
  std::vector<int> got_values;
  const outcome got =
      real_call([&] { got_values = coflow::run(source, make_batch_chain<Shape, LF, LT>(x, c)); });
  fuzz_check(want == got, label + ": model " + name(want) + ", real " + name(got));
  if (got == outcome::ok) {
    fuzz_check(got_values == model.kept(), label + ": the values differ from the model's");
  }
  const batch_calls& w = model.calls();
  const batch_calls& g = x.calls;
  const std::string calls = label + ": calls: model " + show_calls(w) + ", real " + show_calls(g);
  // Exactly the model's values without lookahead; at least those with it.
  fuzz_check(LF ? g.f1 >= w.f1 && g.f2 >= w.f2 : g.f1 == w.f1 && g.f2 == w.f2, calls);
  fuzz_check(LT ? g.t >= w.t : g.t == w.t, calls);
  fuzz_check(g.c == w.c && g.b1 >= w.b1 && g.b2 >= w.b2, calls);
  fuzz_check(x.frames.balanced(), label + ": frames leaked or destroyed twice");
  fuzz_check(x.scopes.balanced(), label + ": a body scope outlived the run");
}

template <int Shape, bool LF, bool LT>
void batch_run_container(bool listed, const batch_config& c, const std::vector<int>& values,
                         const std::string& label) {
  if (listed) {
    batch_run_once<Shape, LF, LT, std::list<int>>(c, values, label + " list");
  } else {
    batch_run_once<Shape, LF, LT, std::vector<int>>(c, values, label + " vector");
  }
}

template <int Shape>
void batch_run_shape(bool listed, const batch_config& c, const std::vector<int>& values,
                     const std::string& label) {
  const std::string l = label + (c.filter_lookahead ? " filter-lookahead" : "") +
                        (c.transform_lookahead ? " transform-lookahead" : "");
  if (c.filter_lookahead) {
    if (c.transform_lookahead) return batch_run_container<Shape, true, true>(listed, c, values, l);
    return batch_run_container<Shape, true, false>(listed, c, values, l);
  }
  if (c.transform_lookahead) return batch_run_container<Shape, false, true>(listed, c, values, l);
  return batch_run_container<Shape, false, false>(listed, c, values, l);
}

// The same configuration over a vector (spans) and a list (one by one), each against the model.
void batch_run(fuzz_input& in) {
  const int shape = static_cast<int>(in.pick(batch_shapes));
  const batch_config c = decode_batch_config(in);
  std::vector<int> values;
  if (in.flag()) {
    values.resize(in.pick(9));
    for (int& v : values) v = in.small_int(0, 15);
  } else {
    // Long enough to span several batches of coflow::max_batch_size.
    values.resize(100 + 60 * in.pick(12));
    const int a = in.small_int(1, 15);
    const int b = in.small_int(0, 15);
    for (std::size_t i = 0; i < values.size(); ++i) {
      values[i] = static_cast<int>(
          (i * static_cast<std::size_t>(a) + static_cast<std::size_t>(b) + i / 7) % 16);
    }
  }
  const std::string label = "batched run shape " + std::to_string(shape) + " of " +
                            std::to_string(values.size()) + " values";
  for (const bool listed : {false, true}) {
    switch (shape) {
      case 0:
        batch_run_shape<0>(listed, c, values, label);
        break;
      case 1:
        batch_run_shape<1>(listed, c, values, label);
        break;
      case 2:
        batch_run_shape<2>(listed, c, values, label);
        break;
      default:
        batch_run_shape<3>(listed, c, values, label);
        break;
    }
  }
}

}  // namespace

// Input: a sequence of steps. A step's first byte holds the slot (of three) and the operation:
// 0 open (then shape, sink and the configuration), 1 send (then the value), 2 close,
// 3 destroy, 4 run a whole stream through coflow::run (shape, sink, configuration, count,
// values). send and close on an empty slot open a pipeline there first. A head byte of 240 or
// more is instead 5, a batched run (batch shape, configuration, then a flag: a count and the
// values, or a long stream's length and two generator bytes), over a vector and a list.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  value::reset();
  fuzz_input in(data, size);
  {
    std::array<std::unique_ptr<driver_base>, 3> open;
    auto open_at = [&](std::size_t slot) {
      const int shape = static_cast<int>(in.pick(shapes));
      const int sink = static_cast<int>(in.pick(sink_kinds));
      const config c = decode_config(in);
      open[slot].reset();  // destroys (and checks) what was there
      open[slot] = make_driver(shape, sink, c,
                               "slot " + std::to_string(slot) + " shape " + std::to_string(shape) +
                                   " sink " + std::to_string(sink));
    };
    for (int steps = 0; !in.empty() && steps < 128; ++steps) {
      const std::uint8_t head = in.byte();
      const std::size_t slot = head % 3;
      const int op = head >= 240 ? 5 : (head / 3) % 5;
      if (op == 0 || ((op == 1 || op == 2) && !open[slot])) open_at(slot);
      switch (op) {
        case 1:
          open[slot]->send(in.small_int(0, 15));
          break;
        case 2:
          open[slot]->close();
          break;
        case 3:
          open[slot].reset();
          break;
        case 4: {
          const int shape = static_cast<int>(in.pick(shapes));
          const int sink = static_cast<int>(in.pick(sink_kinds));
          const config c = decode_config(in);
          std::vector<int> values(in.pick(9));
          for (int& v : values) v = in.small_int(0, 15);
          run_any(shape, sink, c, values,
                  "run shape " + std::to_string(shape) + " sink " + std::to_string(sink));
          break;
        }
        case 5:
          batch_run(in);
          break;
        default:
          break;
      }
    }
  }
  fuzz_check(value::stats().live() == 0, "a value leaked");
  fuzz_check(value::stats().bad_destructions == 0, "a value was destroyed twice");
  fuzz_check(value::stats().bad_reads == 0, "a value was read after its destruction");
  return 0;
}
