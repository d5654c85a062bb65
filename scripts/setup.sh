#!/usr/bin/env bash
# Everything contrail needs beyond `npm ci`: the Temporal CLI (dev server + Web UI) and the
# BigQuery emulator the tests run the BigQuery adapter against.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-temporal.sh
bash scripts/install-bigquery-emulator.sh
