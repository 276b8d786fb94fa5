"""Remote mode against a stand-in for `permit0 serve` (its /v1/decide and
/v1/approvals/{id}/wait, as crates/server answers them). The test against a
real `permit0 serve` comes when the service lands on main."""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import permit0
from permit0 import permit


class FakeServe(BaseHTTPRequestHandler):
    seen: list = []

    def log_message(self, *a):
        pass

    def _send(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        if self.headers.get("Authorization") != "Bearer agent-key":
            return self._send(401, {"error": "no API key"})
        req = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeServe.seen.append(req)
        amount = req["args"].get("amount", 0)
        if amount == 666:
            return self._send(500, {"error": "boom"})
        base = {"action": req.get("action"), "action_digest": "sha256:ab", "bundle": "sha256:cd",
                "risk": {"flags": ["FINANCIAL"], "score": 29, "tier": "medium"}}
        if amount > 10_000:
            return self._send(200, {**base, "decision": "escalate", "approval": "ap_1",
                                    "reason": "refunds over 100.00 need a human", "rule": "p:1"})
        return self._send(200, {**base, "decision": "allow", "reason": "ok", "rule": "p:2"})

    def do_GET(self):
        if self.path.startswith("/v1/approvals/ap_1/wait"):
            return self._send(200, {"action": "payments.refund", "approval": "ap_1",
                                    "state": "approved", "decision": "allow",
                                    "reason": "approved by ops", "token": "tok.abc",
                                    "bundle": "sha256:cd", "risk": None, "rule": "p:1"})
        return self._send(404, {"error": "no such approval"})


@pytest.fixture
def serve():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), FakeServe)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    FakeServe.seen = []
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()


def test_remote_allow_and_escalate(serve):
    permit0.configure(url=serve, api_key="agent-key")
    d = permit.require("payments.refund", {"amount": 5000, "charge_id": "c", "actor": "a1"})
    assert d.verdict == "allow"
    assert FakeServe.seen[-1]["actor"] == {"id": "a1"}
    with pytest.raises(permit0.EscalationRequired) as e:
        permit.require("payments.refund", {"amount": 85000, "charge_id": "c"})
    assert e.value.approval_id == "ap_1"
    assert e.value.reason == "refunds over 100.00 need a human"


def test_remote_wait_returns_the_humans_answer(serve, monkeypatch):
    monkeypatch.setenv("PERMIT0_URL", serve)
    monkeypatch.setenv("PERMIT0_API_KEY", "agent-key")
    d = permit.require("payments.refund", {"amount": 85000, "charge_id": "c"}, wait=5)
    assert d.verdict == "allow" and d.token == "tok.abc" and d.reason == "approved by ops"


def test_remote_async_carries_the_guard_scope(serve):
    import asyncio

    permit0.configure(url=serve, api_key="agent-key")

    @permit0.guard(actor="agent_9", tenant="acme")
    async def refund(charge_id, amount):
        return await permit.arequire("payments.refund", {"amount": amount, "charge_id": charge_id})

    assert asyncio.run(refund("c", 5000)).verdict == "allow"
    assert FakeServe.seen[-1]["actor"] == {"id": "agent_9"}
    assert FakeServe.seen[-1]["context"] == {"tenant": "acme"}


def test_remote_errors_deny(serve):
    permit0.configure(url=serve, api_key="wrong-key")
    assert permit.check("payments.refund", {"amount": 1, "charge_id": "c"}).verdict == "deny"
    permit0.configure(url=serve, api_key="agent-key")
    assert permit.check("payments.refund", {"amount": 666, "charge_id": "c"}).verdict == "deny"
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    permit0.configure(url=f"http://127.0.0.1:{port}", api_key="agent-key")
    with pytest.raises(permit0.Denied):
        permit.require("payments.refund", {"amount": 1, "charge_id": "c"})
