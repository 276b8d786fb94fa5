#!/bin/sh
# Instructions per bind of each file of typical raw calls here, counted by
# callgrind inside `Program::bind` only (the stdlib's compile is left out):
# deterministic, so two builds compare on a busy machine where timings do
# not. Needs valgrind (Debian: `apt-get install valgrind`).
#
# The count is a warm bind's: the difference between ROUNDS+1 rounds and
# one round over the file, so the first bind of each tool — which plans
# its mappings and builds the classifiers' tables once a process — is
# left out, as a server or an embedding pays it once. (Before 2026-12-07
# the script divided one run's total, first binds included: 700–1,100
# instructions a bind more at 20 rounds.)
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
    count() {
        N=$1 valgrind --tool=callgrind --toggle-collect='*Program*::bind' \
            --callgrind-out-file="$out" "$bin" "$f" > /dev/null 2>&1
        callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}'
    }
    first=$(count 1)
    total=$(count $((rounds + 1)))
    printf '| %s (%s calls) | %s |\n' "$(basename "$f" .jsonl)" "$n" "$(((total - first) / (rounds * n)))"
done
