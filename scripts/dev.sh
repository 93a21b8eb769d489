#!/bin/sh
# Bootstraps the development environment, then runs one of: up, test, check, bench, shell.
#   scripts/dev.sh up [ARGS]     start the platform locally (microtask up ARGS)
#   scripts/dev.sh test [ARGS]   lint, type-check, build Kubo once (scripts/kubo.sh), run the
#                                whole test suite (pytest ARGS)
#   scripts/dev.sh check         lint and type-check only
#   scripts/dev.sh bench NAME    run bench/NAME.py
#   scripts/dev.sh audit         Slither on contracts/ (fails on a high or medium finding)
# Needs only Python 3.11+ and Node 20+ with npm. The first run creates .venv and
# node_modules; later runs reinstall only when pyproject.toml or package-lock.json changed.
set -eu
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=.venv

say() { printf '%s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

fingerprint() {
    "$PYTHON" -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest()[:16])' "$1"
}

ensure_python() {
    command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found: microtask needs Python 3.11+ (set PYTHON=...)"
    "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
        || die "microtask needs Python 3.11+, but $PYTHON is $("$PYTHON" --version 2>&1)"
    stamp="$VENV/.installed-$(fingerprint pyproject.toml)"
    [ -f "$stamp" ] && return 0
    say "setting up the Python environment in $VENV (first run only) ..."
    [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet -e '.[dev]'
    rm -f "$VENV"/.installed-*
    touch "$stamp"
}

ensure_node() {
    command -v node >/dev/null 2>&1 || die "node not found: microtask needs Node 20+ with npm"
    command -v npm >/dev/null 2>&1 || die "npm not found: microtask needs Node 20+ with npm"
    node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' \
        || die "microtask needs Node 20+, but node is $(node --version)"
    stamp="node_modules/.installed-$(fingerprint package-lock.json)"
    [ -f "$stamp" ] && return 0
    say "installing the JavaScript toolchain (solc, anvil, OpenZeppelin) ..."
    # Not `npm ci`: registries that serve only this platform's anvil package leave the
    # other platforms' optional packages out of the lock, which `npm ci` calls out of sync.
    # `npm install --no-save` installs exactly the locked versions and never rewrites the lock.
    npm install --no-audit --no-fund --no-save --loglevel=error
    rm -f node_modules/.installed-*
    touch "$stamp"
}

# Slither pins web3 below 8 and microtask needs 8, so it lives in a venv of its own.
SLITHER=slither-analyzer==0.11.6
AUDIT_VENV=.venv-audit

ensure_audit() {
    stamp="$AUDIT_VENV/.installed-$SLITHER"
    [ -f "$stamp" ] && return 0
    say "setting up Slither in $AUDIT_VENV (first run only) ..."
    [ -x "$AUDIT_VENV/bin/python" ] || "$PYTHON" -m venv "$AUDIT_VENV"
    "$AUDIT_VENV/bin/python" -m pip install --quiet --upgrade pip
    "$AUDIT_VENV/bin/python" -m pip install --quiet "$SLITHER"
    rm -f "$AUDIT_VENV"/.installed-*
    touch "$stamp"
}

# The web app's script: esbuild bundles backend/microtask/web/ts into web/bundle (git-ignored);
# the build script skips itself when nothing changed since the last build.
ensure_bundle() {
    node scripts/build_web.mjs
}

check() {
    "$VENV/bin/ruff" format --check .
    "$VENV/bin/ruff" check .
    "$VENV/bin/mypy"
    if [ -x node_modules/.bin/tsc ]; then
        node_modules/.bin/tsc -p backend/microtask/web/ts
    fi
}

# The browser tests drive Debian's chromium; without it they skip, and this says how to get it.
note_chromium() {
    command -v chromium >/dev/null 2>&1 && return 0
    say "note: the web app's browser tests need Debian's chromium (apt-get install chromium); they skip without it"
}

command=${1:-}
[ $# -gt 0 ] && shift
case "$command" in
    up)
        ensure_python; ensure_node; ensure_bundle
        exec "$VENV/bin/microtask" up "$@" ;;
    test)
        ensure_python; ensure_node; ensure_bundle
        check
        note_chromium
        scripts/kubo.sh >/dev/null  # the pinned Kubo for the IPFS tests: built once, cached
        exec "$VENV/bin/python" -m pytest -n auto "$@" ;;
    check)
        ensure_python
        check ;;
    bench)
        ensure_python; ensure_node; ensure_bundle
        name=${1:?usage: scripts/dev.sh bench NAME}; shift
        exec "$VENV/bin/python" "bench/$name.py" "$@" ;;
    audit)
        ensure_python; ensure_node; ensure_audit
        # scripts/audit-solc: the solcjs launcher with the build's settings (viaIR forced)
        exec "$AUDIT_VENV/bin/slither" contracts --solc scripts/audit-solc --solc-standard-json \
            --solc-remaps @openzeppelin/=node_modules/@openzeppelin/ --exclude-dependencies \
            --filter-paths "node_modules|contracts/mocks" --exclude-low --exclude-informational \
            --exclude-optimization --fail-medium "$@" ;;
    shell)
        ensure_python; ensure_node; ensure_bundle
        say "environment ready: . $VENV/bin/activate" ;;
    *)
        say "usage: scripts/dev.sh up|test|check|bench NAME|audit|shell [ARGS]"
        exit 2 ;;
esac
