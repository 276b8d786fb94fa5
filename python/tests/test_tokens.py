"""Capability tokens in embedded mode: an Authorizer given a signing key
gives each allow a token (docs/python.md, "Tokens"), and the executor's
own check — `permit0 token verify` — accepts it for exactly the request
that was allowed, once."""

import json
import subprocess

import pytest

import permit0

from conftest import _bin

REFUND = {"amount": 5000, "charge_id": "ch_1"}


def verify(token, request, tmp_path, bundle, pub):
    path = tmp_path / "request.json"
    path.write_text(json.dumps(request))
    return subprocess.run(
        [_bin(), "token", "verify", token, "--request", str(path), "--bundle", str(bundle),
         "--trusted", str(pub), "--spent", str(tmp_path / "spent")],
        capture_output=True,
        text=True,
    )


def test_an_allow_carries_a_token_the_executor_accepts_once(tmp_path, fixture_dir, bundle, pub):
    a = permit0.Authorizer(bundle, [pub], signing_key=fixture_dir / "ops.key", token_ttl=60)
    d = a.require("payments.refund", REFUND, actor="support_agent_v2")
    assert d.token and d.token.startswith("p0t1.")
    # Minted once: every read gives the same token.
    assert d.token == d.token == d.to_dict()["token"]
    request = a._request("action", "payments.refund", REFUND, "support_agent_v2", None, None)
    first = verify(d.token, request, tmp_path, bundle, pub)
    assert first.returncode == 0, first.stderr
    # Single use: the executor refuses it the second time.
    again = verify(d.token, request, tmp_path, bundle, pub)
    assert again.returncode != 0 and "already redeemed" in again.stderr


def test_the_token_binds_the_request_that_was_allowed(tmp_path, fixture_dir, bundle, pub):
    a = permit0.Authorizer(bundle, [pub], signing_key=str(fixture_dir / "ops.key"))
    d = a.require("payments.refund", REFUND)
    other = a._request("action", "payments.refund", {"amount": 9000, "charge_id": "ch_1"},
                       None, None, None)
    r = verify(d.token, other, tmp_path, bundle, pub)
    assert r.returncode != 0 and "not the approved one" in r.stderr


def test_no_token_without_a_key_nor_for_what_is_not_allowed(fixture_dir, bundle, pub):
    plain = permit0.Authorizer(bundle, [pub])
    assert plain.require("payments.refund", REFUND).token is None
    keyed = permit0.Authorizer(bundle, [pub], signing_key=fixture_dir / "ops.key")
    with pytest.raises(permit0.EscalationRequired) as e:
        keyed.require("payments.refund", {"amount": 85000, "charge_id": "ch_1"})
    assert e.value.decision.token is None
    # A request the bundle cannot type has no action digest: nothing to bind.
    assert keyed.check("payments.refund", {"amount": 1}).token is None
    # The reviewer's deny of an allow carries none either.
    strict = permit0.Authorizer(bundle, [pub], signing_key=fixture_dir / "ops.key",
                                reviewer=lambda d, r: "deny", review_above="minimal")
    assert strict.check("payments.refund", REFUND).token is None


def test_a_signing_key_that_is_not_one_is_refused(bundle, pub):
    with pytest.raises(permit0.BundleError):
        permit0.Authorizer(bundle, [pub], signing_key="permit0-secret-key ed25519 xyz")
    with pytest.raises(permit0.BundleError):
        permit0.Authorizer(bundle, [pub], signing_key=pub)  # a public key is no secret key


def test_the_reviewer_never_sees_a_token(fixture_dir, bundle, pub):
    # It may still turn the allow into a deny: no token exists until it has
    # kept the allow.
    seen = []

    def reviewer(d, request):
        seen.append(d.token)
        return None

    a = permit0.Authorizer(bundle, [pub], signing_key=fixture_dir / "ops.key",
                           reviewer=reviewer, review_above="minimal")
    d = a.require("payments.refund", REFUND)
    assert seen == [None]
    assert d.token and d.token.startswith("p0t1.")
