"""The request a call makes, as the engine assembles it (docs/python.md,
"Decide" and "@guard"): who the actor is, which context and session, which
arguments — and what happens to pieces of the wrong type."""

import pytest

import permit0
from permit0 import guard


@pytest.fixture
def a(bundle, pub):
    return permit0.Authorizer(bundle, [pub])


def req(a, args, *, tool=False, actor=None, context=None, session=None):
    key = "tool" if tool else "action"
    name = "stripe_create_refund" if tool else "payments.refund"
    return a._request(key, name, args, actor, context, session)


def test_the_actor_is_the_guards_then_the_args_then_the_explicit_one(a):
    @guard(actor={"id": "guard_actor", "role": "support", "team": "emea"})
    def inner():
        return req(a, {"amount": 1, "charge_id": "c", "actor": {"id": "lifted", "role": "lead"}},
                   actor={"team": "apac"})

    # Each later source merges over the earlier one, field by field.
    assert inner()["actor"] == {"id": "lifted", "role": "lead", "team": "apac"}


def test_a_raw_tool_calls_actor_argument_stays_an_argument(a):
    r = req(a, {"charge": "ch_1", "amount": 1, "actor": "someone"}, tool=True)
    assert r == {"tool": "stripe_create_refund",
                 "args": {"charge": "ch_1", "amount": 1, "actor": "someone"}}


def test_an_actor_argument_that_is_neither_id_nor_dict_stays_an_argument(a):
    r = req(a, {"amount": 1, "charge_id": "c", "actor": 7})
    assert r["args"]["actor"] == 7 and "actor" not in r


def test_the_callers_dict_is_never_changed(a):
    args = {"amount": 1, "charge_id": "c", "actor": "agent_7"}
    req(a, args)
    assert args == {"amount": 1, "charge_id": "c", "actor": "agent_7"}


def test_context_merges_over_the_guards_tenant_and_an_explicit_session_wins(a):
    @guard(session="guard-session", tenant="acme")
    def inner():
        return (req(a, {"amount": 1, "charge_id": "c"}, context={"env": "prod"}),
                req(a, {"amount": 1, "charge_id": "c"}, session={"id": "mine", "kind": "chat"}))

    first, second = inner()
    assert first["context"] == {"tenant": "acme", "env": "prod"}
    assert first["session"] == {"id": "guard-session"}
    assert second["session"] == {"id": "mine", "kind": "chat"}


def test_only_declared_inputs_are_filled_and_none_is_skipped(a):
    @guard
    def refund(charge_id, amount, secret_note="do not send", currency=None):
        return req(a, {"amount": amount})

    r = refund("ch_1", 5000)
    # secret_note is no input field of payments.refund; currency is None.
    assert r["args"] == {"amount": 5000, "charge_id": "ch_1"}


@pytest.mark.parametrize(
    "call, why",
    [
        (dict(args=["amount", 1]), "args must be a dict"),
        (dict(args={"amount": 1}, actor=42), "actor must be an id"),
        (dict(args={"amount": 1}, session=3.5), "session must be an id"),
        (dict(args={"amount": 1}, context="prod"), "context must be a dict"),
        (dict(args={1: "x"}), "not a string"),
        (dict(args={"amount": float("nan")}), "not a finite number"),
        (dict(args={"amount": 2**70}), "out of range"),
    ],
)
def test_a_request_that_cannot_be_built_is_a_deny(a, call, why):
    args = call.pop("args")
    d = a.check("payments.refund", args, **call)
    assert d.verdict == "deny" and why in d.reason and "fail closed" in d.reason


def test_a_list_that_holds_itself_is_a_deny_not_a_crash(a):
    loop = []
    loop.append(loop)
    d = a.check("payments.refund", {"amount": 1, "charge_id": "c", "tags": loop})
    assert d.verdict == "deny" and "nested" in d.reason
