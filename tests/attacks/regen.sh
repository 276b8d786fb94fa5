#!/usr/bin/env bash
# Every attack round's gen.py writes its corpus again byte for byte: each
# runs in a scratch copy of the rounds (so nothing here is touched) and its
# NAME.jsonl files are compared with the ones on disk. A round whose
# generator no longer writes what its .expect lines were recorded against
# cannot be extended or read with confidence (docs/attacks.md).
set -euo pipefail
cd "$(dirname "$0")/../.."

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failed=0
for gen in attack*/gen.py; do
    round=${gen%/gen.py}
    rm -rf "${scratch:?}"/*
    cp -r attack[0-9]* attack_common.py "$scratch"/
    if ! (cd "$scratch/$round" && python3 gen.py > /dev/null); then
        echo "$round: gen.py failed"
        failed=1
        continue
    fi
    for f in "$round"/*.jsonl; do
        if ! cmp -s "$f" "$scratch/$f"; then
            echo "$f: gen.py writes it differently"
            failed=1
        fi
    done
    for f in "$scratch/$round"/*.jsonl; do
        test -e "$round/$(basename "$f")" || { echo "$round: gen.py writes $(basename "$f"), not on disk"; failed=1; }
    done
done
test "$failed" -eq 0 && echo "every round's gen.py writes its corpus as it is on disk"
exit "$failed"
