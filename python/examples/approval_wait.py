"""Waiting for a human: the refund example in remote mode, against a local
`permit0 serve`. A refund the policy escalates is queued for an approver,
and the agent waits for the answer instead of failing.

    permit0 keygen ops
    permit0 build --key ops.key -o refunds.p0b python/examples/refunds.p0
    permit0 keys add --data state --role agent --name refund-bot    # prints the agent's key
    permit0 keys add --data state --role approver --name alice      # prints the approver's key
    permit0 serve --bundle refunds.p0b --trusted ops.pub --data state &

    PERMIT0_URL=http://127.0.0.1:8750 PERMIT0_API_KEY=<agent key> \\
        python python/examples/approval_wait.py

While it waits, answer on the approvers' page (http://127.0.0.1:8750/,
signed in with the approver's key) or over the API:

    curl -H "Authorization: Bearer <approver key>" 'http://127.0.0.1:8750/v1/approvals?state=pending'
    curl -X POST -H "Authorization: Bearer <approver key>" \\
        http://127.0.0.1:8750/v1/approvals/<id>/approve -d '{"comment": "ok"}'

Approved, the refund runs and the decision carries the capability token
the executor redeems (`POST /v1/tokens/redeem`); denied, it raises
`permit0.Denied`; with no answer within the wait, `EscalationRequired`.
"""

import os
import sys

import permit0
from permit0 import guard, permit

# How long the agent waits for a human, in seconds.
WAIT = float(os.environ.get("PERMIT0_WAIT", "300"))


class stripe:  # a stand-in for the Stripe SDK, so the example runs offline
    class Refund:
        @staticmethod
        def create(charge_id):
            return {"object": "refund", "charge": charge_id, "status": "succeeded"}


@guard(actor="support_agent_v2", session="ticket-4711")
def refund_customer(charge_id, amount):
    # Remote mode: the service knows no Python scope, so the charge is
    # passed in the dict (the actor and session come from @guard).
    d = permit.require("payments.refund", {"amount": amount, "charge_id": charge_id}, wait=WAIT)
    if d.token:
        print(f"{d.reason}; token {d.token[:16]}…", file=sys.stderr)
    return stripe.Refund.create(charge_id)


if __name__ == "__main__":
    try:
        print(refund_customer("ch_3O9k...", amount=85000))  # 850.00: needs a human
    except permit0.Denied as e:
        sys.exit(f"denied: {e.reason}")
    except permit0.EscalationRequired as e:
        sys.exit(f"no answer within {WAIT:.0f} s (approval {e.approval_id}): {e.reason}")
