#!/usr/bin/env bash
# Everything contrail needs beyond `npm ci`: the Temporal CLI (dev server + Web UI), Debian's
# Chromium for the dashboard's browser test, and the BigQuery emulator the tests run the
# BigQuery adapter against.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-temporal.sh
bash scripts/install-chromium.sh
bash scripts/install-bigquery-emulator.sh
