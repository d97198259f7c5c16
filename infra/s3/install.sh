#!/usr/bin/env bash
# Provisions versitygw, the S3-compatible server the tests store artifacts on (a Go S3 gateway
# whose posix backend keeps objects as plain files). In order:
#   1. $VERSITYGW if set, 2. the project's cached copy .tools/bin/versitygw-$VERSION,
#   3. `go install` of the pinned release from the Go module proxy (cold cache: see the README,
#      "Deploying on several machines"; warm: seconds).
# Prints the path of the binary on stdout; everything else goes to stderr.
set -euo pipefail
VERSION=v1.8.0
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TOOLS_BIN="$ROOT/.tools/bin"
TARGET="$TOOLS_BIN/versitygw-$VERSION"

if [ -n "${VERSITYGW:-}" ]; then
  [ -x "$VERSITYGW" ] || { echo "VERSITYGW=$VERSITYGW is not an executable file" >&2; exit 2; }
  echo "$VERSITYGW"; exit 0
fi
if [ -x "$TARGET" ]; then echo "$TARGET"; exit 0; fi
if ! command -v go >/dev/null 2>&1; then
  echo "versitygw $VERSION is needed for the S3 tests and Go (>= 1.25) is not installed to build it; install Go, or set VERSITYGW=/path/to/versitygw" >&2
  exit 2
fi
echo "Building versitygw $VERSION with go install (a few minutes with a cold Go cache)..." >&2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! GOBIN="$tmp" GOFLAGS=-mod=mod go install "github.com/versity/versitygw/cmd/versitygw@$VERSION" >"$tmp/log" 2>&1; then
  cat "$tmp/log" >&2; exit 1
fi
mkdir -p "$TOOLS_BIN"
install -m 0755 "$tmp/versitygw" "$TARGET.partial"
mv "$TARGET.partial" "$TARGET"
echo "$TARGET"
