#!/usr/bin/env bash
# The Python SDK's test suite: builds the wheel with maturin, installs it
# into a fresh virtual environment and runs pytest on python/tests.
#
#   python/run-tests.sh [extra pytest arguments]
#
# Works from any directory. The venv is target/python-venv (made anew each
# run), the wheel goes to target/python-wheels (a dev build: fast to
# compile; `pip install ./python` builds the release one). The tests compile
# their policy with the permit0 CLI and start a real `permit0 serve`:
# $PERMIT0_BIN, by default target/debug/permit0 (built with cargo).
set -euo pipefail
export PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
cd "$repo"
target="${CARGO_TARGET_DIR:-$repo/target}"
case "$target" in /*) ;; *) target="$repo/$target" ;; esac

python="${PYTHON:-python3}"
venv="$target/python-venv"
wheels="$target/python-wheels"

make_venv() {
    rm -rf "$venv"
    "$python" -m venv "$venv" >/dev/null 2>&1 && "$venv/bin/python" -m pip --version >/dev/null 2>&1
}

if ! make_venv; then
    # Debian's python3 splits venv/ensurepip into python3-venv.
    echo "python: python3 -m venv unusable; installing python3-venv" >&2
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv) >&2 || true
    fi
    if ! make_venv; then
        echo "python: cannot make a virtual environment with $python" >&2
        exit 1
    fi
fi
py="$venv/bin/python"
"$py" -m pip install -q "maturin>=1.5,<2" "pytest>=7"

rm -rf "$wheels"
(cd "$here" && "$venv/bin/maturin" build --profile dev --interpreter "$py" --out "$wheels" 2>&1 | { grep -v '^ *Compiling' || true; } >&2)
"$py" -m pip install -q --no-index --find-links "$wheels" permit0

if [ -n "${PERMIT0_BIN:-}" ]; then
    bin="$PERMIT0_BIN"
    if [ ! -x "$bin" ]; then
        echo "python: PERMIT0_BIN=$PERMIT0_BIN is not an executable" >&2
        exit 1
    fi
else
    # Always through cargo (a no-op when it is up to date): the tests run
    # `permit0 serve`, so a stale binary would test another server.
    cargo build -q --bin permit0
    bin="$target/debug/permit0"
fi
export PERMIT0_BIN="$bin"

# Run from outside python/ so `import permit0` is the installed wheel, not
# the source folder. -p no:cacheprovider: write nothing into python/tests.
cd "$target"
exec "$py" -m pytest -p no:cacheprovider -q "$here/tests" "$@"
