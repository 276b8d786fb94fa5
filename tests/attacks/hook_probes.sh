#!/usr/bin/env bash
# An attacker's pass over `permit0 hook claude-code`, against the real
# binary, with the signed stdlib bundle and a real data directory of session files:
# hostile hook inputs, a locked, corrupted or unusable store. Every answer
# must be a hook answer on stdout with status 0, never `allow` for what the
# probe expects refused, and never a hang. One line per probe; non-zero exit
# when any answer is not the one expected.
#
#   tests/attacks/hook_probes.sh [PATH/TO/permit0]   (default target/release/permit0)
set -uo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
P="$(realpath "${1:-$repo/target/release/permit0}")"
T="$(mktemp -d)"; trap 'rm -rf "$T"' EXIT
cd "$T"
"$P" keygen ops >/dev/null 2>&1 && "$P" build "$repo/stdlib" --key ops.key -o std.p0b >/dev/null 2>&1 || exit 1
D="$T/data"; fails=0

# probe NAME EXPECTED(allow|deny|ask|notallow|none) INPUT [extra flags…]
probe() {
    local name="$1" want="$2" input="$3"; shift 3
    local out rc got
    out=$(timeout 10 "$P" hook claude-code --bundle std.p0b --trusted ops.pub --data "$D" "$@" <<<"$input" 2>/dev/null); rc=$?
    got=$(python3 -c 'import sys,json
t=sys.stdin.read().strip()
if not t: print("none")
else:
  try: print(json.loads(t)["hookSpecificOutput"]["permissionDecision"])
  except Exception: print("garbage")' <<<"$out")
    local ok=0
    if [ "$rc" = 0 ]; then
        case "$want" in
            notallow) [ "$got" = deny ] || [ "$got" = ask ] && ok=1 ;;
            *) [ "$got" = "$want" ] && ok=1 ;;
        esac
    fi
    if [ $ok = 1 ]; then echo "ok    $name ($got)"; else echo "FAIL  $name: status $rc, answer $got, expected $want"; fails=$((fails+1)); fi
}
pin=(--workspace /work/proj)
b='"session_id":"s1","cwd":"/work/proj","hook_event_name":"PreToolUse"'
read_ok="{$b,\"tool_name\":\"Read\",\"tool_input\":{\"file_path\":\"/work/proj/a.rs\"}}"
probe "an ordinary read" allow "$read_ok" "${pin[@]}"
probe "a file_path given twice" deny "{$b,\"tool_name\":\"Read\",\"tool_input\":{\"file_path\":\"/etc/shadow\",\"file_path\":\"/work/proj/a.rs\"}}"
probe "tool_input a string" deny "{$b,\"tool_name\":\"Read\",\"tool_input\":\"x\"}"
probe "tool_input an array" deny "{$b,\"tool_name\":\"Read\",\"tool_input\":[]}"
probe "not JSON" deny "hello"
probe "empty input" deny ""
probe "more than 1 MiB" deny "{$b,\"tool_name\":\"Write\",\"tool_input\":{\"file_path\":\"/work/proj/a\",\"content\":\"$(head -c 1100000 /dev/zero | tr '\0' a)\"}}"
probe "nested 5,000 deep" deny "{$b,\"tool_name\":\"Write\",\"tool_input\":{\"file_path\":\"/work/proj/a\",\"content\":$(python3 -c 'print("["*5000+"]"*5000)')}}"
probe "a relative cwd" deny "{\"session_id\":\"s1\",\"cwd\":\"proj\",\"hook_event_name\":\"PreToolUse\",\"tool_name\":\"Read\",\"tool_input\":{\"file_path\":\"/work/proj/a.rs\"}}"
probe "no cwd" deny "{\"session_id\":\"s1\",\"hook_event_name\":\"PreToolUse\",\"tool_name\":\"Read\",\"tool_input\":{\"file_path\":\"/work/proj/a.rs\"}}"
probe "cwd /work/proj/../.. and cat etc/shadow" notallow "{\"session_id\":\"s1\",\"cwd\":\"/work/proj/../..\",\"hook_event_name\":\"PreToolUse\",\"tool_name\":\"Bash\",\"tool_input\":{\"command\":\"cat etc/shadow\"}}"
probe "an empty session_id" deny "{\"session_id\":\"\",\"cwd\":\"/work/proj\",\"hook_event_name\":\"PreToolUse\",\"tool_name\":\"Read\",\"tool_input\":{\"file_path\":\"/work/proj/a.rs\"}}"
probe "a session_id that is a path (hashed into a file name)" allow "{\"session_id\":\"../../etc/passwd\",\"cwd\":\"/work/proj\",\"hook_event_name\":\"PreToolUse\",\"tool_name\":\"Read\",\"tool_input\":{\"file_path\":\"/work/proj/a.rs\"}}"
probe "Write job after cd /etc/cron.d (relative path)" deny "{\"session_id\":\"s1\",\"cwd\":\"/etc/cron.d\",\"hook_event_name\":\"PreToolUse\",\"tool_name\":\"Write\",\"tool_input\":{\"file_path\":\"job\",\"content\":\"* * * * * root sh\"}}" "${pin[@]}"
probe "Edit hosts after cd /etc (relative path)" deny "{\"session_id\":\"s1\",\"cwd\":\"/etc\",\"hook_event_name\":\"PreToolUse\",\"tool_name\":\"Edit\",\"tool_input\":{\"file_path\":\"hosts\",\"old_string\":\"a\",\"new_string\":\"b\"}}" "${pin[@]}"
probe "Write ~/.bashrc" deny "{$b,\"tool_name\":\"Write\",\"tool_input\":{\"file_path\":\"~/.bashrc\",\"content\":\"x\"}}" "${pin[@]}"
probe "another event: passed through" none "{\"session_id\":\"s1\",\"cwd\":\"/work/proj\",\"hook_event_name\":\"PostToolUse\",\"tool_name\":\"Read\",\"tool_input\":{}}"

# Another process holds the session store's lock: deny, within seconds.
python3 - "$D/sessions/lock" <<'PY' &
import fcntl, sys, time
f = open(sys.argv[1], "a"); fcntl.flock(f, fcntl.LOCK_EX); time.sleep(6)
PY
sleep 0.5; start=$(date +%s)
probe "a session store locked by another process" deny "$read_ok"
echo "      (answered in $(( $(date +%s) - start )) s)"; wait
for f in "$D"/sessions/????????????????????????????????; do head -c 300 /dev/urandom > "$f"; done
probe "a session file overwritten with noise" deny "$read_ok"
mkfifo "$T/bundle.fifo"
out=$(timeout 10 "$P" hook claude-code --bundle "$T/bundle.fifo" --trusted ops.pub --data "$D" <<<"$read_ok" 2>/dev/null)
case "$out" in *'"deny"'*) echo "ok    a FIFO in place of the bundle (deny)";; *) echo "FAIL  a FIFO in place of the bundle: ${out:-no answer (hung)}"; fails=$((fails+1));; esac
D=/proc/nonexistent/permit0
probe "a data directory that cannot be made" deny "$read_ok"
echo "$fails failed"; [ "$fails" = 0 ]
