"""The refund example of the README, as written.

    permit0 keygen ops
    permit0 build --key ops.key -o refunds.p0b python/examples/refunds.p0
    PERMIT0_BUNDLE=refunds.p0b PERMIT0_TRUSTED=ops.pub python python/examples/refund.py

The policy (refunds.p0 beside this file) allows refunds up to 100.00,
escalates larger ones ("refunds over 100.00 need a human") and denies
those over 10,000.00. `charge_id` reaches the request from the guarded
function's own argument; the refund's currency is its charge's.
"""

import sys

import permit0


class stripe:  # a stand-in for the Stripe SDK, so the example runs offline
    class Refund:
        @staticmethod
        def create(charge_id):
            return {"object": "refund", "charge": charge_id, "status": "succeeded"}


# --- the seed, as written --------------------------------------------------------
from permit0 import guard, permit

@guard
def refund_customer(charge_id, amount):
    permit.require("payments.refund", {
        "amount": amount,
        "actor": "support_agent_v2",
    })
    return stripe.Refund.create(charge_id)
# ----------------------------------------------------------------------------------


if __name__ == "__main__":
    print(refund_customer("ch_3O9k...", amount=5000))  # 50.00: allowed
    try:
        # agent fires this after a customer complaint
        refund_customer("ch_3O9k...", amount=85000)
    except permit0.EscalationRequired as e:
        print(f"escalate: {e.reason} (rule {e.rule})")
    else:
        sys.exit("850.00 should need a human")
