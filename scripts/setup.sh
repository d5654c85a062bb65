#!/usr/bin/env bash
# Everything contrail needs beyond `npm ci`: the Temporal CLI (dev server + Web UI).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-temporal.sh
