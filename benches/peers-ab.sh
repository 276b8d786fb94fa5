#!/usr/bin/env bash
# Old against new permit0 binaries, alternated with the peers' hand-written indexed evaluator in
# one run, on the peers' neutral workload (200 rules over 50 actions, 10,000 requests): on a shared,
# noisy machine a figure means something only beside one taken a moment before or after it.
#
# Usage, from the project's root:
#   benches/peers-ab.sh ROUNDS OLD_BINARY NEW_BINARY [MORE_BINARIES...]
# e.g. cp target/release/permit0 /tmp/permit0.old; (change, cargo build --release);
#      benches/peers-ab.sh 5 /tmp/permit0.old target/release/permit0
# Each round runs every binary's `permit0 bench` once, then the reference once; prints each
# round's figures, then medians and the median of the per-round ratios to the reference.
# Needs the peer harness built by ../shared/peers/side-by-side.sh (target/peers/release/bench).
set -eu
ROUNDS=$1; shift
PEERS=$(readlink -f "${PEERS:-../shared/peers}")
REF=$PWD/target/peers/release/bench
[ -x "$REF" ] || { echo "no peer harness at $REF: run ../shared/peers/side-by-side.sh once" >&2; exit 2; }
OUT=$(mktemp -d); trap 'rm -rf "$OUT"' EXIT
python3 "$PEERS/wl2p0.py" "$PEERS/workload/medium.policies.json" "$PEERS/workload/medium.requests.jsonl" "$OUT/wl.p0" "$OUT/wl.jsonl"
for r in $(seq 1 "$ROUNDS"); do
  i=0
  for b in "$@"; do
    i=$((i + 1))
    "$b" bench --no-stdlib "$OUT/wl.p0" "$OUT/wl.jsonl" --json --seconds 1 2>/dev/null >"$OUT/bin$i.$r.json"
  done
  ( cd "$PEERS" && "$REF" --sizes medium --engines indexed-ref --reps 3 --out "$OUT/ref$r" >/dev/null 2>&1 )
done
python3 - "$OUT" "$ROUNDS" "$@" <<'PY'
import json, statistics as st, sys
out, rounds, bins = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
ref = [next(x for x in json.load(open(f"{out}/ref{r}/latest.json"))["rows"] if x["engine"] == "indexed-ref")
       for r in range(1, rounds + 1)]
rd = [x["decide"]["median"] for x in ref]; rb = [x["build"]["median"] for x in ref]
print(f"{'':<28}{'decide ns':>10}{'ratio':>7}{'bind ns':>9}{'ratio':>7}{'bind_bytes':>11}")
print(f"{'hand-written (median)':<28}{st.median(rd):>10.1f}{'':>7}{st.median(rb):>9.0f}")
for i, b in enumerate(bins, 1):
    js = [json.load(open(f"{out}/bin{i}.{r}.json")) for r in range(1, rounds + 1)]
    d = [j["median_ns"] for j in js]; bi = [j["bind_median_ns"] for j in js]
    bb = [j["bind_bytes_median_ns"] for j in js]
    print(f"{b[-28:]:<28}{st.median(d):>10.1f}{st.median([x / y for x, y in zip(d, rd)]):>7.2f}"
          f"{st.median(bi):>9.0f}{st.median([x / y for x, y in zip(bi, rb)]):>7.2f}{st.median(bb):>11.0f}")
    print(f"{'  rounds: decide':<28}{d}\n{'  rounds: bind':<28}{bi}")
print(f"{'  rounds: reference':<28}decide {[round(x, 1) for x in rd]}, build {[round(x) for x in rb]}")
PY
