#!/usr/bin/env bash
# Installs the BigQuery emulator the tests use (PyPI local-bigquery, pinned with every dependency
# in scripts/bigquery-emulator-requirements.txt) into .tools/bigquery-emulator/, with DuckDB's
# icu, ducklake and spatial extensions imported from their PyPI packages into the emulator's own
# HOME, so it never downloads anything when it runs. Needs a Python >= 3.13: CONTRAIL_PYTHON
# names one, else python3.13/python3.14/python3 on PATH, else a pyenv-installed 3.13+.
# Skipped when the same requirements are already installed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
requirements="$root/scripts/bigquery-emulator-requirements.txt"
target="$root/.tools/bigquery-emulator"
stamp="$target/installed-requirements.sha256"
wanted="$(sha256sum "$requirements" | cut -d' ' -f1)"

if [ -x "$target/venv/bin/local-bigquery" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$wanted" ]; then
  echo "bigquery emulator: local-bigquery installed ($target)"; exit 0
fi

is_python_313() {
  "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 13) else 1)' >/dev/null 2>&1
}

find_python() {
  local candidates=()
  [ -n "${CONTRAIL_PYTHON:-}" ] && candidates+=("$CONTRAIL_PYTHON")
  candidates+=(python3.13 python3.14 python3)
  if command -v pyenv >/dev/null 2>&1; then
    local pyenv_root
    pyenv_root="$(pyenv root)"
    for p in "$pyenv_root"/versions/3.1[3-9]*/bin/python3; do candidates+=("$p"); done
  fi
  for p in /usr/local/bin/python3.1[3-9] /usr/bin/python3.1[3-9]; do candidates+=("$p"); done
  for c in "${candidates[@]}"; do
    if is_python_313 "$c"; then command -v "$c" || echo "$c"; return 0; fi
  done
  return 1
}

if [ -n "${CONTRAIL_PYTHON:-}" ] && ! is_python_313 "$CONTRAIL_PYTHON"; then
  echo "bigquery emulator: CONTRAIL_PYTHON=$CONTRAIL_PYTHON is not a Python >= 3.13" >&2; exit 1
fi
if ! python="$(find_python)"; then
  echo "bigquery emulator: no Python >= 3.13 found (tried CONTRAIL_PYTHON, python3.13, python3.14, python3, pyenv's versions, /usr/local/bin, /usr/bin)." >&2
  echo "  Install one (e.g. \`pyenv install 3.13\`, or Debian's python3.13) or set CONTRAIL_PYTHON to its path." >&2
  exit 1
fi

echo "bigquery emulator: installing local-bigquery with $python ($("$python" --version 2>&1)) into $target"
rm -rf "$target"
mkdir -p "$target/home"
export UV_PYTHON_DOWNLOADS=never
uv="$(bash "$root/scripts/install-uv.sh" "$root/.tools" "$python")"
"$uv" venv --quiet --python "$python" "$target/venv"
"$uv" pip install --quiet --no-deps --python "$target/venv/bin/python" -r "$requirements"
# DuckDB looks for extensions under $HOME/.duckdb: the emulator runs with this HOME. Translating
# one query also leaves the bytecode of every module the emulator runs with, written once here:
# the machines set PYTHONDONTWRITEBYTECODE, and an emulator without it compiled them at each start.
env -u PYTHONDONTWRITEBYTECODE HOME="$target/home" "$target/venv/bin/python" -c "
from duckdb_extensions import import_extension
for name in ('icu', 'ducklake', 'spatial'): import_extension(name)
import local_bigquery.app, local_bigquery.cli, local_bigquery.grpc.server
import uvicorn.lifespan.on, uvicorn.loops.auto, uvicorn.protocols.http.auto, uvicorn.protocols.websockets.auto
from local_bigquery.sql import translate as t
t.translate(t.parse('SELECT CAST(1 AS INT64) AS x')[0], t.Context(project_id='p', dataset_id='d'))
"
echo "$wanted" >"$stamp"
echo "bigquery emulator: local-bigquery $("$target/venv/bin/python" -c 'import importlib.metadata as m; print(m.version("local-bigquery"))')"
