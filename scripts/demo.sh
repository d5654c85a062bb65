#!/usr/bin/env bash
# The main job on the embedded default: synthetic telemetry, then a preview of the demo
# experiment through a private Temporal dev server and worker.
set -euo pipefail
cd "$(dirname "$0")/.."
# The demo needs only the Temporal CLI (setup.sh also installs the test-only BigQuery emulator).
bash scripts/install-temporal.sh
bin/contrail sample
bin/contrail preview --experiment_slug contrail-demo-sidebar --sample_size 10 "$@"
