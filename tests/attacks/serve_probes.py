#!/usr/bin/env python3
"""An attacker's pass over `permit0 serve`, against the real binary: a signed
stdlib bundle, a real SQLite data directory, real HTTP. Each probe is an
attack and the answer expected; the script prints one line per probe and
exits non-zero when any answer is not the one expected.

    python3 tests/attacks/serve_probes.py [PATH/TO/permit0]   (default target/release/permit0)

The same attacks, as stories, are tests: crates/server/tests/attacks.rs and
web.rs; this script is the quick way to replay them (and the probes that
found nothing) on any build.
"""

import concurrent.futures as cf
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, "target/release/permit0"))
failed = []


def check(name, ok, detail=""):
    print(("ok    " if ok else "FAIL  ") + name + ("" if ok else f"  -- {str(detail)[:300]}"))
    if not ok:
        failed.append(name)


def p0(*args, cwd):
    return subprocess.run([BIN, *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    d = tempfile.mkdtemp(prefix="permit0-serve-probes-")
    p0("keygen", "ops", cwd=d)
    p0("keygen", "other", cwd=d)
    p0("build", os.path.join(REPO, "stdlib"), "--key", "ops.key", "-o", "std.p0b", cwd=d)
    p0("build", os.path.join(REPO, "stdlib"), "--key", "other.key", "-o", "other.p0b", cwd=d)
    keys = {}
    for role, tenant, name in [("agent", "acme", "a1"), ("agent", "acme", "a2"), ("approver", "acme", "ap1"), ("admin", "acme", "ad1"),
                               ("agent", "globex", "g1"), ("approver", "globex", "gp1")]:
        out = p0("keys", "add", "--data", "data", "--role", role, "--tenant", tenant, "--name", name, cwd=d)
        keys[name] = [l for l in out.splitlines() if l.startswith("p0k_")][0]
    port = free_port()
    server = subprocess.Popen([BIN, "serve", "--bundle", "std.p0b", "--trusted", "ops.pub", "--data", "data",
                               "--listen", f"127.0.0.1:{port}"], cwd=d,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port)).close()
                break
            except OSError:
                time.sleep(0.05)
        probes(d, port, keys)
    finally:
        server.terminate()
        server.wait(10)
        shutil.rmtree(d, ignore_errors=True)
    print(f"{len(failed)} failed" if failed else "all probes answered as expected")
    sys.exit(1 if failed else 0)


def probes(d, port, K):
    def req(method, path, key=None, body=None, headers=None):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        h = dict(headers or {})
        if key:
            h["Authorization"] = "Bearer " + key
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        try:
            return r.status, json.loads(data)
        except ValueError:
            return r.status, data

    def refund(amount, session, currency="usd", charge="ch_1"):
        a = {"amount": amount, "charge_id": charge}
        if currency:
            a["currency"] = currency
        return {"action": "payments.refund", "args": a, "session": {"id": session}, "actor": {"id": "bot"}}

    def approval(r):
        s, dd = req("POST", "/v1/decide", K["a1"], r)
        return dd.get("approval")

    # Keys and roles.
    check("an agent key reading approvals: 403", req("GET", "/v1/approvals", K["a1"])[0] == 403)
    check("an agent key uploading a bundle: 403", req("POST", "/v1/bundles", K["a1"], b"x")[0] == 403)
    check("an approver key deciding: 403", req("POST", "/v1/decide", K["ap1"], "{}")[0] == 403)
    check("no key: 401", req("GET", "/v1/approvals")[0] == 401)
    check("a key with a byte more: 401",
          req("GET", "/v1/approvals", headers={"Authorization": "Bearer " + K["ap1"] + "0"})[0] == 401)
    check("a 200 kB Authorization header: refused, not a crash",
          req("GET", "/v1/approvals", headers={"Authorization": "Bearer " + "a" * 200000})[0] in (400, 401, 431))
    s, e = req("POST", "/v1/decide", K["a1"], {**refund(900, "t"), "context": {"tenant": "globex"}})
    check("context.tenant naming another tenant: 403", s == 403, e)
    s, dd = req("POST", "/v1/decide", K["a1"], {**refund(900, "t"), "context": {"tenant": {"id": "globex"}}})
    check("context.tenant not a string: not allowed", dd.get("decision") != "allow", dd)

    # Tenants.
    aid = approval(refund(20000, "s1"))
    check("another tenant's approver reads, approves an approval: 404",
          req("GET", f"/v1/approvals/{aid}", K["gp1"])[0] == 404
          and req("POST", f"/v1/approvals/{aid}/approve", K["gp1"], {})[0] == 404)
    check("another tenant's agent waits on it: 404", req("GET", f"/v1/approvals/{aid}/wait?timeout=0", K["g1"])[0] == 404)
    check("a guessed approval id: 404", req("GET", "/v1/approvals/apr_0000000000000000", K["ap1"])[0] == 404)
    with cf.ThreadPoolExecutor(8) as ex:
        codes = sorted(f.result()[0] for f in [ex.submit(req, "POST", f"/v1/approvals/{aid}/" + ("approve" if i % 2 else "deny"),
                                                         K["ap1"], {}) for i in range(8)])
    check("eight approvers approving and denying at once: one wins, seven 409", codes == [200] + [409] * 7, codes)

    # Tokens.
    aid = approval(refund(20000, "s2", charge="ch_2"))
    s, a = req("POST", f"/v1/approvals/{aid}/approve", K["ap1"], {})
    tok = a["token"]
    r = refund(20000, "s2", charge="ch_2")
    s, e = req("POST", "/v1/tokens/redeem", K["g1"], {"token": tok, "request": r})
    check("another tenant redeems the token: 403", s == 403, e)
    dup = json.dumps(r).replace('"amount": 20000', '"amount": 9999999, "amount": 20000')
    s, e = req("POST", "/v1/tokens/redeem", K["a1"], '{"token": "%s", "request": %s}' % (tok, dup))
    check("redeemed for the request with a second amount of 9,999,999 first: 403", s == 403, e)
    for name, amount in [("1.0", "20000.0"), ("2e4", "2e4"), ("a string", '"20000"')]:
        v = json.dumps(r).replace('"amount": 20000', f'"amount": {amount}')
        s, e = req("POST", "/v1/tokens/redeem", K["a1"], '{"token": "%s", "request": %s}' % (tok, v))
        check(f"redeemed with the amount spelt {name}: 403", s == 403, e)
    aid = approval(refund(20000, "s3", charge="ch_5"))
    tok = req("POST", f"/v1/approvals/{aid}/approve", K["ap1"], {})[1]["token"]
    r = refund(20000, "s3", charge="ch_5")
    with cf.ThreadPoolExecutor(16) as ex:
        codes = sorted(f.result()[0] for f in [ex.submit(req, "POST", "/v1/tokens/redeem", K["a1"], {"token": tok, "request": r})
                                               for _ in range(16)])
    check("sixteen redemptions at once: exactly one 200", codes == [200] + [403] * 15, codes)

    # Deciding.
    two = '{"action":"payments.refund","args":{"amount":2000000,"currency":"usd","charge_id":"c","amount":900},"session":{"id":"b"}}'
    s, dd = req("POST", "/v1/decide", K["a1"], two)
    check("a second amount in /v1/decide: not allowed", dd.get("decision") != "allow", dd)
    s, b = req("POST", "/v1/decide/batch", K["a1"], "[" + two + "]")
    check("a second amount in a batch item: not allowed", s == 200 and b["decisions"][0]["decision"] != "allow", b)
    s, b = req("POST", "/v1/decide/batch", K["a1"], '{"requests":[],"requests":[' + two + "]}")
    check("`requests` given twice in a batch: 400", s == 400, b)
    for body in [b"", b"{", b"\xff", b"[" * 100000, b'{"a":' * 10000]:
        s, dd = req("POST", "/v1/decide", K["a1"], body)
        check(f"a malformed body {body[:6]!r}…: 400 or not allowed",
              s == 400 or (s == 200 and dd.get("decision") != "allow"), (s, dd))

    # Grants.
    aid = approval(refund(20000, "g1", currency="jpy", charge="ch_3"))
    s, a = req("POST", f"/v1/approvals/{aid}/approve", K["ap1"],
               {"grant": {"scope": "session", "minutes": 10, "max_amount": 100000}})
    for cur in ["kwd", None]:
        s, dd = req("POST", "/v1/decide", K["a1"], refund(90000, "g1", currency=cur, charge="ch_4"))
        check(f"a yen grant used for a refund in {cur or 'no currency'}: not allowed", dd.get("decision") != "allow", dd)
    s, dd = req("POST", "/v1/decide", K["a1"], refund(90000, "other", currency="jpy", charge="ch_4"))
    check("the grant used from another session: not allowed", dd.get("decision") != "allow", dd)
    s, dd = req("POST", "/v1/decide", K["a2"], refund(90000, "g1", currency="jpy", charge="ch_4"))
    check("the grant used by another agent key naming its session: not allowed", dd.get("decision") != "allow", dd)
    s, dd = req("POST", "/v1/decide", K["a1"], refund(90000, "g1", currency="jpy", charge="ch_4"))
    check("the grant used as given (its key, session, currency, limit): allowed", dd.get("decision") == "allow", dd)

    # Bundles.
    std = open(os.path.join(d, "std.p0b"), "rb").read()
    bad = bytearray(std)
    bad[len(bad) // 2] ^= 1
    running = req("POST", "/v1/decide", K["a1"], refund(900, "bb"))[1]["bundle"]
    for name, body in [("truncated", std[:1000]), ("tampered", bytes(bad)),
                       ("signed by an untrusted key", open(os.path.join(d, "other.p0b"), "rb").read()),
                       ("3 MB of noise", os.urandom(3_000_000))]:
        s, e = req("POST", "/v1/bundles", K["ad1"], body)
        check(f"a {name} bundle: refused", s in (400, 413), (s, e))
    check("the running bundle stays", req("POST", "/v1/decide", K["a1"], refund(900, "bb"))[1]["bundle"] == running)

    # The http hook.
    for name, body, key in [("no key", b"{}", None), ("not JSON", b"[" * 100000, K["a1"]),
                            ("a revoked-looking key", b"{}", "p0k_" + "0" * 64)]:
        s, h = req("POST", "/v1/hooks/claude-code", key, body)
        ok = s == 200 and h["hookSpecificOutput"]["permissionDecision"] == "deny"
        check(f"the http hook with {name}: 200 deny", ok, (s, h))

    # Still serving: 300 slow clients holding half-sent requests.
    socks = []
    for _ in range(300):
        c = socket.create_connection(("127.0.0.1", port))
        c.send(b"POST /v1/decide HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        socks.append(c)
    t = time.time()
    s, h = req("GET", "/healthz")
    check("/healthz with 300 slow clients: ok within a second", s == 200 and time.time() - t < 1, (s, h))
    check("a decision with 300 slow clients",
          req("POST", "/v1/decide", K["a1"], refund(900, "slow"))[1].get("decision") == "allow")
    for c in socks:
        c.close()


if __name__ == "__main__":
    main()
