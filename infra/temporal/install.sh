#!/usr/bin/env bash
# Provisions the Temporal CLI (dev server + Web UI). It is not on npm, so:
#   1. $TEMPORAL_CLI if set, 2. `temporal` on PATH, 3. the project-local build in .tools/bin,
#   4. otherwise build the pinned version with `go install` into .tools/bin (later runs take no time).
# Prints the path of the binary on stdout.
set -euo pipefail
VERSION=v1.5.1 # newest tag without a go.mod replace directive: later tags refuse `go install`
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TOOLS_BIN="$ROOT/.tools/bin"

if [ -n "${TEMPORAL_CLI:-}" ]; then
  [ -x "$TEMPORAL_CLI" ] || { echo "TEMPORAL_CLI=$TEMPORAL_CLI is not an executable file" >&2; exit 2; }
  echo "$TEMPORAL_CLI"; exit 0
fi
if command -v temporal >/dev/null 2>&1; then command -v temporal; exit 0; fi
if [ -x "$TOOLS_BIN/temporal" ]; then echo "$TOOLS_BIN/temporal"; exit 0; fi

if ! command -v go >/dev/null 2>&1; then
  cat >&2 <<MSG
The Temporal CLI is needed for the embedded dev server and was not found.
Install one of:
  - Go >= 1.22, then re-run this script (it runs: go install github.com/temporalio/cli/cmd/temporal@$VERSION)
  - a release binary from https://github.com/temporalio/cli/releases, then set TEMPORAL_CLI=/path/to/temporal
Or point danq-sweep at an existing cluster with TEMPORAL_ADDRESS (and DATABASE_URL).
MSG
  exit 2
fi
echo "Building the Temporal CLI $VERSION with go install (a few minutes the first time)..." >&2
mkdir -p "$TOOLS_BIN"
GOBIN="$TOOLS_BIN" GOFLAGS=-mod=mod go install "github.com/temporalio/cli/cmd/temporal@$VERSION" >&2
echo "$TOOLS_BIN/temporal"
