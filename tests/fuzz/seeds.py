#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into tests/fuzz/corpus/<target>/seed_*.

Run from the repository root: python3 tests/fuzz/seeds.py. Each seed is a short, readable
program in the target's input encoding (see the decoder at the top of each *_fuzzer.cc), chosen
to reach one behaviour each; the fuzzer mutates from there. Inputs the fuzzer found are kept
beside them under other names (crash-*, found-*), and are never rewritten by this script.
"""
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def write(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed_" + name), "wb") as f:
        f.write(bytes(data))


# --- coroutine_protocol ------------------------------------------------------------------
# A step is one head byte, slot + 4 * op, then the operation's bytes. A call on an empty slot
# (and op 0) first reads a creation: kind, poison + 1 (0: none), fail-at-start (0 mod 8:
# fail), flush flag.
CREATE, START, SEND, NEXT, CLOSE, CLOSE_OUT, THROW, MOVE, DESTROY, STATUS = range(10)
REPLIER, EMITTER, COUNTER, SWALLOWER = range(4)


def op(slot, code, *args):
    return [slot + 4 * code, *args]


def create(slot, kind, poison=None, fail=False, flush=False):
    return op(slot, CREATE, kind, 0 if poison is None else poison + 1, 0 if fail else 1,
              1 if flush else 0)


def coroutine_protocol():
    t = "coroutine_protocol"
    write(t, "replier", create(0, REPLIER) + op(0, START) + op(0, SEND, 3) + op(0, SEND, 4) +
          op(0, STATUS) + op(0, CLOSE) + op(0, CLOSE) + op(0, STATUS))
    write(t, "emitter_flush", create(1, EMITTER, flush=True) + op(1, START) + op(1, SEND, 5) +
          op(1, NEXT) + op(1, NEXT) + op(1, SEND, 2) + op(1, CLOSE_OUT))
    write(t, "emitter_close_pending", create(0, EMITTER) + op(0, START) + op(0, SEND, 8) +
          op(0, CLOSE) + op(0, STATUS) + op(0, CLOSE))
    write(t, "counter_poison", create(2, COUNTER, poison=4) + op(2, START) + op(2, SEND, 1) +
          op(2, SEND, 4) + op(2, SEND, 1) + op(2, CLOSE) + op(2, STATUS))
    write(t, "swallower", create(3, SWALLOWER) + op(3, START) + op(3, SEND, 1) + op(3, CLOSE) +
          op(3, STATUS) + op(3, CLOSE) + op(3, SEND, 2))
    write(t, "throw_into", create(0, REPLIER) + op(0, THROW, 1) + op(0, CLOSE) +
          create(1, EMITTER) + op(1, START) + op(1, THROW, 1) + op(1, NEXT) + op(1, THROW, 0) +
          create(2, COUNTER) + op(2, START) + op(2, THROW, 1) + op(2, SEND, 2) + op(2, CLOSE) +
          create(3, SWALLOWER) + op(3, START) + op(3, THROW, 1))
    write(t, "moves", create(0, REPLIER) + op(0, START) + op(0, SEND, 2) + op(0, MOVE, 1) +
          op(0, SEND, 1) + op(0, STATUS) + op(1, SEND, 5) + create(2, EMITTER) + op(2, MOVE, 1) +
          op(1, MOVE, 1) + op(1, START) + op(1, DESTROY) + op(0, DESTROY))
    write(t, "fail_at_start", create(0, COUNTER, fail=True) + op(0, START) + op(0, CLOSE) +
          create(1, EMITTER, fail=True) + op(1, CLOSE) + create(2, REPLIER, fail=True) +
          op(2, NEXT))
    write(t, "misuse", create(0, REPLIER) + op(0, SEND, 1) + op(0, START) + op(0, START) +
          op(0, NEXT) + create(1, EMITTER) + op(1, START) + op(1, SEND, 4) + op(1, SEND, 1))
    write(t, "empty", [])


# --- pipeline_topology ---------------------------------------------------------------------
# A step is one head byte, slot + 3 * op (0 open, 1 send, 2 close, 3 destroy, 4 run); open is
# followed by shape, sink and the configuration below; send by the value; run by shape, sink,
# configuration, count and values. send and close on an empty slot open one there first.
OPEN, PSEND, PCLOSE, PDESTROY, RUN = range(5)
TO_VECTOR, LAST, RECORDER, FOR_EACH, TEE = range(5)
NEVER = None


def maybe(v):
    return 1 if v is None else v * 4


def fin(n):
    return 0 if n is None else n + 3


def coro(start=None, copies=1, reply=False, finish_after=None, throw_at=None, flush=None,
         swallow=False):
    return [maybe(start), copies, 1 if reply else 0, fin(finish_after), maybe(throw_at),
            maybe(flush), 0 if swallow else 1]


def config(mod=1, rem=5, filter_throw=None, mul=1, add=0, transform_throw=None, take=None,
           drop=0, stop=None, take_while_throw=None, c1=None, c2=None, c3=None, sequence=(),
           sink_throw=None, sink_finish_after=None, sink_swallow=False, tee_a=4, tee_b=4):
    out = [mod - 1, rem, maybe(filter_throw), mul - 1, add, maybe(transform_throw),
           8 if take is None else take, drop, maybe(stop), maybe(take_while_throw)]
    for c in (c1, c2, c3):
        out += c if c is not None else coro()
    out.append(len(sequence))
    for c in sequence:
        out += c
    out += [maybe(sink_throw), fin(sink_finish_after), 0 if sink_swallow else 1, tee_a, tee_b]
    return out


def pop(slot, code, *args):
    return [slot + 3 * code, *args]


def popen(slot, shape, sink, **kw):
    return pop(slot, OPEN, shape, sink, *config(**kw))


def sends(slot, *values):
    out = []
    for v in values:
        out += pop(slot, PSEND, v)
    return out


def prun(shape, sink, values, **kw):
    return pop(0, RUN, shape, sink, *config(**kw), len(values), *values)


def pipeline_topology():
    t = "pipeline_topology"
    write(t, "identity", popen(0, 0, TO_VECTOR) + sends(0, 1, 2, 3, 4, 5) + pop(0, PCLOSE))
    write(t, "emit_sequence_recorder",
          popen(1, 1, RECORDER, c1=coro(copies=2), sequence=(coro(), coro(copies=2, flush=9)),
                c2=coro(reply=True)) + sends(1, 1, 2, 3) + pop(1, PCLOSE))
    write(t, "take_and_finish", popen(0, 3, LAST, take=2, c2=coro(finish_after=1)) +
          sends(0, 1, 2, 3, 4) + pop(0, PCLOSE) + pop(0, PCLOSE))
    write(t, "filter_throws", popen(2, 0, FOR_EACH, mod=2, rem=0, filter_throw=3) +
          sends(2, 1, 2, 3, 4) + pop(2, PCLOSE) + pop(2, PDESTROY))
    write(t, "swallow_eos", popen(0, 2, TO_VECTOR, c1=coro(swallow=True, flush=6)) +
          sends(0, 7) + pop(0, PCLOSE))
    write(t, "sequence_flush_into_finished_stage",
          popen(0, 2, RECORDER, sequence=(coro(flush=10),), c1=coro(finish_after=0)) +
          pop(0, PCLOSE))
    write(t, "start_output_into_take_zero",
          popen(0, 0, TO_VECTOR, c1=coro(start=5, flush=6), take=0) + pop(0, PCLOSE))
    write(t, "run_tee", prun(2, TEE, [1, 2, 3, 4, 5], tee_a=2, tee_b=3,
                             sequence=(coro(start=9), coro(copies=2))))
    write(t, "three_open", popen(0, 0, TO_VECTOR, c1=coro(copies=2)) +
          popen(1, 1, RECORDER, sink_finish_after=2) + popen(2, 3, TEE, tee_a=1, tee_b=0) +
          sends(0, 1) + sends(1, 2) + sends(2, 3) + sends(1, 4) + pop(1, PDESTROY) +
          sends(0, 5) + pop(2, PCLOSE) + pop(0, PDESTROY))
    write(t, "stage_throws_in_sequence", popen(0, 1, TO_VECTOR,
                                               sequence=(coro(), coro(throw_at=4))) +
          sends(0, 1, 2, 3, 4, 5) + pop(0, PCLOSE))
    # Batched runs: the same configuration over a vector (spans) and a list (one by one).
    write(t, "batch_transform_stops_at_take",
          brun(0, bvalues([1, 2, 3, 15]), transform_throw=15, take1=3))
    write(t, "batch_take_one_of_many", brun(0, blong(12, 7, 3), take1=1, filter_lookahead=True,
                                            transform_lookahead=True, b1_copies=2))
    write(t, "batch_first_stage_then_single_throws",
          brun(1, blong(11, 5, 2), b1_copies=2, take1=7, c_throw=9, f1_mod=3, f1_rem=1))
    write(t, "batch_finish_mid_span", brun(2, blong(6, 3, 0), filter_lookahead=True, f1_mod=2,
                                           f1_rem=0, b1_finish=3, b2_copies=2, take2=4))
    write(t, "batch_filter_throws_after_single",
          brun(3, blong(9, 1, 4), f2_throw=7, c_copies=2, transform_lookahead=True))
    write(t, "batch_short_lookahead_list_and_vector",
          brun(0, bvalues([5, 6, 7, 8]), filter_lookahead=True, f1_mod=2, f1_rem=1, take2=2,
               b2_finish=1))


# A batched run: head byte 240 or more, then the batch shape, this configuration and the values.
BATCH_RUN = 240


def brun(shape, values, filter_lookahead=False, transform_lookahead=False, f1_mod=1, f1_rem=5,
         f1_throw=None, f2_mod=1, f2_rem=5, f2_throw=None, mul=1, add=0, transform_throw=None,
         take1=None, take2=None, b1_copies=1, b1_finish=None, b2_copies=1, b2_finish=None,
         c_copies=1, c_finish=None, c_throw=None):
    return [BATCH_RUN, shape, 1 if filter_lookahead else 0, 1 if transform_lookahead else 0,
            f1_mod - 1, f1_rem, maybe(f1_throw), f2_mod - 1, f2_rem, maybe(f2_throw), mul - 1,
            add, maybe(transform_throw), 8 if take1 is None else take1,
            8 if take2 is None else take2, b1_copies, fin(b1_finish), b2_copies, fin(b2_finish),
            c_copies, fin(c_finish), maybe(c_throw)] + values


def bvalues(values):
    """A short stream: these values."""
    return [1, len(values), *values]


def blong(k, a, b):
    """A stream of 100 + 60 k generated values, (i a + b + i / 7) mod 16."""
    return [0, k, a - 1, b]


# --- aggregates -------------------------------------------------------------------------------
# A mode byte (0 doubles, 1 int64, 2 uint64), an ewma byte (alpha = (b + 1) / 256), then the
# values, eight bytes each, little-endian.
def aggregates():
    t = "aggregates"
    inf, nan = float("inf"), float("nan")

    def doubles(name, alpha_byte, values):
        write(t, name, bytes([0, alpha_byte]) + b"".join(struct.pack("<d", v) for v in values))

    def ints(name, mode, values):
        fmt = "<q" if mode == 1 else "<Q"
        write(t, name, bytes([mode, 0]) + b"".join(struct.pack(fmt, v) for v in values))

    doubles("plain", 127, [2, 4, 4, 4, 5, 5, 7, 9])
    doubles("nan_in_the_middle", 63, [1, 2, nan, 4])
    doubles("infinities", 191, [1, inf, 5, -inf, 7])
    doubles("extremes", 31, [1.7976931348623157e308, -1.7976931348623157e308, 1e308, 1e308])
    doubles("large_offset", 7, [1e9 + 0.25, 1e9 + 0.5, 1e9 + 0.75, 1e9 + 1.0])
    doubles("subnormals", 200, [5e-324, 1e-320, -5e-324, 0.0, -0.0])
    doubles("alpha_one", 255, [nan, 3, inf, 4])
    # The accuracy cases of the mergeable aggregates; the ewma byte also picks how many parts
    # the merge checks split the values into ((b + 1) mod 8 + 1).
    doubles("offset_quarters", 2, [1e15 + i * 0.25 for i in range(7)])
    doubles("spread_overflows", 3, [1e200, -1e200, 1e200])
    doubles("spread_underflows", 4, [1e-170, -1e-170, 1e-170, -1e-170])
    doubles("cancelling_sum", 5, [1e16, 1, -1e16, 1e100, 3, -1e100])
    ints("int64_overflow", 1, [2**63 - 6, 3, 3])
    ints("int64_extremes", 1, [2**63 - 1, -2**63, 2**63 - 1, -2**63])
    ints("uint64_overflow", 2, [2**64 - 1, 1])


if __name__ == "__main__":
    coroutine_protocol()
    pipeline_topology()
    aggregates()
