#!/usr/bin/env bash
# Provides kubernetes-validate (PyPI; it carries the Kubernetes JSON schemas, so it checks the
# manifests offline) in a venv under .tools/. Prints the path of the executable on stdout.
set -euo pipefail
VERSION=1.37.0
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VENV="$ROOT/.tools/kubernetes-validate-$VERSION"
# A venv that was moved or copied keeps its old interpreter path in its scripts: rebuild it then.
if [ -f "$VENV/.complete" ] && "$VENV/bin/kubernetes-validate" --version >/dev/null 2>&1; then echo "$VENV/bin/kubernetes-validate"; exit 0; fi
python=$(command -v python3 || true)
if [ -z "$python" ] || ! "$python" -m venv --help >/dev/null 2>&1; then
  echo "kubernetes-validate needs Python 3 with venv (Debian: apt-get install python3-venv)" >&2
  exit 2
fi
echo "Installing kubernetes-validate $VERSION into $VENV..." >&2
# A venv's scripts name their interpreter by path, so it is built in place; .complete marks success.
rm -rf "$VENV"
"$python" -m venv "$VENV" >&2
"$VENV/bin/pip" install --quiet --disable-pip-version-check "kubernetes-validate==$VERSION" >&2
touch "$VENV/.complete"
echo "$VENV/bin/kubernetes-validate"
