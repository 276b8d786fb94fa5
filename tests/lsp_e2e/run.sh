#!/usr/bin/env bash
# The end-to-end test of `permit0 lsp` with a real LSP client (pytest-lsp).
#
#   tests/lsp_e2e/run.sh [extra pytest arguments]
#
# Works from any directory. Python packages go to a venv under
# target/lsp-e2e-venv (reused when present); the binary is $PERMIT0_BIN, by
# default target/debug/permit0 (under $CARGO_TARGET_DIR when that is set),
# built with `cargo build --bin permit0` when missing.
set -euo pipefail
export PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$repo"

python="${PYTHON:-python3}"
venv="$repo/target/lsp-e2e-venv"
pkgs="$repo/target/lsp-e2e-pkgs"   # the fallback without a venv
req="$here/requirements.txt"

setup_python() {
    # 1. a venv (python3 -m venv, with pip from ensurepip)
    if [ -x "$venv/bin/python" ] && "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
        py="$venv/bin/python"
        return
    fi
    rm -rf "$venv"
    if "$python" -m venv "$venv" >/dev/null 2>&1 && "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
        py="$venv/bin/python"
        return
    fi
    rm -rf "$venv"
    # 2. no ensurepip: a venv made by virtualenv
    echo "lsp-e2e: python3 -m venv unusable; trying virtualenv" >&2
    if "$python" -m virtualenv --version >/dev/null 2>&1 \
        || "$python" -m pip install -q --user virtualenv >/dev/null 2>&1 \
        || "$python" -m pip install -q --user --break-system-packages virtualenv >/dev/null 2>&1; then
        if "$python" -m virtualenv -q "$venv" >/dev/null 2>&1; then
            py="$venv/bin/python"
            return
        fi
    fi
    rm -rf "$venv"
    # 3. no venv at all: the packages in a folder of their own, on PYTHONPATH
    echo "lsp-e2e: no virtualenv either; installing with pip --target $pkgs" >&2
    py="$python"
    export PYTHONPATH="$pkgs${PYTHONPATH:+:$PYTHONPATH}"
    pip_target=(--upgrade --target "$pkgs")
}

pip_target=()
setup_python
"$py" -m pip install -q --disable-pip-version-check ${pip_target[@]+"${pip_target[@]}"} -r "$req"

bin="${PERMIT0_BIN:-${CARGO_TARGET_DIR:-target}/debug/permit0}"
case "$bin" in /*) ;; *) bin="$repo/$bin" ;; esac
if [ ! -x "$bin" ]; then
    if [ -n "${PERMIT0_BIN:-}" ]; then
        echo "lsp-e2e: PERMIT0_BIN=$PERMIT0_BIN is not an executable" >&2
        exit 1
    fi
    echo "lsp-e2e: no $bin; cargo build --bin permit0" >&2
    cargo build -q --bin permit0
fi
export PERMIT0_BIN="$bin"

# -p no:cacheprovider: write nothing into tests/lsp_e2e
exec "$py" -m pytest -p no:cacheprovider -q "$here/test_lsp.py" "$@"
