"""The seed example of issue 14, run as written (python/examples/refund.py),
configured from the environment only."""

import importlib.util

import pytest

import permit0
from permit0 import guard, permit

from conftest import EXAMPLES


def load_example():
    spec = importlib.util.spec_from_file_location("refund_example", EXAMPLES / "refund.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_a_50_refund_goes_through(env_configured):
    # 50.00 is under the policy's 100.00 line: the refund runs.
    ex = load_example()
    assert ex.refund_customer("ch_3O9k...", amount=5000) == {
        "object": "refund", "charge": "ch_3O9k...", "status": "succeeded"
    }


def test_an_850_refund_escalates_for_the_policys_reason(env_configured):
    # The seed's own call: it escalates because the policy says so, not
    # because charge_id or currency is missing.
    ex = load_example()
    with pytest.raises(permit0.EscalationRequired) as e:
        ex.refund_customer("ch_3O9k...", amount=85000)
    assert e.value.reason == "refunds over 100.00 need a human"
    assert e.value.rule is not None and e.value.rule.startswith("examples.python_refunds:")
    assert e.value.decision.verdict == "escalate"
    assert e.value.decision.action == "payments.refund"


def test_a_20000_refund_is_denied(env_configured):
    ex = load_example()
    with pytest.raises(permit0.Denied) as e:
        ex.refund_customer("ch_3O9k...", amount=2_000_000)
    assert e.value.reason == "refunds over 10,000.00 are never made by an agent"
    assert e.value.decision.verdict == "deny"


def test_the_guarded_functions_arguments_fill_the_action(env_configured):
    # Outside @guard nothing names the charge: the request cannot be bound,
    # so it escalates for that — never an allow.
    d = permit.check("payments.refund", {"amount": 5000, "actor": "support_agent_v2"})
    assert d.verdict == "escalate"
    assert "charge_id" in d.reason

    @guard
    def refund(charge_id, amount):
        return permit.check("payments.refund", {"amount": amount})

    assert refund("ch_1", 5000).verdict == "allow"


def test_the_dict_wins_over_the_functions_arguments(env_configured):
    @guard
    def refund(charge_id, amount):
        # the function was called with 50.00, the dict says 850.00
        return permit.check("payments.refund", {"amount": 85000})

    d = refund("ch_1", amount=5000)
    assert d.verdict == "escalate"
    assert d.reason == "refunds over 100.00 need a human"


def test_actor_in_args_is_lifted_to_actor_id(env_configured, bundle, pub):
    a = permit0.Authorizer(bundle, [pub])
    req = a._request("action", "payments.refund", {"amount": 1, "actor": "agent_7"}, None, None, None)
    assert req["actor"] == {"id": "agent_7"}
    assert "actor" not in req["args"]


def test_require_returns_the_frozen_decision(env_configured):
    d = permit.require("payments.refund", {"amount": 5000, "charge_id": "ch_1"})
    assert d.verdict == "allow" and d.allowed
    assert d.risk is not None and d.risk.tier in permit0.TIERS
    assert d.to_dict()["decision"] == "allow"
    assert d.to_dict()["action_digest"].startswith("sha256:")
    with pytest.raises(AttributeError):
        d.verdict = "deny"  # frozen


def test_configure_explicitly(bundle, pub):
    permit0.configure(bundle=str(bundle), trusted=[str(pub)])
    assert permit.check("payments.refund", {"amount": 85000, "charge_id": "c"}).verdict == "escalate"


def test_a_raw_tool_call_is_decided(env_configured):
    # The stdlib's Stripe mapping turns the raw call into payments.refund.
    d = permit.check_tool("stripe_create_refund", {"charge": "ch_1", "amount": 85000})
    assert d.action == "payments.refund"
    assert d.verdict == "escalate"
    with pytest.raises(permit0.EscalationRequired):
        permit.tool("stripe_create_refund", {"charge": "ch_1", "amount": 85000})


def test_the_tool_wrapper_example_stops_a_destructive_command(env_configured):
    spec = importlib.util.spec_from_file_location("tool_example", EXAMPLES / "tool_wrapper.py")
    ex = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ex)
    d = permit.check_tool("run_command", {"command": "rm -rf ~"})
    assert d.action == "process.exec" and d.verdict in ("deny", "escalate")
    with pytest.raises(permit0.PermitError):
        ex.run_command("rm -rf ~")  # never runs


def test_a_decision_and_its_exception_pickle(env_configured):
    # Agents hand decisions across processes (a worker pool, a queue).
    import pickle

    d = permit.check("payments.refund", {"amount": 5000, "charge_id": "ch_1"})
    back = pickle.loads(pickle.dumps(d))
    assert back == d and back.risk == d.risk and back.to_dict() == d.to_dict()
    with pytest.raises(permit0.EscalationRequired) as e:
        permit.require("payments.refund", {"amount": 85000, "charge_id": "ch_1"})
    again = pickle.loads(pickle.dumps(e.value))
    assert again.decision == e.value.decision and again.reason == e.value.reason
