#!/usr/bin/env bash
# The end-to-end test of `permit0 mcp-proxy` with real parts: the official
# MCP Python SDK (`mcp`, PyPI) as the client, the npm package
# @modelcontextprotocol/server-filesystem as the server.
#
#   tests/mcp/run.sh [extra pytest arguments]
#
# Works from any directory. The npm package goes to tests/mcp/node_modules
# (`npm ci` from the committed package-lock.json), the Python packages to a
# venv under target/mcp-e2e-venv (reused when present); the binary is
# $PERMIT0_BIN, by default target/debug/permit0 (under $CARGO_TARGET_DIR
# when that is set), built with `cargo build --bin permit0` when missing.
set -euo pipefail
export PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$repo"

command -v node >/dev/null && command -v npm >/dev/null || {
    echo "mcp-e2e: node and npm are needed (apt-get install nodejs npm)" >&2
    exit 1
}
(cd "$here" && npm ci --no-audit --no-fund --loglevel=error >&2)

python="${PYTHON:-python3}"
venv="$repo/target/mcp-e2e-venv"
if ! { [ -x "$venv/bin/python" ] && "$venv/bin/python" -m pip --version >/dev/null 2>&1; }; then
    rm -rf "$venv"
    if ! { "$python" -m venv "$venv" >/dev/null 2>&1 && "$venv/bin/python" -m pip --version >/dev/null 2>&1; }; then
        # Debian's python3 splits venv/ensurepip into python3-venv.
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv) >&2 || true
        fi
        rm -rf "$venv"
        "$python" -m venv "$venv"
    fi
fi
py="$venv/bin/python"
"$py" -m pip install -q -r "$here/requirements.txt"

bin="${PERMIT0_BIN:-${CARGO_TARGET_DIR:-target}/debug/permit0}"
case "$bin" in /*) ;; *) bin="$repo/$bin" ;; esac
if [ ! -x "$bin" ]; then
    if [ -n "${PERMIT0_BIN:-}" ]; then
        echo "mcp-e2e: PERMIT0_BIN=$PERMIT0_BIN is not an executable" >&2
        exit 1
    fi
    echo "mcp-e2e: no $bin; cargo build --bin permit0" >&2
    cargo build -q --bin permit0
fi
export PERMIT0_BIN="$bin"

# -p no:cacheprovider: write nothing into tests/mcp
exec "$py" -m pytest -p no:cacheprovider -q "$here/test_proxy.py" "$@"
