#!/usr/bin/env python3
"""An attacker's pass over `permit0 mcp-proxy`, against the real binary with
the signed stdlib bundle. The server is `cat`: whatever the proxy forwards
comes straight back, so a probe sees exactly which messages reached the
server. One line per probe; non-zero exit when a message the proxy must
refuse reached the server, or one it must pass did not.

    python3 tests/attacks/mcp_probes.py [PATH/TO/permit0]   (default target/release/permit0)

(A real Python SDK server, which splits lines at a carriage return, is
tests/mcp/test_proxy.py's.)
"""

import json
import os
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, "target/release/permit0"))
failed = []


def call(id_, name, args, method="tools/call"):
    return json.dumps({"jsonrpc": "2.0", "id": id_, "method": method,
                       "params": {"name": name, "arguments": args}})


WRITE_OUT = {"path": "/etc/cron.d/job", "content": "* * * * * root sh"}
READ_IN = {"path": "/w/notes.txt"}

# (name, raw line, reaches the server?)
PROBES = [
    ("a read inside the workspace", call(1, "read_text_file", READ_IN), True),
    ("a write to /etc/cron.d", call(2, "write_file", WRITE_OUT), False),
    ("the write as a notification (no id)",
     json.dumps({"jsonrpc": "2.0", "method": "tools/call", "params": {"name": "write_file", "arguments": WRITE_OUT}}), False),
    ("`name` given twice", '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"read_text_file","name":"write_file","arguments":{"path":"/etc/cron.d/job","content":"x"}}}', False),
    ("`method` given twice", '{"jsonrpc":"2.0","id":4,"method":"tools/call","method":"ping","params":{"name":"write_file","arguments":{"path":"/etc/cron.d/job","content":"x"}}}', False),
    ("`Method` beside `method` (a case-blind reader takes the last)",
     '{"jsonrpc":"2.0","id":5,"method":"ping","Method":"tools/call","params":{"name":"write_file","arguments":{"path":"/etc/cron.d/job","content":"x"}}}', False),
    ("`Name` beside `name`", '{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"read_text_file","arguments":{"path":"/w/a"},"Name":"write_file"}}', False),
    ("`argument\\u017f` (long s) beside `arguments`",
     '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"read_text_file","arguments":{"path":"/w/a"},"argument\\u017f":{"path":"/etc/shadow"}}}', False),
    ("method `Tools/Call`", call(8, "write_file", WRITE_OUT, method="Tools/Call"), False),
    ("a call between carriage returns inside a ping",
     '{"jsonrpc":"2.0","id":9,"x":\r' + call(10, "write_file", WRITE_OUT) + '\r,"method":"ping"}', False),
    ("a batch of the write and a read", "[" + call(11, "write_file", WRITE_OUT) + "," + call(12, "read_text_file", READ_IN) + "]", False),
    ("the tool name in another case (`Write_File`)", call(13, "Write_File", WRITE_OUT), False),
    ("the tool name with a Cyrillic i (`wr\u0456te_file`)", call(14, "wr\u0456te_file", WRITE_OUT), False),
    ("an id that is an object", call({"a": [1]}, "write_file", WRITE_OUT), False),
    ("arguments that are an array", call(15, "write_file", ["/etc/cron.d/job", "x"]), False),
    ("not JSON", "tools/call write_file /etc/cron.d/job", False),
    ("a ping", '{"jsonrpc":"2.0","id":16,"method":"ping"}', True),
    ("a 3 MB notification", json.dumps({"jsonrpc": "2.0", "method": "notifications/x", "params": {"b": "a" * 3_000_000}}), True),
]


def main():
    d = tempfile.mkdtemp(prefix="permit0-mcp-probes-")
    subprocess.run([BIN, "keygen", "ops"], cwd=d, check=True, capture_output=True)
    subprocess.run([BIN, "build", os.path.join(REPO, "stdlib"), "--key", "ops.key", "-o", "std.p0b"],
                   cwd=d, check=True, capture_output=True)
    p = subprocess.Popen([BIN, "mcp-proxy", "--bundle", "std.p0b", "--trusted", "ops.pub", "--name", "fs",
                          "--context", '{"workspace":"/w"}', "--", "cat"],
                         cwd=d, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    got = []
    reader = threading.Thread(target=lambda: got.extend(iter(p.stdout.readline, b"")), daemon=True)
    reader.start()
    for _, line, _ in PROBES:
        p.stdin.write(line.encode() + b"\n")
    p.stdin.flush()
    time.sleep(2)
    p.stdin.close()
    p.wait(10)
    reader.join(5)
    echoed = {l.rstrip(b"\r\n") for l in got}
    for name, line, reaches in PROBES:
        reached = line.encode() in echoed
        ok = reached == reaches
        print(("ok    " if ok else "FAIL  ") + f"{name}: {'reached' if reached else 'kept from'} the server")
        if not ok:
            failed.append(name)
    # The batch's read alone may go on; the write must not.
    write_echo = [l for l in echoed if b'"id": 11' in l and b"write_file" in l]
    if write_echo:
        print("FAIL  the batch's write reached the server")
        failed.append("batch write")
    print(f"{len(failed)} failed" if failed else "every message went where it should")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
