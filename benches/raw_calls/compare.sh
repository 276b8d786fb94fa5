#!/bin/sh
# Median bind per raw tool call (normalize, classify, bind), two permit0
# binaries side by side in one run, alternating on each file of typical
# calls here (bash, sql_query, postgres_query, gmail, webfetch):
#
#   benches/raw_calls/compare.sh OLD_PERMIT0 NEW_PERMIT0 [ROUNDS]
#
# Each binary runs `permit0 bench stdlib FILE --no-stdlib --json` ROUNDS
# times (default 3) per file; the table shows the median of its
# `bind_median_ns` (warm passes over every call of the file, the median pass
# divided by the number of calls). Run it from the repository root.
set -eu
old=$1
new=$2
rounds=${3:-3}
dir=$(dirname "$0")
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
bind_ns() { "$1" bench stdlib "$2" --no-stdlib --json | tr -d ' \n' | sed 's/.*"bind_median_ns":\([0-9.]*\).*/\1/'; }
printf '| calls | %s | %s |\n|---|---|---|\n' "$(basename "$old")" "$(basename "$new")"
for f in "$dir"/bash.jsonl "$dir"/sql_query.jsonl "$dir"/postgres_query.jsonl "$dir"/gmail.jsonl "$dir"/webfetch.jsonl; do
    a=""
    b=""
    i=0
    while [ "$i" -lt "$rounds" ]; do
        a="$a $(bind_ns "$old" "$f")"
        b="$b $(bind_ns "$new" "$f")"
        i=$((i + 1))
    done
    ma=$(echo "$a" | tr ' ' '\n' | grep . | median)
    mb=$(echo "$b" | tr ' ' '\n' | grep . | median)
    printf '| %s (%s calls) | %.0f ns | %.0f ns |\n' "$(basename "$f" .jsonl)" "$(grep -c . "$f")" "$ma" "$mb"
done
