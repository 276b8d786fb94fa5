"""What every round's gen.py does once its calls are listed: drop the calls
an earlier round already holds, number the sessions, write NAME.jsonl.

A round's gen.py builds `files` (name -> list of requests, each either
{"tool", "args", "context", "session"} or {"raw": text} with "SID" where the
session id goes) and calls `write_round(ROOT, N, files, "attackK")`: the
files land in `attackK/`, beside this file, and N numbers the round's
session ids (`aN…`), so that no two rounds share one.

The earlier rounds are found on disk, in one order: by the folder's
number, and a folder with a suffix (`attack21e/`, an everyday round, or
`attack25o/`) after the plain folder of its number. A round drops every
call a folder before it holds, never one a later folder holds, so running
a round's gen.py again writes the same files byte for byte whatever
rounds came after it.
"""
import glob
import json
import os
import re

_FOLDER = re.compile(r"attack(\d+)([a-z]?)")


def round_key(folder):
    """The place of `attackK[x]` in the rounds' order, or None."""
    m = _FOLDER.fullmatch(folder)
    return (int(m.group(1)), m.group(2)) if m else None


def earlier_rounds(root, before, plain_only=False):
    """The round folders under root that come before the folder `before`
    (a name such as "attack24e"), in the rounds' order; with plain_only,
    the folders without a suffix only."""
    limit = round_key(before)
    if limit is None:
        raise ValueError(f"not a round folder: {before!r}")
    found = []
    for d in glob.glob(os.path.join(root, "attack*")):
        k = round_key(os.path.basename(d))
        if k is None or not os.path.isdir(d) or k >= limit:
            continue
        if plain_only and k[1]:
            continue
        found.append((k, d))
    return [d for _, d in sorted(found)]


def earlier_calls(root, before, plain_only=False):
    """(tool, args as sorted JSON) of every call the rounds before the
    folder `before` hold."""
    old = set()
    for d in earlier_rounds(root, before, plain_only):
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


def write_round(root, n, files, folder, plain_only=False):
    """Write FOLDER/NAME.jsonl for each name of files, without the calls a
    round before FOLDER holds or the file already listed, the sessions
    numbered `aN…`; print the counts. plain_only: drop only what the plain
    rounds hold (attack23e was written so: a call of attack21e or 22e
    stands again in its hostile file)."""
    old = earlier_calls(root, folder, plain_only)
    out = os.path.join(root, folder)
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
