#!/bin/sh
# Builds the pinned Kubo (IPFS) release once per machine, into a cache outside the repository:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/microtask/kubo/<version>/bin/ipfs
# A no-op when that binary exists. Prints the binary's path on stdout.
#
# Kubo publishes no binary that a package registry serves, but it is a Go module, so Go
# builds it from the Go module proxy (about two minutes on two cores, once). Not
# `go install ...@version`: that also asks the proxy for the module's version list (to look
# for deprecations), which the proxy here refuses; `go mod download` of the exact version
# followed by `go build` inside it uses the same go.mod and go.sum, so it is the same build.
# The `untested_go_version` tag lets cockroachdb/swiss (part of the optional pebble
# datastore) compile on Go releases newer than it was tested with; microtask's Kubo repos
# use the default flatfs datastore, which does not touch it.
#
# Without Go this prints how to get Kubo and exits 0: the tests that need Kubo then skip.
# MICROTASK_KUBO_VERSION must match KUBO_VERSION in backend/microtask/content/kubo_daemon.py
# (a test checks).
set -eu

MICROTASK_KUBO_VERSION=v0.38.1
cache=${XDG_CACHE_HOME:-$HOME/.cache}/microtask/kubo/$MICROTASK_KUBO_VERSION
binary=$cache/bin/ipfs

say() { printf '%s\n' "$*" >&2; }

if [ -x "$binary" ]; then
    printf '%s\n' "$binary"
    exit 0
fi
if ! command -v go >/dev/null 2>&1; then
    say "kubo.sh: Go is not installed, so Kubo $MICROTASK_KUBO_VERSION cannot be built;"
    say "  the tests that need a Kubo daemon will skip. Install Go and rerun scripts/kubo.sh,"
    say "  or set MICROTASK_KUBO_BIN to an ipfs binary."
    exit 0
fi

say "building Kubo $MICROTASK_KUBO_VERSION with $(go version | cut -d' ' -f3) (once per machine, a few minutes) ..."
source_dir=$(GOFLAGS=-mod=mod go mod download -json "github.com/ipfs/kubo@$MICROTASK_KUBO_VERSION" \
    | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -d "$source_dir" ] || { say "kubo.sh: go mod download gave no source directory"; exit 1; }

mkdir -p "$cache/bin"
partial="$binary.partial.$$"
trap 'rm -f "$partial"' EXIT
(
    cd "$source_dir"
    GOWORK=off GOFLAGS=-buildvcs=false go build -trimpath -tags untested_go_version \
        -o "$partial" ./cmd/ipfs
)
mv "$partial" "$binary"  # atomic: a concurrent run sees no binary or a whole one
say "built $("$binary" version)"
printf '%s\n' "$binary"
