#!/usr/bin/env bash
# The main job on the embedded default: synthetic telemetry, then a preview of the demo
# experiment through a private Temporal dev server and worker.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-temporal.sh  # not setup.sh: the demo needs no browser and no BigQuery emulator
bin/contrail sample
bin/contrail preview --experiment_slug contrail-demo-sidebar --sample_size 10 "$@"
