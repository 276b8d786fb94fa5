#!/bin/sh
# Instructions per bind of each file of typical raw calls here, counted by
# callgrind inside `Program::bind` only (the stdlib's compile is left out):
# deterministic, so two builds compare on a busy machine where timings do
# not. Needs valgrind (Debian: `apt-get install valgrind`).
#
#   benches/raw_calls/instructions.sh [ROUNDS]
#
# Run it from the repository root; it builds `examples/bind_loop.rs`.
set -eu
rounds=${1:-100}
dir=$(dirname "$0")
cargo build --release --example bind_loop -q
bin=target/release/examples/bind_loop
out=$(mktemp)
trap 'rm -f "$out"' EXIT
printf '| calls | instructions per bind |\n|---|---|\n'
for f in "$dir"/bash.jsonl "$dir"/sql_query.jsonl "$dir"/postgres_query.jsonl "$dir"/gmail.jsonl "$dir"/webfetch.jsonl; do
    n=$(grep -c . "$f")
    N=$rounds valgrind --tool=callgrind --toggle-collect='*Program*::bind' \
        --callgrind-out-file="$out" "$bin" "$f" > /dev/null 2>&1
    total=$(callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
    printf '| %s (%s calls) | %s |\n' "$(basename "$f" .jsonl)" "$n" "$((total / (rounds * n)))"
done
