"""What every round's gen.py does once its calls are listed: drop the calls
an earlier round already holds, number the sessions, write NAME.jsonl.

A round's gen.py builds `files` (name -> list of requests, each either
{"tool", "args", "context", "session"} or {"raw": text} with "SID" where the
session id goes) and calls `write_round(ROOT, N, files)`. The earlier rounds
are found on disk: every `attackK/` beside this file with K < N.
"""
import glob
import json
import os
import re


def earlier_rounds(root, n):
    """The folders `attackK/` under root with K < n, in round order."""
    found = []
    for d in glob.glob(os.path.join(root, "attack*")):
        m = re.fullmatch(r"attack(\d+)", os.path.basename(d))
        if m and os.path.isdir(d) and int(m.group(1)) < n:
            found.append((int(m.group(1)), d))
    return [d for _, d in sorted(found)]


def earlier_calls(root, n):
    """(tool, args as sorted JSON) of every call the earlier rounds hold."""
    old = set()
    for d in earlier_rounds(root, n):
        for f in sorted(glob.glob(os.path.join(d, "*.jsonl"))):
            for line in open(f):
                if not line.strip():
                    continue
                try:
                    r = json.loads(line)
                except ValueError:
                    continue
                if isinstance(r, dict) and "tool" in r:
                    old.add((r["tool"], json.dumps(r.get("args"), sort_keys=True)))
    return old


def write_round(root, n, files):
    """Write attackN/NAME.jsonl for each name of files, without the calls an
    earlier round holds or the file already listed; print the counts."""
    old = earlier_calls(root, n)
    out = os.path.join(root, f"attack{n}")
    os.makedirs(out, exist_ok=True)
    total = 0
    for name, lst in files.items():
        seen = set()
        keep = []
        for r in lst:
            k = r.get("raw") or (r["tool"], json.dumps(r["args"], sort_keys=True))
            if k in old or k in seen:
                continue
            seen.add(k)
            keep.append(r)
        with open(os.path.join(out, f"{name}.jsonl"), "w") as f:
            for i, r in enumerate(keep):
                sid = f"a{n}" + name[:2] + str(i)
                if "raw" in r:
                    f.write(r["raw"].replace('"SID"', json.dumps(sid)) + "\n")
                else:
                    r["session"]["id"] = sid
                    f.write(json.dumps(r) + "\n")
        print(name, len(keep))
        total += len(keep)
    print(total)
    return total


# The contexts and the collector every round's gen.py builds its calls with.
CTX_PROD = {"workspace": "/home/dev/proj", "org_domain": "acme.com", "env": "prod"}
CTX_DEV = {"workspace": "/home/dev/proj", "org_domain": "acme.com", "env": "dev"}


class Calls:
    """A round's calls by file name, in the order they are added."""

    def __init__(self):
        self.files = {}

    def add(self, name, tool, args, ctx=CTX_PROD):
        self.files.setdefault(name, []).append(
            {"tool": tool, "args": args, "context": ctx, "session": {"id": ""}})

    def add_raw(self, name, text):
        # A request whose JSON text json.dumps cannot write (a key given
        # twice, a BOM before a key).
        self.files.setdefault(name, []).append({"raw": text})
