#!/usr/bin/env bash
# The whole check, as CI runs it: tools, formatter/linter, type check, then every test with
# one real Temporal dev server.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npx biome ci .
npx tsc --noEmit -p tsconfig.json
npx tsc --noEmit -p src/dashboard/page/tsconfig.json  # the page script: DOM types, kept out of the Node program
node --import tsx scripts/run-tests.ts "$@"
