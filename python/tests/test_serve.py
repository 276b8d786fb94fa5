"""Remote mode against a real `permit0 serve`, started by the test with the
example policy (python/examples/refunds.p0), an agent key and an approver
key: the SDK's requests decided by the service, and `require(..., wait=N)`
released by an approver's answer through the service's API."""

import json
import re
import subprocess
import threading
import time
import urllib.request
import uuid

import pytest

import permit0
from permit0 import guard, permit

from conftest import _bin


def _keys_add(data, role, name):
    out = subprocess.run(
        [_bin(), "keys", "add", "--data", str(data), "--role", role, "--name", name],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


class Serve:
    def __init__(self, url, agent, approver):
        self.url, self.agent, self.approver = url, agent, approver

    def call(self, method, path, key, body=None):
        data = None if body is None else json.dumps(body).encode()
        r = urllib.request.Request(self.url + path, data=data, method=method)
        r.add_header("Authorization", f"Bearer {key}")
        r.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(r, timeout=10) as resp:
            return json.loads(resp.read())

    def pending_for(self, session, timeout=20.0):
        """The pending approval of the request made in `session` (as an
        approver sees it), once it is queued."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for a in self.call("GET", "/v1/approvals?state=pending", self.approver)["approvals"]:
                if (a.get("request") or {}).get("session", {}).get("id") == session:
                    return a
            time.sleep(0.05)
        raise AssertionError(f"no pending approval for session {session}")


@pytest.fixture(scope="module")
def serve(tmp_path_factory, bundle, pub):
    data = tmp_path_factory.mktemp("serve-data")
    agent = _keys_add(data, "agent", "refund-bot")
    approver = _keys_add(data, "approver", "alice")
    proc = subprocess.Popen(
        [_bin(), "serve", "--bundle", str(bundle), "--trusted", str(pub), "--data", str(data),
         "--listen", "127.0.0.1:0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = None
    seen = []
    for line in proc.stderr:  # ends when the process exits
        seen.append(line)
        m = re.search(r"listening on (http://\S+)", line)
        if m:
            url = m.group(1)
            break
    if url is None:
        proc.kill()
        pytest.fail("permit0 serve did not start:\n" + "".join(seen))
    # Keep draining its stderr so it never blocks on a full pipe.
    threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()
    yield Serve(url, agent, approver)
    proc.terminate()
    proc.wait(timeout=20)


def test_the_service_allows_a_small_refund_as_the_embedded_engine_does(serve, bundle, pub):
    permit0.configure(url=serve.url, api_key=serve.agent)
    d = permit.require(
        "payments.refund",
        {"amount": 5000, "charge_id": "ch_1", "actor": "support_agent_v2"},
        session=f"s-{uuid.uuid4()}",
    )
    assert d.verdict == "allow"
    # The same bundle decided it: the service's answer names its digest.
    assert d.bundle == permit0.Authorizer(bundle, [pub]).bundle
    assert d.action == "payments.refund" and d.action_digest.startswith("sha256:")


def test_the_service_escalates_an_850_refund_and_queues_it(serve):
    permit0.configure(url=serve.url, api_key=serve.agent)
    session = f"s-{uuid.uuid4()}"
    with pytest.raises(permit0.EscalationRequired) as e:
        permit.require("payments.refund", {"amount": 85000, "charge_id": "ch_2"}, session=session)
    assert e.value.reason == "refunds over 100.00 need a human"
    assert e.value.approval_id and e.value.approval_id.startswith("apr_")
    # An approver sees it, with the request the SDK sent.
    a = serve.pending_for(session)
    assert a["id"] == e.value.approval_id
    assert a["request"]["args"] == {"amount": 85000, "charge_id": "ch_2"}


def test_the_service_denies_a_20000_refund(serve):
    permit0.configure(url=serve.url, api_key=serve.agent)
    with pytest.raises(permit0.Denied) as e:
        permit.require("payments.refund", {"amount": 2_000_000, "charge_id": "ch_3"})
    assert e.value.reason == "refunds over 10,000.00 are never made by an agent"


def test_a_wrong_api_key_is_a_deny(serve):
    permit0.configure(url=serve.url, api_key="p0k_" + "0" * 64)
    with pytest.raises(permit0.Denied):
        permit.require("payments.refund", {"amount": 5000, "charge_id": "ch_4"})


def _require_in_thread(session, amount, wait):
    """Runs a guarded refund that waits for a human, in a thread; returns
    the thread and a dict that gets the result or the exception."""
    got = {}

    @guard(actor="support_agent_v2", session=session)
    def refund(charge_id, amount):
        return permit.require(
            "payments.refund", {"amount": amount, "charge_id": charge_id}, wait=wait
        )

    def run():
        try:
            got["decision"] = refund("ch_9", amount)
        except Exception as e:  # noqa: BLE001 — the test looks at it
            got["error"] = e

    t = threading.Thread(target=run)
    t.start()
    return t, got


def test_wait_returns_the_approved_decision_with_a_token_that_redeems_once(serve):
    permit0.configure(url=serve.url, api_key=serve.agent)
    session = f"s-{uuid.uuid4()}"
    t, got = _require_in_thread(session, 85000, wait=30)
    a = serve.pending_for(session)
    # The agent is still waiting: nobody has answered.
    assert t.is_alive()
    serve.call("POST", f"/v1/approvals/{a['id']}/approve", serve.approver,
               {"comment": "customer is a known account"})
    t.join(timeout=30)
    assert not t.is_alive()
    d = got.get("decision")
    assert d is not None, got
    assert d.verdict == "allow"
    # "approved by alice (key …): customer is a known account"
    assert d.reason.startswith("approved by alice")
    assert d.reason.endswith(": customer is a known account")
    assert d.approval_id == a["id"]
    assert d.token and d.token.startswith("p0t1.")
    # The executor redeems the token for exactly this request, once.
    body = {"token": d.token, "request": a["request"]}
    assert serve.call("POST", "/v1/tokens/redeem", serve.agent, body)["ok"] is True
    with pytest.raises(urllib.error.HTTPError) as e:
        serve.call("POST", "/v1/tokens/redeem", serve.agent, body)
    assert e.value.code == 403


def test_wait_raises_denied_when_the_approver_denies(serve):
    permit0.configure(url=serve.url, api_key=serve.agent)
    session = f"s-{uuid.uuid4()}"
    t, got = _require_in_thread(session, 85000, wait=30)
    a = serve.pending_for(session)
    serve.call("POST", f"/v1/approvals/{a['id']}/deny", serve.approver, {"comment": "not this one"})
    t.join(timeout=30)
    e = got.get("error")
    assert isinstance(e, permit0.Denied), got
    assert e.reason.startswith("denied by alice") and e.reason.endswith(": not this one")
    assert e.decision.approval_id == a["id"]


def test_wait_that_times_out_still_raises_the_escalation(serve):
    permit0.configure(url=serve.url, api_key=serve.agent)
    session = f"s-{uuid.uuid4()}"
    with pytest.raises(permit0.EscalationRequired) as e:
        permit.require("payments.refund", {"amount": 85000, "charge_id": "ch_5"},
                       session=session, wait=1)
    assert e.value.approval_id == serve.pending_for(session)["id"]


def test_the_approval_wait_example_runs_when_a_human_approves(serve, monkeypatch):
    # python/examples/approval_wait.py as written, configured from the
    # environment only; an approver answers while it waits.
    import importlib.util

    from conftest import EXAMPLES

    monkeypatch.setenv("PERMIT0_URL", serve.url)
    monkeypatch.setenv("PERMIT0_API_KEY", serve.agent)
    monkeypatch.setenv("PERMIT0_WAIT", "30")
    spec = importlib.util.spec_from_file_location("approval_wait", EXAMPLES / "approval_wait.py")
    ex = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ex)
    got = {}
    t = threading.Thread(target=lambda: got.update(refund=ex.refund_customer("ch_3O9k...", 85000)))
    t.start()
    a = serve.pending_for("ticket-4711")
    assert a["request"]["actor"] == {"id": "support_agent_v2"}
    serve.call("POST", f"/v1/approvals/{a['id']}/approve", serve.approver, {"comment": "ok"})
    t.join(timeout=30)
    assert got.get("refund") == {"object": "refund", "charge": "ch_3O9k...", "status": "succeeded"}
