"""Fail closed, thread safety, async scopes, and a reviewer that can only
tighten."""

import asyncio
import threading

import pytest

import permit0
from permit0 import guard, permit


def test_unconfigured_permit0_denies(monkeypatch):
    monkeypatch.delenv("PERMIT0_BUNDLE", raising=False)
    monkeypatch.delenv("PERMIT0_TRUSTED", raising=False)
    with pytest.raises(permit0.Denied) as e:
        permit.require("payments.refund", {"amount": 1, "charge_id": "c"})
    assert "not configured" in e.value.reason


def test_a_corrupt_bundle_is_refused_and_decisions_deny(tmp_path, monkeypatch, bundle, pub):
    data = bytearray(bundle.read_bytes())
    data[len(data) // 2] ^= 0xFF
    bad = tmp_path / "corrupt.p0b"
    bad.write_bytes(bytes(data))
    with pytest.raises(permit0.BundleError):
        permit0.configure(bundle=str(bad), trusted=[str(pub)])
    # Configured from the environment, a corrupt bundle makes every call a deny.
    monkeypatch.setenv("PERMIT0_BUNDLE", str(bad))
    monkeypatch.setenv("PERMIT0_TRUSTED", str(pub))
    d = permit.check("payments.refund", {"amount": 1, "charge_id": "c"})
    assert d.verdict == "deny"
    with pytest.raises(permit0.Denied):
        permit.require("payments.refund", {"amount": 1, "charge_id": "c"})


def test_a_bundle_signed_by_an_untrusted_key_is_refused(tmp_path, bundle):
    other = "permit0-public-key ed25519 " + "11" * 32
    with pytest.raises(permit0.BundleError):
        permit0.Authorizer(bundle, [other])


def test_an_engine_that_raises_denies(bundle, pub):
    a = permit0.Authorizer(bundle, [pub])

    class Broken:  # an engine that raises instead of deciding
        def check(self, *call):
            raise RuntimeError("boom")

    a._native = Broken()
    d = a.check("payments.refund", {"amount": 1, "charge_id": "c"})
    assert d.verdict == "deny" and "boom" in d.reason


def test_a_value_that_is_not_json_denies(bundle, pub):
    a = permit0.Authorizer(bundle, [pub])
    d = a.check("payments.refund", {"amount": 1, "charge_id": object()})
    assert d.verdict == "deny" and "not JSON" in d.reason
    # A set becomes a JSON list, which is no charge id: never an allow.
    assert a.check("payments.refund", {"amount": 1, "charge_id": {1, 2}}).verdict == "escalate"
    with pytest.raises(permit0.Denied):
        a.require("payments.refund", {"amount": object(), "charge_id": "c"})


def test_threads_share_one_authorizer(bundle, pub):
    a = permit0.Authorizer(bundle, [pub])
    errors = []

    def work(i):
        for n in range(200):
            amount = 5000 if (i + n) % 2 else 85000
            want = "allow" if amount == 5000 else "escalate"
            # A session each: the stdlib caps refunds per session and 24h.
            d = a.check(
                "payments.refund",
                {"amount": amount, "charge_id": f"ch_{i}_{n}"},
                session=f"s-{i}-{n}",
            )
            if d.verdict != want:
                errors.append((amount, d))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_guard_on_async_functions_keeps_each_tasks_scope(env_configured):
    @guard(actor={"id": "support_agent_v2", "role": "support"}, tenant="acme")
    async def refund(charge_id, amount):
        await asyncio.sleep(0)  # let the other task run in between
        return await permit.acheck("payments.refund", {"amount": amount})

    async def main():
        return await asyncio.gather(refund("ch_small", 5000), refund("ch_big", 85000))

    small, big = asyncio.run(main())
    assert small.verdict == "allow"
    assert big.verdict == "escalate"
    assert big.reason == "refunds over 100.00 need a human"


def test_guard_carries_actor_session_and_tenant(bundle, pub):
    a = permit0.Authorizer(bundle, [pub])

    @guard(actor="agent_1", session="s-9", tenant="acme")
    def inner():
        return a._request("action", "payments.refund", {"amount": 1, "charge_id": "c"}, None, None, None)

    req = inner()
    assert req["actor"] == {"id": "agent_1"}
    assert req["session"] == {"id": "s-9"}
    assert req["context"] == {"tenant": "acme"}


def test_the_reviewer_can_tighten_an_allow(bundle, pub):
    a = permit0.Authorizer(bundle, [pub], reviewer=lambda d, req: "deny", review_above="minimal")
    d = a.check("payments.refund", {"amount": 5000, "charge_id": "c"})
    assert d.verdict == "deny" and d.rule == "reviewer"


def test_the_reviewer_cannot_loosen(bundle, pub):
    seen = []

    def lenient(decision, request):
        seen.append(decision.verdict)
        return "allow"

    a = permit0.Authorizer(bundle, [pub], reviewer=lenient, review_above="minimal")
    big = {"amount": 85000, "charge_id": "c"}
    assert a.check("payments.refund", big, session="s-1").verdict == "escalate"
    huge = {"amount": 2_000_000, "charge_id": "c"}
    assert a.check("payments.refund", huge, session="s-2").verdict == "deny"
    # An "allow" from the reviewer on an allow keeps the allow, and it was
    # never asked about the escalation or the deny.
    small = {"amount": 5000, "charge_id": "c"}
    assert a.check("payments.refund", small, session="s-3").verdict == "allow"
    assert seen == ["allow"]


def test_a_reviewer_that_raises_keeps_the_decision(bundle, pub):
    def broken(decision, request):
        raise ValueError("reviewer down")

    a = permit0.Authorizer(bundle, [pub], reviewer=broken, review_above="minimal")
    assert a.check("payments.refund", {"amount": 5000, "charge_id": "c"}).verdict == "allow"


def test_the_reviewer_sees_only_allows_above_its_tier(bundle, pub):
    a = permit0.Authorizer(bundle, [pub], reviewer=lambda d, r: "escalate", review_above="critical")
    assert a.check("payments.refund", {"amount": 5000, "charge_id": "c"}).verdict == "allow"


def test_an_engine_that_raises_denies_through_permit_too(bundle, pub):
    # permit.check/require call the engine directly when no reviewer is
    # set: the same fail-closed answer on that path.
    a = permit0.configure(bundle=str(bundle), trusted=[str(pub)])

    class Broken:
        def check(self, *call):
            raise RuntimeError("boom")

    a._native = Broken()
    assert permit.check("payments.refund", {"amount": 1, "charge_id": "c"}).verdict == "deny"
    with pytest.raises(permit0.Denied) as e:
        permit.require("payments.refund", {"amount": 1, "charge_id": "c"})
    assert "boom" in e.value.reason
