"""Per-call overhead of a decision from Python, embedded mode.

    python python/benches/per_call.py BUNDLE PUB

Prints the median time per call over repeated timeit runs of: the native
engine alone (`_native.Authorizer.decide` on a dict), and `permit.check`
(request assembly, decision, the frozen Decision). Measure a release build
(`pip install ./python`), not the dev wheel of run-tests.sh.
"""

import statistics
import sys
import timeit

import permit0
from permit0 import permit


def median_us(fn, number=20_000, repeat=7):
    runs = timeit.repeat(fn, number=number, repeat=repeat)
    return statistics.median(runs) / number * 1e6


def main():
    bundle, pub = sys.argv[1], sys.argv[2]
    a = permit0.configure(bundle=bundle, trusted=[pub])
    args = {"amount": 5000, "charge_id": "ch_1", "currency": "usd"}
    req = {"action": "payments.refund", "args": args, "actor": {"id": "support_agent_v2"}}
    native = a._native
    print(f"native decide:  {median_us(lambda: native.decide(req)):.2f} µs")
    print(f"permit.check:   {median_us(lambda: permit.check('payments.refund', args, actor='support_agent_v2')):.2f} µs")


if __name__ == "__main__":
    main()
