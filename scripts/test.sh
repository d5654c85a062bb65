#!/usr/bin/env bash
# The whole check, as CI runs it: tools, formatter/linter, type checks, then every test with
# one real Temporal dev server. The type checks (one core for a while) run beside the tests
# rather than before them; the run fails if either fails.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
bash scripts/setup.sh
npx biome ci .
types_log="$(mktemp)"
trap 'rm -f "$types_log"' EXIT
{
  npx tsc --noEmit -p tsconfig.json &&
    npx tsc --noEmit -p src/dashboard/page/tsconfig.json # the page script: DOM types, kept out of the Node program
} >"$types_log" 2>&1 &
types_pid=$!
tests=0
node --import tsx scripts/run-tests.ts "$@" || tests=$?
types=0
wait "$types_pid" || types=$?
if [ "$types" -ne 0 ]; then
  cat "$types_log"
  echo "type check failed (tsc --noEmit)" >&2
fi
echo "npm test: $(($(date +%s) - started)) s wall, tests $([ "$tests" -eq 0 ] && echo passed || echo FAILED), types $([ "$types" -eq 0 ] && echo passed || echo FAILED)" >&2
[ "$tests" -eq 0 ] && [ "$types" -eq 0 ]
