#!/usr/bin/env bash
# Everything contrail needs beyond `npm ci`: the Temporal CLI (dev server + Web UI), and
# Debian's Chromium for the dashboard's browser test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-temporal.sh
bash scripts/install-chromium.sh
