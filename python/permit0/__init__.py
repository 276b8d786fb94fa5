"""permit0: the action authorization layer for AI agents, in-process.

    import permit0
    from permit0 import guard, permit

    permit0.configure(bundle="policy.p0b", trusted=["ops.pub"])  # or PERMIT0_BUNDLE / PERMIT0_TRUSTED

    @guard
    def refund_customer(charge_id, amount):
        permit.require("payments.refund", {"amount": amount, "actor": "support_agent_v2"})
        ...

``permit.require`` returns the ``Decision`` when the policy allows the action
and raises ``Denied`` or ``EscalationRequired`` otherwise. See docs/python.md.
"""

from ._api import (
    TIERS,
    Authorizer,
    BundleError,
    Decision,
    Denied,
    EscalationRequired,
    PermitError,
    RemoteAuthorizer,
    Risk,
    configure,
    guard,
    permit,
    reset,
)

__all__ = [
    "TIERS",
    "Authorizer",
    "BundleError",
    "Decision",
    "Denied",
    "EscalationRequired",
    "PermitError",
    "RemoteAuthorizer",
    "Risk",
    "configure",
    "guard",
    "permit",
    "reset",
]
