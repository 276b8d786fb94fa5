"""Per-call time of a decision from Python, embedded mode.

    permit0 keygen ops
    permit0 build --key ops.key -o refunds.p0b python/examples/refunds.p0
    pip install ./python                 # a release build: measure that one
    python python/benches/per_call.py refunds.p0b ops.pub [ops.key]

Prints the median per call over 7 timeit runs of 20,000 calls, in CPU time
of this process (`time.process_time`: on a shared machine, wall time counts
other processes' turns too):

- `permit.require, seed form`: the issue's canonical call —
  `permit.require("payments.refund", {"amount": 5000, "charge_id": …,
  "actor": "support_agent_v2"})` — allowed. Each call is in a new session
  (an agent's first refund there), since the example policy's stdlib caps
  refunds per session: the same session would escalate after twenty.
- `permit.require in @guard`: the same inside a guarded function whose
  `charge_id` argument fills the request (the guard's own call excluded).
- `@guard call + require`: the whole guarded call.
- `permit.check, long session`: one session already holding 512 refunds
  (an escalation: the burst cap); the engine reads the whole history.
- `native decide`: `_native.Authorizer.decide` on a whole request dict —
  the engine's share, plus turning the dict into its JSON value.
- with a key, `permit.require + token`: an allow whose token is read
  (minted and signed on that first read).
"""

import itertools
import statistics
import sys
import time
import timeit

import permit0
from permit0 import guard, permit

NUMBER, REPEAT = 20_000, 7


def median_us(fn, number=NUMBER):
    runs = timeit.repeat(fn, number=number, repeat=REPEAT, timer=time.process_time)
    return statistics.median(runs) / number * 1e6


def main():
    bundle, pub = sys.argv[1], sys.argv[2]
    key = sys.argv[3] if len(sys.argv) > 3 else None
    a = permit0.configure(bundle=bundle, trusted=[pub])
    native = a._native
    # Enough sessions that none repeats within the runs (the store keeps
    # the 4,096 most recent).
    sessions = itertools.cycle([f"s-{i}" for i in range(200_000)])
    seed = {"amount": 5000, "charge_id": "ch_1", "actor": "support_agent_v2"}

    def require():
        return permit.require("payments.refund", seed, session=next(sessions))

    @guard(actor="support_agent_v2")
    def refund_customer(charge_id, amount):
        return permit.require("payments.refund", {"amount": amount}, session=next(sessions))

    inside = {}

    @guard(actor="support_agent_v2")
    def timed_inside(charge_id, amount):
        def call():
            return permit.require("payments.refund", {"amount": amount}, session=next(sessions))

        assert call().verdict == "allow"
        inside["us"] = median_us(call)

    def guarded():
        return refund_customer("ch_1", amount=5000)

    long_args = {"amount": 100, "charge_id": "ch_1"}
    for _ in range(600):
        permit.check("payments.refund", long_args, session="long")

    def long_session():
        return permit.check("payments.refund", long_args, session="long")

    def native_decide():
        return native.decide({
            "action": "payments.refund",
            "args": {"amount": 5000, "charge_id": "ch_1"},
            "actor": {"id": "support_agent_v2"},
            "session": {"id": next(sessions)},
        })

    def verdict(d):  # (an older build's native decide gave a dict)
        return d["decision"] if isinstance(d, dict) else d.verdict

    for name, fn in [("require", require), ("guarded", guarded), ("native", native_decide)]:
        assert verdict(fn()) == "allow", name
    assert long_session().verdict == "escalate"

    print(f"permit.require, seed form: {median_us(require):6.2f} µs")
    timed_inside("ch_1", 5000)
    print(f"permit.require in @guard:  {inside['us']:6.2f} µs")
    print(f"@guard call + require:     {median_us(guarded):6.2f} µs")
    print(f"permit.check, long session:{median_us(long_session):6.2f} µs")
    print(f"native decide:             {median_us(native_decide):6.2f} µs")
    if key:
        permit0.configure(bundle=bundle, trusted=[pub], signing_key=key)

        def with_token():
            return permit.require("payments.refund", seed, session=next(sessions)).token

        assert with_token().startswith("p0t1.")
        print(f"permit.require + token:    {median_us(with_token, number=2_000):6.2f} µs")


if __name__ == "__main__":
    main()
